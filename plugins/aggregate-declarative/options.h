// The plugin's option schema (the top level of `config:`, which the gateway
// checks generically) and the checks and factory behind its descriptor.
#pragma once

#include <memory>
#include <vector>

#include "herald/plugin.h"

namespace herald::plugins::declarative {

// state_format, initial_state, commands and events, with the keys of one
// command and one event, so the gateway catches typos there with file and
// line. Deeper shapes (preconditions, emit entries, folds) are checked by
// validate_config().
ConfigSchema config_schema();

// Every problem of a config (after the schema check), for
// PluginDescriptor::validate.
std::vector<ConfigIssue> validate_config(const Json& config);

// The factory: compiles the config once (throws ConfigError with every
// problem) and logs warnings through the context's logger.
std::unique_ptr<Aggregate> make_aggregate(const PluginContext& context);

}  // namespace herald::plugins::declarative
