// Typing of plain (unquoted) YAML scalars, YAML 1.2 core schema.
#pragma once

#include <string>

#include "herald/event.h"

namespace herald::gateway {

// The JSON value a plain scalar stands for, YAML 1.2 core schema:
//   null, Null, NULL, ~ and the empty scalar   -> null
//   true/True/TRUE, false/False/FALSE          -> boolean (yes/no/on/off stay strings)
//   123, -5, +7, 0o17, 0xff                    -> integer (beyond 64 bits: number)
//   1.5, .5, 1e3, -2.5E-3, .inf, -.Inf, .nan   -> number
//   anything else                              -> string
// `from_substitution`: the text came out of ${...}; an empty result then is
// the empty string, not null (`password: ${PASSWORD:-}` means "no password").
Json type_plain_scalar(const std::string& text, bool from_substitution = false);

}  // namespace herald::gateway
