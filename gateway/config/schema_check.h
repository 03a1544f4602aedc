// Checks a JSON value against a plugin's (or the gateway's) option schema.
#pragma once

#include <string>
#include <vector>

#include "herald/config_schema.h"

namespace herald::gateway {

// Checks `value` (an object: the keys of a `config:` section) against
// `schema`, reporting every problem, and fills in defaults in place. Issue
// paths are JSON-pointer-like, relative to `value`, without a leading slash
// ("fsync", "endpoints/0/url"). Unknown keys get a "did you mean" hint when a
// declared key is close.
std::vector<ConfigIssue> check_against_schema(Json& value, const ConfigSchema& schema);

// The candidate closest to `word` (Damerau-Levenshtein, case-insensitive) when
// close enough to be a likely typo, else empty.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" or empty.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace herald::gateway
