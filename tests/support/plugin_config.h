// For plugin tests: config/herald.yaml as the gateway reads it; what the
// gateway does with a plugin's `config:` before it calls the factory (the
// schema check, which fills in defaults, then, when that is clean, the
// plugin's own check); and a loop over randomly edited configs through
// those checks.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "config/schema_check.h"
#include "herald/config_schema.h"
#include "support/json_mutator.h"
#include "support/test_seed.h"

namespace herald::testing {

// The embedded default config, config/herald.yaml, parsed by the gateway
// (plugin sections as written: no plugin schema applied yet).
inline gateway::GatewayConfig default_config() {
  return gateway::parse_gateway_config(
      gateway::ConfigDocument::from_file(HERALD_SOURCE_DIR "/config/herald.yaml"));
}

using PluginCheck = std::function<std::vector<ConfigIssue>(const Json&)>;

inline std::vector<ConfigIssue> startup_issues(Json& config, const ConfigSchema& schema,
                                               const PluginCheck& plugin_check) {
  std::vector<ConfigIssue> issues = gateway::check_against_schema(config, schema);
  if (issues.empty()) issues = plugin_check(config);
  return issues;
}

struct EditedConfigs {
  int refused = 0;  // with issues, each saying what is wrong
  int passed = 0;   // handed to the test's check
};

// `rounds` randomly edited copies of `bases` (taken in turn; seed 1127 or
// HERALD_TEST_SEED) through startup_issues(): a refused one must say what is
// wrong; one that passes goes to `check` with its defaults filled in and its
// text for messages. Stops at the first failure.
inline EditedConfigs check_edited_configs(
    const std::vector<Json>& bases, int rounds, const ConfigSchema& schema,
    const PluginCheck& plugin_check,
    const std::function<void(const Json& config, const std::string& shown)>& check) {
  EditedConfigs out;
  JsonMutator mutator(test_seed(1127));
  for (int round = 0; round < rounds && !::testing::Test::HasFailure(); ++round) {
    Json config = mutator.mutate(bases[static_cast<std::size_t>(round) % bases.size()]);
    const std::string shown = config.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::vector<ConfigIssue> issues;
    try {
      issues = startup_issues(config, schema, plugin_check);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the checks threw " << e.what() << "\n" << shown;
      break;
    }
    if (!issues.empty()) {
      ++out.refused;
      for (const auto& i : issues) EXPECT_FALSE(i.message.empty()) << i.path << "\n" << shown;
      continue;
    }
    ++out.passed;
    check(config, shown);
  }
  return out;
}

}  // namespace herald::testing
