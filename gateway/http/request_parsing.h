// Parsing of request bodies and query strings into the gateway's types, with
// problem documents for every way they can be wrong.
#pragma once

#include <map>
#include <optional>
#include <string>
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

// The body of POST /v1/commands/...: {"type","data","expected_version"?,"metadata"?}.
std::variant<CommandRequest, BadInput> parse_command(const Json& body);

// Query parameters; repeated keys keep every value in order.
using QueryParams = std::map<std::string, std::vector<std::string>>;
QueryParams parse_query(const std::string& raw_query);

// An unsigned integer parameter: absent → fallback; malformed → BadInput.
std::variant<std::uint64_t, BadInput> uint_param(const QueryParams& q, const std::string& key,
                                                 std::uint64_t fallback);

}  // namespace herald::gateway
