// The plugin descriptor and the ABI a plugin library exports.
//
// A plugin library exports two Boost.DLL aliases, both made by HERALD_PLUGIN:
//   herald_plugin_abi      -> std::uint32_t()  the kAbiVersion it was built with
//   herald_plugin_descriptor -> const PluginDescriptor&()
// The loader reads herald_plugin_abi first and refuses a library built with
// another ABI before it touches anything else (the descriptor's layout is
// only known to match when the versions do).
//
// Bump kAbiVersion whenever a type in sdk/include/herald changes layout or
// a virtual function is added, removed or changed.
//
// Build plugins with -fvisibility=hidden (the CMake package does) and against
// the same compiler and standard library as the gateway: host and plugins
// share one C++ runtime.
#pragma once

#include <boost/dll/alias.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "herald/aggregate.h"
#include "herald/config_schema.h"
#include "herald/projection.h"
#include "herald/store.h"
#include "herald/transport.h"
#include "herald/upcaster.h"

namespace spdlog {
class logger;
}

namespace herald {

// 2: EventStore::wait_for_matching_events.
inline constexpr std::uint32_t kAbiVersion = 2;

enum class PluginKind { kStore, kTransport, kAggregate, kProjection, kUpcaster };

inline const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::kStore: return "store";
    case PluginKind::kTransport: return "transport";
    case PluginKind::kAggregate: return "aggregate";
    case PluginKind::kProjection: return "projection";
    case PluginKind::kUpcaster: return "upcaster";
  }
  return "?";
}

// What a factory gets. Lives only for the factory call; copy what you keep.
struct PluginContext {
  // The instance's name: "store", the aggregate type ("User"), the projection
  // or transport name.
  std::string instance_name;
  // The plugin's `config:` section, checked against its schema, with defaults.
  Json config;
  // A logger named for the instance; thread-safe.
  std::shared_ptr<spdlog::logger> logger;
  // The store, for projections and transports that keep their own data in it.
  // Null when making the store itself.
  EventStore* store = nullptr;
};

struct PluginDescriptor {
  std::uint32_t abi_version = kAbiVersion;
  std::string name;  // unique among all plugins; the `plugin:` value in config
  PluginKind kind = PluginKind::kStore;
  std::string version;  // the plugin's own version
  std::string description;
  ConfigSchema schema;

  // Optional checks the schema cannot express (a rule naming an unknown
  // event, say). Called at start-up and by `herald check`, on the main thread,
  // with the config after schema checks and defaults. Returns every problem.
  std::function<std::vector<ConfigIssue>(const Json& config)> validate;

  // Exactly the one matching `kind` is set. Called on the main thread at
  // start-up; may throw ConfigError (mapped to file and line) or any
  // std::exception (reported with the instance's name).
  std::function<std::unique_ptr<EventStore>(const PluginContext&)> make_store;
  std::function<std::unique_ptr<Aggregate>(const PluginContext&)> make_aggregate;
  std::function<std::unique_ptr<Projection>(const PluginContext&)> make_projection;
  std::function<std::unique_ptr<Transport>(const PluginContext&)> make_transport;
  std::function<std::unique_ptr<Upcaster>(const PluginContext&)> make_upcaster;
};

namespace detail {
inline std::uint32_t abi_version_of_this_build() { return kAbiVersion; }
}  // namespace detail

}  // namespace herald

// Exports a plugin. `descriptor_fn` is a function `const herald::PluginDescriptor& f()`
// defined in the plugin (usually returning a function-local static).
#define HERALD_PLUGIN(descriptor_fn)                                                \
  BOOST_DLL_ALIAS(herald::detail::abi_version_of_this_build, herald_plugin_abi)     \
  BOOST_DLL_ALIAS(descriptor_fn, herald_plugin_descriptor)
