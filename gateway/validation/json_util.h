// JSON helpers the schema validator needs and nlohmann does not give in the
// form JSON Schema wants: equality where 1 == 1.0, a hash consistent with it,
// JSON pointer escaping, short value previews for messages, and UTF-8 length.
// Internal to herald_validation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "herald/event.h"
#include "herald/json_pointer.h"

namespace herald::gateway::validation {

// JSON Schema equality: numbers compare by value across integer and float
// representations; objects compare as unordered maps.
bool json_equal(const Json& a, const Json& b);

// Orders two numbers by value: negative, zero or positive like strcmp.
// Integers compare exactly; a float on either side compares as double.
int compare_numbers(const Json& a, const Json& b);

// A hash such that json_equal(a, b) implies json_hash(a) == json_hash(b).
std::size_t json_hash(const Json& value);

// True for integers and for floats with no fractional part (2020-12 treats
// 1.0 as an integer).
bool is_integral(const Json& value);

// The JSON Schema type name of a value: "null", "boolean", "integer",
// "number", "string", "array" or "object".
std::string_view type_name(const Json& value);

// `pointer` extended by one escaped token: ("/a", "b/c") -> "/a/b~1c".
std::string child_pointer(const std::string& pointer, std::string_view token);

// A JSON rendering of a value for an error message, cut to about max_chars
// (on a UTF-8 boundary) so a huge payload does not become a huge answer.
std::string preview(const Json& value, std::size_t max_chars = 64);

// Number of Unicode code points in a UTF-8 string.
std::size_t utf8_length(std::string_view text);

}  // namespace herald::gateway::validation
