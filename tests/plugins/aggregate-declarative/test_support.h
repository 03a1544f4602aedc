// Helpers for the declarative aggregate's tests: YAML configs read the way
// the gateway reads them, aggregates made the way the gateway makes them, and
// a tiny in-memory stream to run a command lifecycle through decide/apply.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config_document.h"
#include "config/schema_check.h"
#include "herald/plugin.h"
#include "options.h"
#include "support/plugin_config.h"

namespace herald::plugins::declarative::tests {

// YAML text to JSON, typed like the gateway types herald.yaml.
inline Json yaml(const std::string& text) {
  return gateway::ConfigDocument::from_string(text, "test.yaml").root();
}

// What the gateway does before the factory: schema check (defaults filled in)
// and then, when that is clean, the plugin's validate().
inline std::vector<ConfigIssue> startup_issues(const std::string& config_yaml) {
  Json config = yaml(config_yaml);
  return herald::testing::startup_issues(config, config_schema(), validate_config);
}

// The aggregate as the gateway makes it; fails the test on config problems.
inline std::shared_ptr<Aggregate> make(const std::string& config_yaml) {
  Json config = yaml(config_yaml);
  auto issues = gateway::check_against_schema(config, config_schema());
  for (const auto& i : issues)
    ADD_FAILURE() << i.path << ": " << i.message << " (" << i.hint << ")";
  PluginContext context{"Test", config, nullptr, nullptr};
  try {
    return make_aggregate(context);
  } catch (const ConfigError& e) {
    for (const auto& i : e.issues()) {
      ADD_FAILURE() << i.path << ": " << i.message << " (" << i.hint << ")";
    }
  }
  return nullptr;
}

// The User aggregate's section of config/herald.yaml as written; nullopt
// when the file has none.
inline std::optional<gateway::AggregateSection> default_user_section() {
  for (auto& section : herald::testing::default_config().aggregates) {
    if (section.type == "User") return section;
  }
  return std::nullopt;
}

inline std::string describe(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += "\n  " + i.path + ": " + i.message + " [" + i.hint + "]";
  return out;
}

// The issue at `path`, or nullptr.
inline const ConfigIssue* issue_at(const std::vector<ConfigIssue>& issues,
                                   const std::string& path) {
  for (const auto& i : issues) {
    if (i.path == path) return &i;
  }
  return nullptr;
}

inline Command command(const std::string& type, Json data = Json::object(),
                       const std::string& id = "u1", const std::string& aggregate = "User") {
  Command c;
  c.id = "cmd-1";
  c.target = {aggregate, id};
  c.type = type;
  c.data = std::move(data);
  return c;
}

// One stream in memory: decide, then fold what was decided, as the gateway does.
class Stream {
 public:
  explicit Stream(std::shared_ptr<Aggregate> aggregate, std::string id = "u1",
                  std::string type = "User")
      : aggregate_(std::move(aggregate)), id_(std::move(id)), type_(std::move(type)) {
    state_.state = aggregate_->initial_state();
  }

  Decision run(const std::string& command_type, Json data = Json::object(),
               Metadata metadata = {}) {
    Command c = command(command_type, std::move(data), id_, type_);
    c.metadata = std::move(metadata);
    Decision d = aggregate_->decide(state_, c);
    if (d.kind != Decision::Kind::kAccepted) return d;
    for (const auto& e : d.events) {
      RecordedEvent r;
      r.id = "event-" + std::to_string(state_.version + 1);
      r.stream = {type_, id_};
      r.type = e.type;
      r.schema_version = e.schema_version;
      r.version = state_.version + 1;
      r.position = static_cast<Position>(r.version + 1);
      r.timestamp = kBaseTime + r.version * 1000000;
      r.data = e.data;
      r.metadata = c.metadata;
      Status s = aggregate_->apply(state_.state, r);
      EXPECT_TRUE(s.is_ok()) << s.message();
      state_.version = r.version;
      events_.push_back(std::move(r));
    }
    return d;
  }

  const Json& state() const { return state_.state; }
  const AggregateState& current() const { return state_; }
  const std::vector<RecordedEvent>& events() const { return events_; }

  // 2026-11-26T21:28:07Z
  static constexpr TimestampUs kBaseTime = 1795728487000000;

 private:
  std::shared_ptr<Aggregate> aggregate_;
  std::string id_;
  std::string type_;
  AggregateState state_;
  std::vector<RecordedEvent> events_;
};

}  // namespace herald::plugins::declarative::tests
