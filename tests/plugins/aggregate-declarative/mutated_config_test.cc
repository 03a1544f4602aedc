// The seed's User config after random edits an operator could make (a key
// misspelt or dropped, a value of the wrong type, an expression's text
// mangled): the gateway's schema check and the plugin's validate() refuse
// it with issues, or the aggregate is made and runs the whole user
// lifecycle without an exception. What validate() passes, the factory
// accepts: `herald check` saying ok and the start failing would be a lie.
#include <gtest/gtest.h>

#include "support/plugin_config.h"
#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

TEST(MutatedUserConfig, IsRefusedWithIssuesOrRunsTheLifecycle) {
  const std::optional<gateway::AggregateSection> section = default_user_section();
  if (!section || section->plugin != "declarative")
    GTEST_SKIP() << "config/herald.yaml does not describe User with `declarative`";
  const Json base = section->config;
  auto counts = herald::testing::check_edited_configs(
      {base}, 1500, config_schema(), validate_config,
      [](const Json& config, const std::string& shown) {
        std::shared_ptr<Aggregate> aggregate;
        try {
          aggregate = make_aggregate(PluginContext{"User", config, nullptr, nullptr});
        } catch (const ConfigError& e) {
          FAIL() << "validate() passed what the factory refused: " << describe(e.issues()) << "\n"
                 << shown;
        } catch (const std::exception& e) {
          FAIL() << "the factory threw " << e.what() << "\n" << shown;
        }
        ASSERT_NE(aggregate, nullptr) << shown;
        // Whatever the rules now say, deciding and folding never throw, and
        // what is decided folds (Stream checks each apply).
        Stream stream(aggregate);
        try {
          stream.run("CreateUser", {{"name", "Alice Johnson"}, {"email", "alice@example.com"}});
          stream.run("UpdateUser", {{"name", "Alice J."}});
          stream.run("UpdateUser", {{"email", 5}, {"name", nullptr}});
          stream.run("DeactivateUser");
          stream.run("ActivateUser", {{"reason", Json::array()}});
          stream.run("CreateUser", Json::object());
        } catch (const std::exception& e) {
          FAIL() << "decide or apply threw " << e.what() << "\n" << shown;
        }
        ASSERT_FALSE(::testing::Test::HasFailure()) << "with the config\n" << shown;
      });
  EXPECT_GT(counts.refused, 100);
  EXPECT_GT(counts.passed, 100);
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
