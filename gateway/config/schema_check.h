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

}  // namespace herald::gateway
