// What both aggregate benchmarks share: the gateway built from the default
// config/herald.yaml the way `herald serve` builds it (Runtime: plugin
// loader, schema checks, factories, command router), with the store kept in
// memory only, and the C++ `order` example added next to the configured User.
//
// The User aggregate's plugin is whatever the config names (`user`, the
// interim C++ one, or `declarative` with its YAML rules), so the figures
// follow the default config as it changes.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_document.h"
#include "config/gateway_config.h"
#include "core/runtime.h"

namespace herald::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct RuntimeOptions {
  std::string config_file = HERALD_SOURCE_DIR "/config/herald.yaml";
  std::string plugin_dir = HERALD_PLUGIN_DIR;
  // Further aggregate types to add: {type, plugin}, each with an empty config.
  std::vector<std::pair<std::string, std::string>> extra_aggregates;
};

// Parses the command line's `--flag value` pairs. --config and --plugin-dir
// fill `runtime`; any other flag goes to `on_flag(flag, value)`, which
// returns false for a flag it does not know. An unknown flag or a missing
// value prints `usage` (or the problem) and exits with 2.
template <typename OnFlag>
void parse_flags(int argc, char** argv, const char* usage, RuntimeOptions& runtime,
                 OnFlag on_flag) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s\n", argv[i], usage);
      std::exit(2);
    }
    const char* value = argv[++i];
    if (flag == "--config") {
      runtime.config_file = value;
    } else if (flag == "--plugin-dir") {
      runtime.plugin_dir = value;
    } else if (!on_flag(flag, value)) {
      std::fprintf(stderr, "%s\n", usage);
      std::exit(2);
    }
  }
}

// The default config's gateway, memory-only store, with an `Order` aggregate
// (plugin `order`) added unless the config already has one, and the extra
// aggregates asked for. Projections and transports are left out: the
// benchmarks measure the command side only. Exits with a message when the
// config or a plugin is not usable.
inline std::unique_ptr<gateway::Runtime> build_runtime(RuntimeOptions options) {
  spdlog::set_level(spdlog::level::warn);
  try {
    gateway::GatewayConfig config =
        gateway::parse_gateway_config(gateway::ConfigDocument::from_file(options.config_file));
    config.plugin_dirs = {options.plugin_dir};
    // path "" keeps the memory store in memory: the disk is not what is measured.
    config.store.config["path"] = "";
    config.projections.clear();
    config.transports.clear();
    const bool has_order =
        std::any_of(config.aggregates.begin(), config.aggregates.end(),
                    [](const gateway::AggregateSection& a) { return a.type == "Order"; });
    if (!has_order) {
      options.extra_aggregates.insert(options.extra_aggregates.begin(), {"Order", "order"});
    }
    for (const auto& [type, plugin] : options.extra_aggregates) {
      gateway::AggregateSection section;
      section.type = type;
      section.plugin = plugin;
      section.config = Json::object();
      section.pointer = "/aggregates/" + std::to_string(config.aggregates.size());
      config.aggregates.push_back(std::move(section));
    }
    auto runtime = std::make_unique<gateway::Runtime>(std::move(config));
    runtime->build();
    runtime->open();
    return runtime;
  } catch (const gateway::ConfigErrors& e) {
    std::fprintf(stderr, "config %s:\n", options.config_file.c_str());
    for (const auto& p : e.problems()) std::fprintf(stderr, "  %s\n", p.to_string().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot build the gateway from %s: %s\n", options.config_file.c_str(),
                 e.what());
  }
  std::exit(2);
}

// The plugin named in the config for an aggregate type, read before the
// gateway is built ("" when the config has no such type).
inline std::string configured_plugin(const RuntimeOptions& options, const std::string& type) {
  try {
    auto config =
        gateway::parse_gateway_config(gateway::ConfigDocument::from_file(options.config_file));
    for (const auto& a : config.aggregates) {
      if (a.type == type) return a.plugin;
    }
  } catch (const std::exception&) {
    // build_runtime() reports it.
  }
  return {};
}

inline bool plugin_built(const RuntimeOptions& options, const std::string& plugin) {
  return std::filesystem::exists(options.plugin_dir + "/libherald-" + plugin + ".so");
}

// The plugin behind an aggregate type of the config ("?" when absent).
inline std::string plugin_of(const gateway::Runtime& runtime, const std::string& type) {
  for (const auto& a : runtime.config().aggregates) {
    if (a.type == type) return a.plugin;
  }
  return "?";
}

// A copy of a configured aggregate type, to route through a router of our own.
inline gateway::AggregateType aggregate_type(gateway::Runtime& runtime, const std::string& type) {
  const gateway::AggregateType* found = runtime.router().find(type);
  if (found == nullptr) {
    std::fprintf(stderr, "the config has no aggregate type %s\n", type.c_str());
    std::exit(2);
  }
  return *found;
}

inline CommandRequest request(const std::string& type, const std::string& id,
                              const std::string& command, Json data) {
  CommandRequest r;
  r.aggregate_type = type;
  r.aggregate_id = id;
  r.type = command;
  r.data = std::move(data);
  return r;
}

// Dispatches and insists on success: a benchmark of refusals measures nothing.
inline void must_dispatch(CommandDispatcher& router, const CommandRequest& r) {
  CommandOutcome out = router.dispatch(r);
  if (!out.ok()) {
    std::fprintf(stderr, "%s on %s/%s failed (%d): %s\n", r.type.c_str(), r.aggregate_type.c_str(),
                 r.aggregate_id.c_str(), http_status(out.kind), out.body.dump().c_str());
    std::exit(1);
  }
}

}  // namespace herald::bench
