// Turns a declarative aggregate's `config:` section into a Model, checking
// everything a schema cannot: rules that name unknown events, references to
// fields the schemas do not declare, unknown reference roots and precondition
// kinds, events without a fold, malformed JSON Schemas. Every problem is
// reported at once, with its path under `config:` and a hint.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.h"

namespace herald::plugins::declarative {

struct CompileResult {
  std::shared_ptr<const Model> model;  // null when `issues` is not empty
  Issues issues;
  // Things that work but look unintended (an event no command emits).
  std::vector<std::string> warnings;
};

// Called at start-up (validate and the factory), on the main thread. Works on
// a config straight from YAML too: it does not rely on the gateway's schema
// check having run.
CompileResult compile_model(const Json& config);

}  // namespace herald::plugins::declarative
