#include "core/runtime.h"

#include <spdlog/spdlog.h>

#include "config/schema_check.h"
#include "core/data_validator.h"

namespace herald::gateway {
namespace {

std::shared_ptr<spdlog::logger> logger_for(const std::string& name) {
  return spdlog::default_logger()->clone(name);
}

// Collects problems of one plugin section so that all of them are reported
// together.
struct SectionCheck {
  const ConfigDocument& doc;
  std::vector<ConfigProblem>& problems;

  std::shared_ptr<const LoadedPlugin> load(PluginLoader& loader, const PluginSection& section,
                                           PluginKind kind) {
    try {
      return loader.load(section.plugin, kind);
    } catch (const PluginError& e) {
      problems.push_back(doc.problem(section.pointer + "/plugin", ConfigIssue{"", e.what(), ""},
                                     section.plugin));
      return nullptr;
    }
  }

  // Schema check + defaults + the plugin's own validate(). True when clean.
  bool check(const LoadedPlugin& plugin, PluginSection& section) {
    const std::size_t before = problems.size();
    const std::string base = section.pointer + "/config";
    if (!section.config.is_object()) {
      problems.push_back(doc.problem(base, {"", "config must be a map of options", ""},
                                     plugin.descriptor->name));
      return false;
    }
    for (const auto& issue : check_against_schema(section.config, plugin.descriptor->schema)) {
      problems.push_back(doc.problem(base, issue, plugin.descriptor->name));
    }
    if (problems.size() == before && plugin.descriptor->validate) {
      try {
        for (const auto& issue : plugin.descriptor->validate(section.config)) {
          problems.push_back(doc.problem(base, issue, plugin.descriptor->name));
        }
      } catch (const std::exception& e) {
        problems.push_back(doc.problem(base, {"", e.what(), ""}, plugin.descriptor->name));
      }
    }
    return problems.size() == before;
  }

  // Runs a factory, turning what it throws into problems.
  template <typename Make>
  auto make(const LoadedPlugin& plugin, const PluginSection& section, Make&& fn)
      -> decltype(fn()) {
    const std::string base = section.pointer + "/config";
    try {
      auto object = fn();
      if (!object) {
        problems.push_back(doc.problem(base, {"", "the plugin's factory made nothing", ""},
                                       plugin.descriptor->name));
      }
      return object;
    } catch (const ConfigError& e) {
      for (const auto& issue : e.issues()) {
        problems.push_back(doc.problem(base, issue, plugin.descriptor->name));
      }
    } catch (const std::exception& e) {
      problems.push_back(doc.problem(base, {"", e.what(), ""}, plugin.descriptor->name));
    }
    return nullptr;
  }
};

}  // namespace

Runtime::Runtime(GatewayConfig config) : config_(std::move(config)) {}

Runtime::~Runtime() { close(); }

void Runtime::build() {
  loader_ = std::make_unique<PluginLoader>(PluginLoader::search_path(config_.plugin_dirs));
  std::vector<ConfigProblem> problems;
  SectionCheck check{config_.document, problems};

  // The store first: aggregates need it.
  auto store_plugin = check.load(*loader_, config_.store, PluginKind::kStore);
  if (store_plugin && check.check(*store_plugin, config_.store)) {
    PluginContext ctx{"store", config_.store.config, logger_for("store"), nullptr};
    auto store = check.make(*store_plugin, config_.store,
                            [&] { return store_plugin->descriptor->make_store(ctx); });
    if (store) store_ = keep_loaded(std::move(store), store_plugin);
    instances_.push_back({"store", "store", store_plugin});
  }

  std::vector<AggregateType> types;
  for (std::size_t i = 0; i < config_.aggregates.size(); ++i) {
    auto& section = config_.aggregates[i];
    auto plugin = check.load(*loader_, section, PluginKind::kAggregate);
    if (!plugin || !check.check(*plugin, section)) continue;
    PluginContext ctx{section.type, section.config, logger_for(section.type), store_.get()};
    auto aggregate =
        check.make(*plugin, section, [&] { return plugin->descriptor->make_aggregate(ctx); });
    if (!aggregate) continue;
    AggregateType type;
    type.type = section.type;
    type.aggregate = keep_loaded(std::move(aggregate), plugin);
    type.snapshot_every = section.snapshot_every;
    for (auto& spec : type.aggregate->commands()) {
      CommandEntry entry;
      if (!spec.data_schema.is_null()) {
        try {
          entry.validate = make_data_validator(spec.data_schema);
        } catch (const std::exception& e) {
          problems.push_back(config_.document.problem(
              section.pointer + "/config",
              {"", "command " + spec.type + " has an invalid data schema: " + e.what(), ""},
              plugin->descriptor->name));
        }
      }
      entry.spec = std::move(spec);
      type.commands.emplace(entry.spec.type, std::move(entry));
    }
    for (const auto& spec : type.aggregate->events()) {
      if (spec.data_schema.is_null()) continue;
      try {
        type.event_validators[spec.type] = make_data_validator(spec.data_schema);
      } catch (const std::exception& e) {
        problems.push_back(config_.document.problem(
            section.pointer + "/config",
            {"", "event " + spec.type + " has an invalid data schema: " + e.what(), ""},
            plugin->descriptor->name));
      }
    }
    types.push_back(std::move(type));
    instances_.push_back({"aggregates[" + std::to_string(i) + "]", section.type, plugin});
  }

  struct PendingProjection {
    std::string name;
    SubscriptionFilter filter;
    ProjectionRegistry::Factory factory;
    std::shared_ptr<Projection> first;
  };
  std::vector<PendingProjection> pending;
  for (std::size_t i = 0; i < config_.projections.size(); ++i) {
    auto& section = config_.projections[i];
    auto plugin = check.load(*loader_, section, PluginKind::kProjection);
    if (!plugin || !check.check(*plugin, section)) continue;
    SubscriptionFilter filter;
    for (const auto& from : section.from) {
      // A configured aggregate type takes all its streams' events. Any other
      // name may be an event type or the stream type of events written
      // without a configured aggregate (imports, another gateway): it
      // matches either.
      bool is_type = false;
      for (const auto& a : config_.aggregates) is_type = is_type || a.type == from;
      filter.stream_types.insert(from);
      if (!is_type) filter.event_types.insert(from);
    }
    PluginContext ctx{section.name, section.config, logger_for(section.name), store_.get()};
    // The factory runs now (its model is the first live one, and what it
    // throws is a config problem) and again for each rebuild.
    ProjectionRegistry::Factory factory = [plugin, ctx]() -> std::shared_ptr<Projection> {
      auto p = plugin->descriptor->make_projection(ctx);
      if (!p) throw std::runtime_error("the projection factory made nothing");
      return keep_loaded(std::move(p), plugin);
    };
    auto first = check.make(*plugin, section, [&] { return factory(); });
    if (!first) continue;
    pending.push_back({section.name, std::move(filter), std::move(factory), std::move(first)});
    instances_.push_back({"projections[" + std::to_string(i) + "]", section.name, plugin});
  }
  for (auto& section : config_.transports) {
    problems.push_back(config_.document.problem(
        section.pointer, {"", "transports are not supported by this herald yet", ""}));
  }

  for (std::size_t i = 0; i < config_.upcasters.size(); ++i) {
    auto& section = config_.upcasters[i];
    std::shared_ptr<const Upcaster> upcaster;
    if (section.plugin.empty()) {
      if (!section.defaults.is_object()) {
        problems.push_back(config_.document.problem(section.pointer + "/defaults",
                                                    {"", "defaults must be a map of field: value", ""}));
        continue;
      }
      upcaster = std::make_shared<DeclarativeUpcaster>(
          section.event, section.from_version, section.to_version, section.rename_fields,
          section.defaults, section.drop, section.rename_type);
    } else {
      auto plugin = check.load(*loader_, section, PluginKind::kUpcaster);
      if (!plugin || !check.check(*plugin, section)) continue;
      PluginContext ctx{"upcasters[" + std::to_string(i) + "]", section.config,
                        logger_for("upcaster"), store_.get()};
      auto made = check.make(*plugin, section, [&] { return plugin->descriptor->make_upcaster(ctx); });
      if (!made) continue;
      upcaster = keep_loaded(std::move(made), plugin);
      instances_.push_back({"upcasters[" + std::to_string(i) + "]", "upcaster", plugin});
    }
    try {
      upcasters_.add(std::move(upcaster));
    } catch (const std::exception& e) {
      problems.push_back(config_.document.problem(section.pointer, {"", e.what(), ""}));
    }
  }

  if (!problems.empty()) throw ConfigErrors(std::move(problems));

  router_ = std::make_unique<CommandRouter>(*store_, config_.limits, &upcasters_);
  for (auto& type : types) router_->add(std::move(type));
  projections_ = std::make_unique<ProjectionRegistry>(*store_, upcasters_);
  for (auto& p : pending) {
    projections_->add(p.name, std::move(p.filter), std::move(p.factory), std::move(p.first));
  }
}

void Runtime::open() {
  Status s = store_->open();
  if (!s.is_ok()) {
    throw std::runtime_error("the store (plugin '" + config_.store.plugin +
                             "') cannot open: " + s.message());
  }
  open_ = true;
  projections_->start();
}

void Runtime::close() {
  if (open_) {
    if (projections_) projections_->stop();
    store_->close();
    open_ = false;
  }
}

Json describe_schema(const ConfigSchema& schema) {
  Json out = Json::array();
  for (const auto& o : schema) {
    Json j = {{"key", o.key}, {"type", to_string(o.type)}, {"description", o.description}};
    if (o.required) j["required"] = true;
    if (!o.default_value.is_null()) j["default"] = o.default_value;
    if (!o.choices.empty()) j["choices"] = o.choices;
    if (o.minimum) j["minimum"] = *o.minimum;
    if (o.maximum) j["maximum"] = *o.maximum;
    if (!o.fields.empty()) j["fields"] = describe_schema(o.fields);
    if (!o.items.empty()) j["items"] = describe_schema(o.items).at(0);
    out.push_back(std::move(j));
  }
  return out;
}

Json describe_plugin(const LoadedPlugin& plugin) {
  const auto& d = *plugin.descriptor;
  return {{"name", d.name},
          {"kind", to_string(d.kind)},
          {"version", d.version},
          {"description", d.description},
          {"abi_version", d.abi_version},
          {"file", plugin.file},
          {"options", describe_schema(d.schema)}};
}

}  // namespace herald::gateway
