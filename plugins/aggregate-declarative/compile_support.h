// What the config compiler shares between its parts: issue paths, hints, and
// what it knows at the place a value appears (so references can be checked
// against the schemas and state fields they read).
#pragma once

#include <string>
#include <vector>

#include "herald/config_schema.h"
#include "herald/event.h"
#include "herald/json_pointer.h"
#include "text/suggest.h"

namespace herald::plugins::declarative {

using Issues = std::vector<ConfigIssue>;

// Where a value is evaluated: in decide() (commands) or in apply() (folds).
enum class Context { kDecide, kFold };

struct CompileScope {
  Context context = Context::kDecide;
  // The command whose data `$data` reads and its JSON Schema (null: none).
  std::string command;
  const Json* data_schema = nullptr;
  // The event whose data `$event.data` reads and its JSON Schema (null: none).
  std::string event;
  const Json* event_schema = nullptr;
  // Top-level state fields: initial_state's keys and every fold target.
  const std::vector<std::string>* state_fields = nullptr;
};

// "did you mean 'x'?" when a candidate is close, else "<what>: a, b, c"
// (empty when there are no candidates).
std::string hint_for(const std::string& word, const std::vector<std::string>& candidates,
                     const std::string& what);

// "a, b, c" (the gateway's, so messages read the same).
using gateway::join_words;

// The keys of an object, in its order.
std::vector<std::string> keys_of(const Json& object);

// How a config value reads in a message: `string "x"`, `integer 5`, `list`.
std::string describe_config_value(const Json& value);

// Reports every key of `object` not in `allowed`, with a hint.
void check_keys(const Json& object, const std::vector<std::string>& allowed,
                const std::string& path, const std::string& what, Issues& issues);

// The field names a JSON Schema declares under `properties`, or nullptr when
// it does not list them completely (no `properties`, `patternProperties`, or
// an `additionalProperties` that explicitly allows more). A declared list is
// taken as complete: a reference outside it is a typo.
const Json* declared_properties(const Json* schema);

}  // namespace herald::plugins::declarative
