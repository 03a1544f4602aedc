// Everything the gateway runs, built from its configuration: the plugin
// loader, the store, the aggregates and the command router.
//
// Lifecycle (main thread): build() → open() → [serve] → close(). build() is
// also all that `herald check` does: every config problem (gateway and
// plugin schemas, plugin validate(), factories) is found before anything
// opens a file or a connection.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "core/command_router.h"
#include "core/upcasting.h"
#include "herald/plugin.h"
#include "loader/plugin_loader.h"
#include "subscriptions/projection_registry.h"

namespace herald::gateway {

struct PluginInstance {
  std::string section;   // "store", "aggregates[0]"
  std::string instance;  // instance name: "store", "User"
  std::shared_ptr<const LoadedPlugin> plugin;
};

class Runtime {
 public:
  explicit Runtime(GatewayConfig config);
  ~Runtime();

  // Loads plugins, checks their configs and makes their objects. Throws
  // ConfigErrors (every problem, with file and line) or PluginError.
  void build();
  // Opens the store and starts the subscriptions. Throws std::runtime_error
  // with the store's message.
  void open();
  // Stops the subscriptions, closes the store (flush + fsync). Idempotent.
  void close();

  const GatewayConfig& config() const { return config_; }
  EventStore& store() { return *store_; }
  CommandRouter& router() { return *router_; }
  ProjectionRegistry& projections() { return *projections_; }
  const UpcasterChain& upcasters() const { return upcasters_; }
  const std::vector<PluginInstance>& instances() const { return instances_; }
  bool is_open() const { return open_; }

 private:
  GatewayConfig config_;
  std::unique_ptr<PluginLoader> loader_;
  std::shared_ptr<EventStore> store_;
  UpcasterChain upcasters_;
  std::unique_ptr<CommandRouter> router_;
  std::unique_ptr<ProjectionRegistry> projections_;
  std::vector<PluginInstance> instances_;
  bool open_ = false;
};

// The JSON `herald plugins describe` and the docs print for a schema.
Json describe_schema(const ConfigSchema& schema);
Json describe_plugin(const LoadedPlugin& plugin);

}  // namespace herald::gateway
