// The seed's users read model end to end: the User aggregate's events go
// through a store and a subscription-like loop into the projection, which
// answers get, list and search; and order summaries span aggregates. Plus
// readers running concurrently with apply().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "herald/testing/fake_store.h"
#include "test_support.h"
#include "users_config.h"

namespace herald::plugins::document {
namespace {

using ::testing::ElementsAre;
using testing::kUsersConfig;
using testing::make_projection;

std::vector<std::string> ids(const QueryPage& page) {
  std::vector<std::string> out;
  for (const auto& item : page.items) out.push_back(item.at("id").get<std::string>());
  return out;
}

class UsersReadModelTest : public ::testing::Test {
 protected:
  void append(const std::string& stream, const std::string& type, Json data) {
    AppendRequest r;
    r.stream = {"User", stream};
    NewEvent e;
    e.id = "e" + std::to_string(++next_id_);
    e.type = type;
    e.data = std::move(data);
    r.events.push_back(std::move(e));
    ASSERT_TRUE(store_.append(r).status.is_ok());
  }

  // What the gateway's subscription does: read the log after the
  // projection's position, filtered by `from: [User]`, and apply in order.
  void catch_up(DocumentProjection& p, Position after) {
    EventFilter filter;
    filter.stream_types = {"User"};
    while (true) {
      auto slice = store_.read_all(after, 2, filter);
      ASSERT_TRUE(slice.is_ok());
      for (const auto& e : slice->events) ASSERT_TRUE(p.apply(e).is_ok());
      if (slice->next_after == after) return;
      after = slice->next_after;
    }
  }

  void seed() {
    append("u1", "UserCreated", {{"name", "Alice Smith"}, {"email", "alice@example.com"}});
    append("u2", "UserCreated", {{"name", "Bob Jones"}, {"email", "bob@example.com"}});
    append("u3", "UserCreated", {{"name", "Charlie Brown"}, {"email", "charlie@example.com"}});
    append("u2", "UserUpdated", {{"email", "robert@example.com"}});
    append("u3", "UserDeactivated", {{"reason", "left"}});
  }

  herald::testing::FakeEventStore store_;
  int next_id_ = 0;
};

TEST_F(UsersReadModelTest, GetListAndSearchTheSeedsUsers) {
  seed();
  auto p = make_projection(kUsersConfig);
  catch_up(*p, 0);
  EXPECT_EQ(p->position(), 5u);

  Json u2 = p->get("u2")->value();
  EXPECT_EQ(u2["id"], "u2");
  EXPECT_EQ(u2["name"], "Bob Jones");  // UserUpdated had no name: left alone
  EXPECT_EQ(u2["email"], "robert@example.com");
  EXPECT_EQ(u2["active"], true);
  EXPECT_TRUE(u2["created_at"].get<std::string>().ends_with("Z"));

  Json u3 = p->get("u3")->value();
  EXPECT_EQ(u3["active"], false);
  EXPECT_EQ(u3["deactivation_reason"], "left");
  EXPECT_FALSE(p->get("u4")->has_value());

  // List: sorted by name (the configured default), paged.
  Query q;
  q.limit = 2;
  QueryPage page = *p->query(q);
  EXPECT_THAT(ids(page), ElementsAre("u1", "u2"));
  EXPECT_EQ(page.total, 3u);
  q.offset = 2;
  page = *p->query(q);
  EXPECT_THAT(ids(page), ElementsAre("u3"));
  EXPECT_EQ(page.total, 3u);

  // q=Charlie and q=charlie.
  for (const char* text : {"Charlie", "charlie", "BROWN"}) {
    Query search;
    search.text = text;
    page = *p->query(search);
    EXPECT_THAT(ids(page), ElementsAre("u3")) << text;
    EXPECT_EQ(page.total, 1u);
    EXPECT_EQ(page.items[0]["name"], "Charlie Brown");
  }
  Query active;
  active.equals = {{"active", "true"}};
  EXPECT_THAT(ids(*p->query(active)), ElementsAre("u1", "u2"));

  // Reactivation drops the reason.
  append("u3", "UserActivated", Json::object());
  catch_up(*p, p->position());
  EXPECT_EQ(p->get("u3")->value(), Json::parse(R"({"id": "u3", "name": "Charlie Brown",
      "email": "charlie@example.com", "active": true, "created_at": ")" +
                                               u3["created_at"].get<std::string>() + "\"}"));
}

TEST_F(UsersReadModelTest, ReplayingTheWholeLogAgainChangesNothing) {
  seed();
  auto p = make_projection(kUsersConfig);
  catch_up(*p, 0);
  QueryPage before = *p->query({});
  catch_up(*p, 0);  // a crash lost the checkpoint: everything comes again
  QueryPage after = *p->query({});
  EXPECT_EQ(after.items, before.items);
  EXPECT_EQ(p->stats().duplicates, 5u);
  // A rebuild (fresh instance from position 0) reaches the same model.
  auto rebuilt = make_projection(kUsersConfig);
  catch_up(*rebuilt, 0);
  EXPECT_EQ(rebuilt->query({})->items, before.items);
}

TEST(OrderSummariesTest, OrdersPerUserSpanAggregates) {
  auto p = make_projection(R"({"on": {
      "OrderCreated": {"id": "$event.data.user_id",
                       "increment": {"order_count": 1, "total_spent": "$event.data.total"},
                       "append": {"order_ids": "$stream.id"},
                       "set": {"user_id": "$event.data.user_id",
                               "last_order_at": "$event.timestamp"}},
      "OrderCancelled": {"id": "$event.data.user_id", "upsert": false,
                         "decrement": {"order_count": 1, "total_spent": "$event.data.total"},
                         "pull": {"order_ids": "$stream.id"},
                         "increment": {"cancelled_count": 1}}}})");
  testing::EventLog log;
  ASSERT_TRUE(
      p->apply(log.next("Order", "o1", "OrderCreated", {{"user_id", "u1"}, {"total", 19.5}}))
          .is_ok());
  ASSERT_TRUE(p->apply(log.next("Order", "o2", "OrderCreated", {{"user_id", "u1"}, {"total", 0.5}}))
                  .is_ok());
  ASSERT_TRUE(
      p->apply(log.next("Order", "o3", "OrderCreated", {{"user_id", "u2"}, {"total", 7}})).is_ok());
  ASSERT_TRUE(
      p->apply(log.next("Order", "o2", "OrderCancelled", {{"user_id", "u1"}, {"total", 0.5}}))
          .is_ok());
  ASSERT_TRUE(p->apply(log.next("Order", "o9", "OrderCancelled", {{"user_id", "u9"}, {"total", 1}}))
                  .is_ok());
  Json u1 = p->get("u1")->value();
  EXPECT_EQ(u1["order_count"], 1);
  EXPECT_DOUBLE_EQ(u1["total_spent"].get<double>(), 19.5);
  EXPECT_EQ(u1["order_ids"], Json::parse(R"(["o1"])"));
  EXPECT_EQ(u1["cancelled_count"], 1);
  EXPECT_FALSE(p->get("u9")->has_value());  // upsert: false
  Query q;
  q.sort = "total_spent";
  q.descending = true;
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("u1", "u2"));
  q = {};
  q.equals = {{"order_ids", "o3"}};
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("u2"));
}

TEST(DocumentConcurrencyTest, ReadersRunWhileTheSubscriptionApplies) {
  auto p = make_projection(kUsersConfig);
  constexpr int kUsers = 3000;
  std::atomic<bool> done{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::size_t last_total = 0;
      while (!done.load()) {
        Query q;
        q.limit = 10;
        q.text = r == 0 ? "user 1" : "";
        q.sort = r == 1 ? "email" : "";
        auto page = p->query(q);
        ASSERT_TRUE(page.is_ok());
        if (r == 2) {
          // Users are only ever added: the total never goes down.
          EXPECT_GE(page->total, last_total);
          last_total = page->total;
        }
        auto one = p->get("u" + std::to_string(r * 7));
        ASSERT_TRUE(one.is_ok());
        if (one->has_value()) {
          EXPECT_EQ((**one)["id"], "u" + std::to_string(r * 7));
        }
        ++reads;
      }
    });
  }
  testing::EventLog log;
  for (int i = 0; i < kUsers; ++i) {
    std::string id = "u" + std::to_string(i);
    ASSERT_TRUE(
        p->apply(log.user(id, "UserCreated",
                          {{"name", "User " + std::to_string(i)}, {"email", id + "@example.com"}}))
            .is_ok());
    ASSERT_TRUE(
        p->apply(log.user(id, "UserUpdated", {{"name", "user " + std::to_string(i)}})).is_ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(p->size(), static_cast<std::size_t>(kUsers));
  EXPECT_EQ(p->position(), static_cast<Position>(2 * kUsers));
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace herald::plugins::document
