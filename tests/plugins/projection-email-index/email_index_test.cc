// The example C++ projection, loaded from its shipped .so and fed through a
// real subscription from the SDK's FakeEventStore.
#include <gtest/gtest.h>

#include "herald/testing/fake_store.h"
#include "loader/plugin_loader.h"
#include "subscriptions/subscription.h"

namespace herald::gateway {
namespace {

using namespace std::chrono_literals;

void append(EventStore& store, const std::string& id, const std::string& type, Json data) {
  AppendRequest r;
  r.stream = {"User", id};
  r.events.push_back(NewEvent{id + type + std::to_string(std::rand()), type, 1, std::move(data), {}});
  ASSERT_TRUE(store.append(r).status.is_ok());
}

TEST(EmailIndexExample, IndexesUsersByEmailThroughASubscription) {
  PluginLoader loader({HERALD_PLUGIN_DIR});
  auto plugin = loader.load("email-index", PluginKind::kProjection);
  PluginContext ctx{"emails", {{"include_inactive", false}}, nullptr, nullptr};
  auto projection = keep_loaded(plugin->descriptor->make_projection(ctx), plugin);

  herald::testing::FakeEventStore store;
  append(store, "u1", "UserCreated", {{"name", "Alice"}, {"email", "Alice@Example.com"}});
  append(store, "u2", "UserCreated", {{"name", "Bob"}, {"email", "bob@example.com"}});
  append(store, "u1", "UserUpdated", {{"email", "alice@new.example"}});
  append(store, "u2", "UserDeactivated", Json::object());

  UpcasterChain none;
  Subscription sub(store, none, {"emails", {{"User"}, {}}, 0, 512, 100000}, projection);
  sub.start();
  ASSERT_TRUE(sub.wait_for(4, 5s));
  EXPECT_FALSE(projection->get("alice@example.com")->has_value());  // changed address
  auto alice = projection->get("ALICE@new.example");
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ((**alice)["user_id"], "u1");
  EXPECT_FALSE(projection->get("bob@example.com")->has_value());  // deactivated

  append(store, "u2", "UserActivated", Json::object());
  ASSERT_TRUE(sub.wait_for(5, 5s));
  EXPECT_TRUE(projection->get("bob@example.com")->has_value());
  Query q;
  q.text = "example";
  EXPECT_EQ(projection->query(q)->total, 2u);
  sub.stop();
}

}  // namespace
}  // namespace herald::gateway
