// The default config's read models after random edits an operator could
// make (a key misspelt or dropped, a value of the wrong type, an
// expression's text mangled): the gateway's schema check and the plugin's
// check refuse them with issues, or the model compiles, applies User and
// Order events (odd ones too) without failing, as apply() promises, and
// answers queries without an exception.
#include <gtest/gtest.h>

#include "support/plugin_config.h"
#include "test_support.h"

namespace herald::plugins::document::testing {
namespace {

std::vector<Json> default_models() {
  std::vector<Json> out;
  for (auto& section : herald::testing::default_config().projections) {
    if (section.plugin == "document") out.push_back(section.config);
  }
  return out;
}

std::vector<RecordedEvent> events() {
  EventLog log;
  std::vector<RecordedEvent> out;
  out.push_back(log.user("u1", "UserCreated", {{"name", "Alice"}, {"email", "a@example.com"}}));
  out.push_back(log.user("u2", "UserCreated", {{"name", "bob"}, {"email", "b@example.com"}}));
  out.push_back(log.user("u1", "UserUpdated", {{"name", "Alice J."}}));
  out.push_back(log.user("u2", "UserUpdated", {{"name", 5}, {"email", nullptr}}));
  out.push_back(log.user("u1", "UserDeactivated", {{"reason", Json::array({1})}}));
  out.push_back(log.user("u1", "UserActivated"));
  out.push_back(log.next("Order", "o1", "OrderCreated",
                         {{"user_id", "u1"}, {"total", 19.5}, {"items", Json::array()}}));
  out.push_back(log.next("Order", "o2", "OrderCreated", {{"user_id", 7}, {"total", "lots"}}));
  out.push_back(log.next("Order", "o1", "OrderPaid"));
  out.push_back(log.next("Order", "o1", "OrderCancelled", {{"total", 19.5}}));
  out.push_back(log.next("Order", "o3", "OrderCancelled", Json::object()));
  return out;
}

TEST(MutatedDocumentConfig, IsRefusedWithIssuesOrAppliesAndAnswers) {
  const std::vector<Json> bases = default_models();
  ASSERT_FALSE(bases.empty()) << "config/herald.yaml has no document projection";
  const std::vector<RecordedEvent> log = events();
  auto counts = herald::testing::check_edited_configs(
      bases, 1500, config_schema(), check_config,
      [&log](const Json& config, const std::string& shown) {
        std::unique_ptr<DocumentProjection> model;
        try {
          model = make_projection(config);
        } catch (const ConfigError& e) {
          FAIL() << "check_config() passed what compile_config() refused: " << e.what() << "\n"
                 << shown;
        } catch (const std::exception& e) {
          FAIL() << "compiling threw " << e.what() << "\n" << shown;
        }
        for (const auto& e : log) {
          const Status s = model->apply(e);
          ASSERT_TRUE(s.is_ok()) << e.type << " at " << e.position << ": " << s.message() << "\n"
                                 << shown;
        }
        try {
          for (const char* id : {"u1", "u2", "o1", "7"}) (void)model->get(id);
          Query q;
          (void)model->query(q);
          q.sort = "name";
          q.descending = true;
          (void)model->query(q);
          q.sort = "order_count";
          q.equals = {{"active", "true"}};
          (void)model->query(q);
          q.text = "ali";
          q.offset = 1;
          (void)model->query(q);
        } catch (const std::exception& e) {
          FAIL() << "a query threw " << e.what() << "\n" << shown;
        }
      });
  EXPECT_GT(counts.refused, 100);
  EXPECT_GT(counts.passed, 100);
}

}  // namespace
}  // namespace herald::plugins::document::testing
