// Subscriptions and the projection registry against the SDK's FakeEventStore:
// order, at-least-once, filters, failure reporting, read-your-writes waits
// and live rebuilds.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "herald/testing/fake_store.h"
#include "subscriptions/projection_registry.h"

namespace herald::gateway {
namespace {

using namespace std::chrono_literals;
using herald::testing::FakeEventStore;

// Records what it was given; can be told to fail or ask for retries.
class Recorder final : public Projection {
 public:
  Status apply(const RecordedEvent& e) override {
    std::unique_lock lock(mutex_);
    if (e.position <= position_) return Status::ok();
    if (fail_at_ == e.position) return Status::failed("refusing event at " + std::to_string(e.position));
    if (retries_left_ > 0) {
      --retries_left_;
      return Status::retry("not now");
    }
    seen_.push_back(e);
    position_ = e.position;
    return Status::ok();
  }
  Position position() const override {
    std::shared_lock lock(mutex_);
    return position_;
  }
  Result<std::optional<Json>> get(const std::string& id) const override {
    std::shared_lock lock(mutex_);
    for (const auto& e : seen_) {
      if (e.stream.id == id) return std::optional<Json>(Json{{"type", e.type}});
    }
    return std::optional<Json>();
  }
  Result<QueryPage> query(const Query&) const override {
    std::shared_lock lock(mutex_);
    QueryPage page;
    for (const auto& e : seen_) page.items.push_back(Json{{"position", e.position}, {"type", e.type}});
    page.total = page.items.size();
    return page;
  }
  std::vector<RecordedEvent> seen() const {
    std::shared_lock lock(mutex_);
    return seen_;
  }

  Position fail_at_ = 0;
  int retries_left_ = 0;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<RecordedEvent> seen_;
  Position position_ = 0;
};

void append(FakeEventStore& store, const std::string& type, const std::string& id,
            const std::string& event_type) {
  AppendRequest r;
  r.stream = {type, id};
  r.events.push_back(NewEvent{id + event_type + std::to_string(std::rand()), event_type, 1,
                              {{"n", 1}}, {}});
  ASSERT_TRUE(store.append(r).status.is_ok());
}

bool eventually(const std::function<bool()>& cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

TEST(Subscription, DeliversMatchingEventsInOrderAndSkipsOthers) {
  FakeEventStore store;
  UpcasterChain none;
  for (int i = 0; i < 10; ++i) {
    append(store, i % 2 ? "User" : "Order", "s" + std::to_string(i), i % 3 ? "A" : "B");
  }
  auto rec = std::make_shared<Recorder>();
  Subscription::Options o;
  o.name = "users";
  o.filter.stream_types = {"User"};
  o.batch_size = 3;
  Subscription sub(store, none, o, rec);
  sub.start();
  ASSERT_TRUE(sub.wait_for(10, 5s));
  EXPECT_TRUE(eventually([&] { return sub.caught_up(); }));
  auto seen = rec->seen();
  ASSERT_EQ(seen.size(), 5u);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1].position, seen[i].position);
  for (const auto& e : seen) EXPECT_EQ(e.stream.type, "User");

  // Live: new events arrive without polling delays worth noticing.
  append(store, "User", "late", "A");
  EXPECT_TRUE(sub.wait_for(11, 5s));
  EXPECT_EQ(rec->seen().back().stream.id, "late");
  auto status = sub.status();
  EXPECT_EQ(status["lag"], 0);
  EXPECT_EQ(status["state"], "live");
  sub.stop();
}

TEST(Subscription, FilterByStreamTypeOrEventType) {
  FakeEventStore store;
  UpcasterChain none;
  append(store, "User", "u", "UserCreated");
  append(store, "Order", "o", "OrderCreated");
  append(store, "Order", "o", "OrderPaid");
  auto rec = std::make_shared<Recorder>();
  Subscription::Options o;
  o.name = "mixed";
  o.filter.stream_types = {"User"};
  o.filter.event_types = {"OrderPaid"};
  Subscription sub(store, none, o, rec);
  sub.start();
  ASSERT_TRUE(sub.wait_for(3, 5s));
  auto seen = rec->seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, "UserCreated");
  EXPECT_EQ(seen[1].type, "OrderPaid");
}

TEST(Subscription, AFailingEventStopsItAndSaysWhere) {
  FakeEventStore store;
  UpcasterChain none;
  for (int i = 0; i < 5; ++i) append(store, "User", "u" + std::to_string(i), "A");
  auto rec = std::make_shared<Recorder>();
  rec->fail_at_ = 3;
  Subscription sub(store, none, {"users", {}, 0, 512, 100000}, rec);
  sub.start();
  EXPECT_FALSE(sub.wait_for(5, 2s));
  EXPECT_EQ(sub.state(), Subscription::State::kFailed);
  EXPECT_EQ(sub.position(), 2u);
  auto status = sub.status();
  EXPECT_EQ(status["state"], "failed");
  EXPECT_EQ(status["error"]["position"], 3);
  EXPECT_NE(status["error"]["message"].get<std::string>().find("refusing event at 3"), std::string::npos);
  EXPECT_EQ(rec->seen().size(), 2u);  // nothing after the failure was skipped over
}

TEST(Subscription, RetriesAnEventUntilItIsApplied) {
  FakeEventStore store;
  UpcasterChain none;
  append(store, "User", "u", "A");
  auto rec = std::make_shared<Recorder>();
  rec->retries_left_ = 2;
  Subscription sub(store, none, {"users", {}, 0, 512, 100000}, rec);
  sub.start();
  EXPECT_TRUE(sub.wait_for(1, 5s));
  EXPECT_EQ(rec->seen().size(), 1u);
}

TEST(Subscription, StoreOutagesAreRetriedNotSkipped) {
  FakeEventStore store;
  UpcasterChain none;
  for (int i = 0; i < 3; ++i) append(store, "User", "u" + std::to_string(i), "A");
  store.fail_next(Status::retry("connection refused"), 3);
  auto rec = std::make_shared<Recorder>();
  Subscription sub(store, none, {"users", {}, 0, 512, 100000}, rec);
  sub.start();
  EXPECT_TRUE(sub.wait_for(3, 10s));
  EXPECT_EQ(rec->seen().size(), 3u);
}

// A store that throws (a plugin's bug, bad_alloc) stops the subscription
// with the reason; out of its thread the exception would end the process.
TEST(Subscription, AStoreThatThrowsStopsItNotTheProcess) {
  class ThrowingStore final : public FakeEventStore {
   public:
    Result<ReadSlice> read_all(Position, std::size_t, const EventFilter&) override {
      throw std::runtime_error("the plugin broke");
    }
  };
  ThrowingStore store;
  UpcasterChain none;
  append(store, "User", "u", "A");
  auto rec = std::make_shared<Recorder>();
  Subscription sub(store, none, {"users", {}, 0, 512, 100000}, rec);
  sub.start();
  ASSERT_TRUE(eventually([&] { return sub.state() == Subscription::State::kFailed; }));
  EXPECT_NE(sub.status()["error"]["message"].get<std::string>().find("the plugin broke"),
            std::string::npos)
      << sub.status().dump();
  sub.stop();
}

// Until a read says where the head is, a subscription is not live: a store
// whose head() failed made it live at position 0, and a rebuild's watcher
// would have swapped in its still empty model.
TEST(Subscription, NotLiveBeforeItKnowsWhereTheHeadIs) {
  // head() fails; the first read takes until the test lets it go.
  class NoHeadStore final : public FakeEventStore {
   public:
    Result<Position> head() override { return Status::retry("connection refused"); }
    Result<ReadSlice> read_all(Position after, std::size_t limit,
                               const EventFilter& filter) override {
      {
        std::unique_lock lock(gate_);
        reading_ = true;
        opened_.notify_all();
        opened_.wait(lock, [&] { return open_; });
      }
      return FakeEventStore::read_all(after, limit, filter);
    }
    void wait_for_a_read() {
      std::unique_lock lock(gate_);
      opened_.wait(lock, [&] { return reading_; });
    }
    void let_reads_through() {
      std::lock_guard lock(gate_);
      open_ = true;
      opened_.notify_all();
    }

   private:
    std::mutex gate_;
    std::condition_variable opened_;
    bool reading_ = false;
    bool open_ = false;
  };
  NoHeadStore store;
  UpcasterChain none;
  for (int i = 0; i < 3; ++i) append(store, "User", "u" + std::to_string(i), "A");
  auto rec = std::make_shared<Recorder>();
  Subscription sub(store, none, {"users", {}, 0, 512, 100000}, rec);
  sub.start();
  store.wait_for_a_read();
  EXPECT_FALSE(sub.caught_up()) << sub.status().dump();
  store.let_reads_through();
  EXPECT_TRUE(sub.wait_for(3, 20s));
  EXPECT_TRUE(eventually([&] { return sub.caught_up(); }));
  EXPECT_EQ(rec->seen().size(), 3u);
  sub.stop();
}

// A rebuild's swap stops the replaced subscription while the gateway's stop
// may stop it too: two joins of one thread threw, out of a thread.
TEST(Subscription, StopFromTwoThreadsAtOnce) {
  FakeEventStore store;
  UpcasterChain none;
  append(store, "User", "u", "A");
  for (int round = 0; round < 20; ++round) {
    auto rec = std::make_shared<Recorder>();
    Subscription sub(store, none, {"users", {}, 0, 512, 100000, 5ms}, rec);
    sub.start();
    std::thread other([&] { sub.stop(); });
    sub.stop();
    other.join();
    EXPECT_EQ(sub.state(), Subscription::State::kStopped);
  }
}

// A subscription on event types takes the types as the projection knows
// them, after upcasting: old events an upcaster renames to a type it takes
// are delivered (they were skipped, matched by the type as stored), and
// those renamed away from it are not.
TEST(Subscription, EventTypesAreMatchedAfterUpcasting) {
  FakeEventStore store;
  UpcasterChain upcasters;
  // A v1 -> B v2; C v1 -> D v2.
  upcasters.add(
      std::make_shared<DeclarativeUpcaster>("A", 1, 2, std::map<std::string, std::string>{},
                                            Json::object(), std::vector<std::string>{}, "B"));
  upcasters.add(
      std::make_shared<DeclarativeUpcaster>("C", 1, 2, std::map<std::string, std::string>{},
                                            Json::object(), std::vector<std::string>{}, "D"));
  append(store, "User", "u1", "A");  // 1: becomes B
  append(store, "User", "u2", "B");  // 2
  append(store, "User", "u3", "C");  // 3: becomes D
  append(store, "User", "u4", "X");  // 4
  auto rec = std::make_shared<Recorder>();
  Subscription::Options o;
  o.name = "bs";
  o.filter.event_types = {"B", "C"};
  Subscription sub(store, upcasters, o, rec);
  sub.start();
  ASSERT_TRUE(sub.wait_for(4, 5s));
  auto seen = rec->seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].position, 1u);
  EXPECT_EQ(seen[0].type, "B");
  EXPECT_EQ(seen[0].schema_version, 2);
  EXPECT_EQ(seen[1].position, 2u);
  // Live too.
  append(store, "User", "u5", "A");
  ASSERT_TRUE(sub.wait_for(5, 5s));
  EXPECT_EQ(rec->seen().back().position, 5u);
  sub.stop();
}

TEST(Subscription, WaitForTimesOutWhenBehind) {
  FakeEventStore store;
  UpcasterChain none;
  auto rec = std::make_shared<Recorder>();
  Subscription sub(store, none, {"users", {}, 0, 512, 100000}, rec);
  sub.start();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub.wait_for(1, 200ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
}

// A subscription on some types sleeps through the appends of others (the
// store wakes it for its own only) and still answers read-your-writes waits
// for positions among those others at once, and says it is not behind.
TEST(Subscription, ATypeFilteredSubscriptionAnswersWaitsForOtherTypesPositions) {
  FakeEventStore store;
  UpcasterChain none;
  auto rec = std::make_shared<Recorder>();
  Subscription::Options options{"orders", {{"Order"}, {}}, 0, 512, 100000};
  options.idle_wait = 2s;  // it would move past the User events only this late
  Subscription sub(store, none, options, rec);
  sub.start();
  append(store, "Order", "o1", "OrderCreated");
  ASSERT_TRUE(sub.wait_for(1, 5s));
  for (int i = 0; i < 50; ++i) append(store, "User", "u" + std::to_string(i), "UserCreated");

  EXPECT_TRUE(sub.wait_for(51, 500ms)) << "a wait for a position it has nothing to apply up to";
  const Json status = sub.status();
  EXPECT_EQ(status["position"], 51);
  EXPECT_EQ(status["lag"], 0);
  EXPECT_FALSE(sub.wait_for(52, 50ms)) << "a position that does not exist yet";

  // Its own events still wake it at once, and a wait covers them.
  append(store, "User", "u50", "UserCreated");
  append(store, "Order", "o2", "OrderCreated");
  EXPECT_TRUE(sub.wait_for(53, 1s));
  ASSERT_EQ(rec->seen().size(), 2u);
  EXPECT_EQ(rec->seen()[1].position, 53u);
}

TEST(ProjectionRegistry, RebuildBuildsAFreshModelThatEqualsTheLiveOne) {
  FakeEventStore store;
  UpcasterChain none;
  for (int i = 0; i < 200; ++i) append(store, "User", "u" + std::to_string(i % 17), i % 2 ? "A" : "B");
  ProjectionRegistry registry(store, none);
  int made = 0;
  ProjectionRegistry::Factory factory = [&] {
    ++made;
    return std::make_shared<Recorder>();
  };
  registry.add("recorder", {}, factory, factory());
  registry.start();
  auto live = registry.find("recorder");
  ASSERT_TRUE(live);
  ASSERT_TRUE(live->subscription->wait_for(200, 5s));
  auto before = live->projection->query({})->items;

  ASSERT_EQ(registry.rebuild("recorder"), ProjectionRegistry::RebuildStart::kStarted);
  EXPECT_TRUE(eventually([&] { return registry.find("recorder")->projection != live->projection; }));
  EXPECT_EQ(made, 2);
  auto rebuilt = registry.find("recorder");
  EXPECT_TRUE(eventually([&] { return !registry.status("recorder").contains("rebuild"); }));
  EXPECT_EQ(rebuilt->projection->query({})->items, before);
  EXPECT_EQ(registry.status("recorder")["rebuilds"], 1);

  // The rebuilt model is live: it takes new events.
  append(store, "User", "new", "A");
  EXPECT_TRUE(registry.find("recorder")->subscription->wait_for(201, 5s));
  EXPECT_EQ(registry.find("recorder")->projection->query({})->total, 201u);
  EXPECT_EQ(registry.rebuild("nope"), ProjectionRegistry::RebuildStart::kUnknown);
  registry.stop();
}

}  // namespace
}  // namespace herald::gateway
