// The `document` projection plugin: its descriptor, exported for the
// gateway's loader. descriptor(), validate and make_projection run on the
// main thread at start-up (make_projection again for a rebuild).
#include "herald/plugin.h"
#include "document_config.h"
#include "document_projection.h"

namespace herald::plugins::document {
namespace {

std::unique_ptr<Projection> make_projection(const PluginContext& context) {
  // Compiled once per instance; the projection shares it read-only.
  auto config = std::make_shared<const DocumentConfig>(compile_config(context.config));
  return std::make_unique<DocumentProjection>(std::move(config), context.logger);
}

}  // namespace

const PluginDescriptor& descriptor() {
  static const PluginDescriptor d = [] {
    PluginDescriptor p;
    p.name = "document";
    p.kind = PluginKind::kProjection;
    p.version = "1.0.0";
    p.description =
        "Declarative read model of JSON documents: per event type, set / merge / increment / "
        "append / remove fields or delete the document; get by id, list, filter, sort and "
        "search. In memory, rebuilt from the log at start.";
    p.schema = config_schema();
    p.validate = check_config;
    p.make_projection = make_projection;
    return p;
  }();
  return d;
}

}  // namespace herald::plugins::document

HERALD_PLUGIN(herald::plugins::document::descriptor)
