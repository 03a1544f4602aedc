// Parsing of request bodies and query strings into the gateway's types, with
// problem documents for every way they can be wrong.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "herald/command.h"

namespace herald::gateway {

// A parse that failed: the HTTP status and problem body to answer.
struct BadInput {
  int status = 400;
  Json problem;
};

// Parses a JSON document, refusing nesting deeper than kMaxDepth (the
// parser is iterative, but deep values are expensive to walk and dump).
std::variant<Json, BadInput> parse_json_body(const std::string& body);
inline constexpr int kMaxDepth = 64;

// The deepest nesting of arrays and objects in `text` (brackets inside
// strings do not count); stops counting once it passes `limit`. Does not
// validate: the parser does that.
int json_nesting_depth(std::string_view text, int limit);

// The body of POST /v1/commands/...: {"type","data","expected_version"?,"metadata"?}.
// Takes the document apart (moves type and data out of it).
std::variant<CommandRequest, BadInput> parse_command(Json&& body);

// Query parameters; repeated keys keep every value in order.
using QueryParams = std::map<std::string, std::vector<std::string>>;

// A request target taken apart: the decoded, non-empty path segments
// ("/v1/streams/User/a%2Fb" → v1, streams, User, "a/b") and the query.
struct RequestTarget {
  std::vector<std::string> path;
  QueryParams query;
};

// Malformed percent-encoding anywhere ("%ZZ", a lone "%") is a BadInput:
// an id is never looked up under a spelling the client did not mean. The
// absolute form that proxies send ("http://host:8080/v1/events") means its
// path (RFC 9112 §3.2.2).
std::variant<RequestTarget, BadInput> parse_target(const std::string& uri);
std::variant<QueryParams, BadInput> parse_query(const std::string& raw_query);

// An unsigned integer parameter: absent → fallback; malformed or above
// `max` → BadInput.
std::variant<std::uint64_t, BadInput> uint_param(const QueryParams& q, const std::string& key,
                                                 std::uint64_t fallback,
                                                 std::uint64_t max = UINT64_MAX);

// A parameter that names one of `choices`: absent → fallback; anything
// else → BadInput listing them (with a "did you mean").
std::variant<std::string, BadInput> choice_param(const QueryParams& q, const std::string& key,
                                                 const std::string& fallback,
                                                 const std::vector<std::string>& choices);

// The Idempotency-Key of a command from every value of that header field in
// the request: "" when there is none. A key is 1 to 256 printable ASCII
// characters, given bare (`abc`, as Stripe's clients send it) or as a
// Structured Field string (`"abc"`, RFC 8941, as the IETF draft
// httpapi-idempotency-key-header has it): both are the key abc. Refused
// with a 400, rather than read some way: the field given twice (which
// value would count depends on who reads it), an empty key (a client that
// meant to send one would lose its protection), other bytes, or a
// malformed string.
std::variant<std::string, BadInput> idempotency_key_of(const std::vector<std::string>& values);
inline constexpr std::size_t kMaxIdempotencyKey = 256;

// What a resource accepts in its query string. Unknown parameters and
// repeats of single-valued ones are refused rather than ignored: a misspelt
// filter (`?types=UserCreated`) would otherwise answer every event, and an
// `?expected_version=3` on a command would skip the concurrency check it was
// meant to make.
struct ParamRules {
  std::vector<std::string> single{};       // at most once each
  std::vector<std::string> repeatable{};   // any number of times
  bool other_fields = false;               // any other key, once (a projection's field filters)
  std::vector<std::string> body_fields{};  // refused with "goes in the JSON body"
};

// nullopt when `q` keeps to `rules`; else a 400 naming the parameter, the
// closest accepted spelling and every accepted one. `resource` names the
// resource in the message ("GET /v1/events").
std::optional<BadInput> check_params(const QueryParams& q, const ParamRules& rules,
                                     const std::string& resource);

}  // namespace herald::gateway
