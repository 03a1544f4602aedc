// Checks a JSON value against a plugin's (or the gateway's) option schema.
#pragma once

#include <string>
#include <vector>

#include "herald/config_schema.h"

namespace herald::gateway {

// Checks `value` (an object: the keys of a `config:` section) against
// `schema`, reporting every problem, and fills in defaults in place. Issue
// paths are JSON-pointer-like, relative to `value`, without a leading slash
// ("fsync", "endpoints/0/url"; '/' and '~' in keys escaped as ~1 and ~0).
// Unknown keys get a "did you mean" hint when a declared key is close, else
// the list of known keys.
//
// Defaults: an absent key, or one set to null, takes its default (objects
// recursively); an absent optional object whose fields have defaults and none
// is required is created. A null optional key without default is removed, so
// the plugin can assume every key it finds has its declared type: kDouble
// values are made doubles, whole-number kInt values (1e3, 2.0) integers.
// A null `value` is taken as an empty object.
std::vector<ConfigIssue> check_against_schema(Json& value, const ConfigSchema& schema);

// The candidate closest to `word` (Damerau-Levenshtein, optimal string
// alignment, case-insensitive) when close enough to be a likely typo: at most
// max(1, len(word) / 3) edits. Ties go to the earlier candidate. Else empty.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" or empty.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c": a list for a message.
std::string join_words(const std::vector<std::string>& words);

}  // namespace herald::gateway
