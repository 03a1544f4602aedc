// The `memory` store plugin: its descriptor, exported for the gateway's
// loader. The loader calls descriptor() on the main thread; make_store runs
// there too, once, with the config already checked against the schema.
#include <spdlog/spdlog.h>

#include "herald/plugin.h"
#include "memory_store.h"
#include "options.h"

namespace herald::plugins::memory {
namespace {

std::unique_ptr<EventStore> make_store(const PluginContext& context) {
  return std::make_unique<MemoryStore>(options_from_config(context.config), context.logger);
}

}  // namespace

const PluginDescriptor& descriptor() {
  static const PluginDescriptor d = [] {
    PluginDescriptor p;
    p.name = "memory";
    p.kind = PluginKind::kStore;
    p.version = "1.0.0";
    p.description =
        "Events in memory, made durable by an append-only, checksummed log file that is "
        "replayed at start; concurrent appends share one fdatasync (group commit).";
    p.schema = config_schema();
    p.make_store = make_store;
    return p;
  }();
  return d;
}

}  // namespace herald::plugins::memory

HERALD_PLUGIN(herald::plugins::memory::descriptor)
