#include "options.h"

#include <spdlog/spdlog.h>

#include "declarative_aggregate.h"
#include "model_compiler.h"

namespace herald::plugins::declarative {

ConfigSchema config_schema() {
  OptionSpec command = opt::object(
      "",
      {opt::string("description", "What the command does, for docs and the admin API."),
       opt::any("schema",
                "JSON Schema of the command's data. The gateway checks it before decide() and "
                "answers 422 with every error; $data references are checked against it."),
       opt::list("preconditions", opt::any("", "stream:, field:, data: or data_any_of:."),
                 "Rules that must all hold; each failing one is reported."),
       opt::list("emit", opt::any("", "{event, data, when?}"),
                 "The events the command emits, in order. Required; [] emits nothing.")},
      "One command's rules.");
  OptionSpec event = opt::object(
      "",
      {opt::string("description", "What the event means, for docs."),
       opt::any("schema",
                "JSON Schema of the event's data; the gateway checks decided events against it "
                "before they are appended."),
       opt::integer("schema_version", "The schema version decided events carry.")
           .def(1)
           .min(1)
           .max(1000000),
       opt::any("fold",
                "How the event changes the state: set, append, increment, remove. Required; {} "
                "changes nothing.")},
      "One event's schema and fold.");
  return {
      opt::integer("state_format",
                   "The state's format. Bump it when folds or initial_state change the state's "
                   "shape: snapshots of another format are ignored and streams are replayed.")
          .def(1)
          .min(1)
          .max(1000000),
      opt::any("initial_state", "The state of an aggregate before its first event (a map).")
          .def(Json::object()),
      opt::map("commands", command, "The commands, by name, and their rules.").req(),
      opt::map("events", event, "The events, by name, and how each folds into the state.").req(),
  };
}

std::vector<ConfigIssue> validate_config(const Json& config) {
  return compile_model(config).issues;
}

std::unique_ptr<Aggregate> make_aggregate(const PluginContext& context) {
  CompileResult compiled = compile_model(context.config);
  if (!compiled.issues.empty()) throw ConfigError(std::move(compiled.issues));
  if (context.logger) {
    for (const auto& w : compiled.warnings) context.logger->warn("{}", w);
  }
  return std::make_unique<DeclarativeAggregate>(std::move(compiled.model));
}

}  // namespace herald::plugins::declarative
