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

}  // namespace herald::gateway
