// The `declarative` aggregate plugin: its descriptor, exported for the
// gateway's loader. The loader calls descriptor() on the main thread; validate
// and make_aggregate run there too, with the config already checked against
// the schema and defaults filled in.
#include "herald/plugin.h"
#include "options.h"

namespace herald::plugins::declarative {

const PluginDescriptor& descriptor() {
  static const PluginDescriptor d = [] {
    PluginDescriptor p;
    p.name = "declarative";
    p.kind = PluginKind::kAggregate;
    p.version = "1.0.0";
    p.description =
        "An aggregate described in YAML: commands with JSON Schemas and preconditions, the "
        "events they emit, and how each event folds into the state.";
    p.schema = config_schema();
    p.validate = validate_config;
    p.make_aggregate = make_aggregate;
    return p;
  }();
  return d;
}

}  // namespace herald::plugins::declarative

HERALD_PLUGIN(herald::plugins::declarative::descriptor)
