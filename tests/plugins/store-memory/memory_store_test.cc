// The EventStore contract, call by call, against a store with a log file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "test_support.h"

namespace herald::plugins::memory {
namespace {

using namespace std::chrono_literals;
using testing::CapturedLog;
using testing::event;
using ::testing::HasSubstr;
using testing::request;
using testing::TempDir;
using testing::user;

class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::open_store(testing::options(dir_.file("events.log"))); }

  AppendResult append(const StreamId& s, ExpectedVersion e, std::vector<NewEvent> events) {
    return store_->append(request(s, e, std::move(events)));
  }
  AppendResult append_one(const StreamId& s, ExpectedVersion e,
                          const std::string& type = "UserCreated") {
    return append(s, e, {event(type)});
  }

  TempDir dir_;
  std::unique_ptr<MemoryStore> store_;
};

TEST_F(MemoryStoreTest, AnyAppendsWhateverTheVersion) {
  auto r = append_one(user("u1"), ExpectedVersion::any());
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.current_version, 0);
  r = append_one(user("u1"), ExpectedVersion::any());
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.current_version, 1);
  EXPECT_FALSE(r.duplicate);
}

TEST_F(MemoryStoreTest, NoStreamSucceedsOnceThenConflictsWithTheCurrentVersion) {
  auto r = append_one(user("u1"), ExpectedVersion::no_stream());
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.current_version, 0);
  r = append(user("u1"), ExpectedVersion::no_stream(), {event("A"), event("B")});
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  EXPECT_EQ(r.current_version, 0);
  EXPECT_THAT(r.status.message(), HasSubstr("User/u1 is at version 0"));
  EXPECT_TRUE(r.events.empty());
}

TEST_F(MemoryStoreTest, StreamExistsConflictsOnANewStreamThenSucceeds) {
  auto r = append_one(user("u1"), ExpectedVersion::stream_exists());
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  EXPECT_EQ(r.current_version, kNoVersion);
  ASSERT_TRUE(append_one(user("u1"), ExpectedVersion::any()).status.is_ok());
  r = append_one(user("u1"), ExpectedVersion::stream_exists());
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.current_version, 1);
}

TEST_F(MemoryStoreTest, ExactSucceedsAtTheVersionAndConflictsOtherwise) {
  ASSERT_TRUE(append_one(user("u1"), ExpectedVersion::exact(kNoVersion)).status.is_ok());
  ASSERT_TRUE(append_one(user("u1"), ExpectedVersion::exact(0)).status.is_ok());
  auto r = append_one(user("u1"), ExpectedVersion::exact(0));
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  EXPECT_EQ(r.current_version, 1);
  r = append_one(user("u1"), ExpectedVersion::exact(5));
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  EXPECT_EQ(r.current_version, 1);
  r = append_one(user("u2"), ExpectedVersion::exact(0));
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  EXPECT_EQ(r.current_version, kNoVersion);
  r = append_one(user("u1"), ExpectedVersion::exact(1));
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_EQ(r.current_version, 2);
  EXPECT_EQ(*store_->stream_version(user("u1")), 2);
}

TEST_F(MemoryStoreTest, MultiEventAppendIsAllOrNothing) {
  ASSERT_TRUE(append_one(user("u1"), ExpectedVersion::any()).status.is_ok());
  auto r = append(user("u1"), ExpectedVersion::no_stream(), {event("A"), event("B"), event("C")});
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  EXPECT_EQ(*store_->stream_version(user("u1")), 0);
  EXPECT_EQ(*store_->head(), 1u);

  r = append(user("u1"), ExpectedVersion::exact(0), {event("A"), event("B"), event("C")});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  ASSERT_EQ(r.events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.events[i].version, static_cast<Version>(i + 1));
    EXPECT_EQ(r.events[i].position, i + 2);
    EXPECT_EQ(r.events[i].timestamp, r.events[0].timestamp);
    EXPECT_EQ(r.events[i].stream, user("u1"));
  }
  EXPECT_EQ(r.events[1].type, "B");
  EXPECT_EQ(r.current_version, 3);
}

TEST_F(MemoryStoreTest, VersionsPerStreamAndPositionsAreGapFree) {
  for (int i = 0; i < 30; ++i) {
    auto r =
        append(user("u" + std::to_string(i % 4)), ExpectedVersion::any(), {event("A"), event("B")});
    ASSERT_TRUE(r.status.is_ok());
  }
  auto events = testing::all_events(*store_);
  ASSERT_EQ(events.size(), 60u);
  std::map<std::string, Version> next;
  TimestampUs last_ts = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].position, i + 1);
    EXPECT_EQ(events[i].version, next[events[i].stream.key()]++);
    EXPECT_GE(events[i].timestamp, last_ts);
    EXPECT_GT(events[i].timestamp, 0);
    last_ts = events[i].timestamp;
  }
  EXPECT_EQ(*store_->head(), 60u);
}

TEST_F(MemoryStoreTest, ReadStreamHonoursFromAndLimit) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        append_one(user("a"), ExpectedVersion::any(), "E" + std::to_string(i)).status.is_ok());
    ASSERT_TRUE(append_one(user("b"), ExpectedVersion::any()).status.is_ok());
  }
  auto slice = store_->read_stream(user("a"), 1, 3);
  ASSERT_TRUE(slice.is_ok());
  ASSERT_EQ(slice->events.size(), 3u);
  EXPECT_EQ(slice->events[0].version, 1);
  EXPECT_EQ(slice->events[0].type, "E1");
  EXPECT_EQ(slice->events[2].version, 3);
  EXPECT_EQ(slice->head, 10u);
  EXPECT_EQ(store_->read_stream(user("a"), 0, 100)->events.size(), 5u);
  EXPECT_TRUE(store_->read_stream(user("a"), 5, 100)->events.empty());
  EXPECT_TRUE(store_->read_stream(user("nobody"), 0, 100)->events.empty());
  EXPECT_EQ(*store_->stream_version(user("nobody")), kNoVersion);
}

TEST_F(MemoryStoreTest, ReadAllFiltersByEventTypeAndStreamType) {
  StreamId order{"Order", "o1"};
  ASSERT_TRUE(append(user("u1"), ExpectedVersion::any(), {event("Created"), event("Renamed")})
                  .status.is_ok());                                                       // 1, 2
  ASSERT_TRUE(append(order, ExpectedVersion::any(), {event("Created")}).status.is_ok());  // 3
  ASSERT_TRUE(append(user("u2"), ExpectedVersion::any(), {event("Created")}).status.is_ok());  // 4
  ASSERT_TRUE(append(order, ExpectedVersion::any(), {event("Shipped")}).status.is_ok());       // 5
  ASSERT_TRUE(append(user("u1"), ExpectedVersion::any(), {event("Renamed")}).status.is_ok());  // 6

  auto positions = [](const ReadSlice& s) {
    std::vector<Position> p;
    for (const auto& e : s.events) p.push_back(e.position);
    return p;
  };
  EventFilter created;
  created.event_types = {"Created"};
  auto s = store_->read_all(0, 100, created);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(positions(*s), (std::vector<Position>{1, 3, 4}));
  EXPECT_EQ(s->next_after, 6u);  // scanned to the head
  EXPECT_EQ(s->head, 6u);

  // With a limit, next_after is the last event returned.
  s = store_->read_all(0, 2, created);
  EXPECT_EQ(positions(*s), (std::vector<Position>{1, 3}));
  EXPECT_EQ(s->next_after, 3u);
  s = store_->read_all(3, 2, created);
  EXPECT_EQ(positions(*s), (std::vector<Position>{4}));
  EXPECT_EQ(s->next_after, 6u);

  EventFilter users;
  users.stream_types = {"User"};
  EXPECT_EQ(positions(*store_->read_all(0, 100, users)), (std::vector<Position>{1, 2, 4, 6}));

  EventFilter user_created;
  user_created.event_types = {"Created"};
  user_created.stream_types = {"User"};
  EXPECT_EQ(positions(*store_->read_all(0, 100, user_created)), (std::vector<Position>{1, 4}));

  EventFilter two_types;
  two_types.event_types = {"Shipped", "Renamed"};
  EXPECT_EQ(positions(*store_->read_all(0, 100, two_types)), (std::vector<Position>{2, 5, 6}));
  s = store_->read_all(2, 1, two_types);
  EXPECT_EQ(positions(*s), (std::vector<Position>{5}));
  EXPECT_EQ(s->next_after, 5u);

  EventFilter unknown;
  unknown.event_types = {"Nope"};
  s = store_->read_all(0, 100, unknown);
  EXPECT_TRUE(s->events.empty());
  EXPECT_EQ(s->next_after, 6u);

  s = store_->read_all(2, 2, {});
  EXPECT_EQ(positions(*s), (std::vector<Position>{3, 4}));
  EXPECT_EQ(s->next_after, 4u);
  s = store_->read_all(6, 10, {});
  EXPECT_TRUE(s->events.empty());
  EXPECT_EQ(s->next_after, 6u);
  s = store_->read_all(3, 0, {});
  EXPECT_TRUE(s->events.empty());
  EXPECT_EQ(s->next_after, 3u);

  // Past the head, up to the largest position: nothing, and no wrap-around
  // of after + 1 to position 0 (which crashed the gateway on
  // GET /v1/events?after=18446744073709551615).
  for (Position after : {Position{7}, Position{UINT64_MAX} - 1, Position{UINT64_MAX}}) {
    for (const EventFilter& f : {EventFilter{}, created, users}) {
      s = store_->read_all(after, 10, f);
      ASSERT_TRUE(s.is_ok());
      EXPECT_TRUE(s->events.empty()) << after;
      EXPECT_EQ(s->next_after, after);
      EXPECT_EQ(s->head, 6u);
    }
  }
}

TEST_F(MemoryStoreTest, RecordedEventsCarryEverythingTheWriterGave) {
  NewEvent e = event("UserCreated", Json{{"name", "Ada"}, {"age", 36}});
  e.schema_version = 2;
  e.metadata.causation_id = "cmd-1";
  e.metadata.user_id = "admin";
  e.metadata.extra = Json{{"tenant", "t1"}};
  auto r = append(user("u1"), ExpectedVersion::any(), {e});
  ASSERT_TRUE(r.status.is_ok());
  auto stored = store_->read_stream(user("u1"), 0, 1)->events.at(0);
  EXPECT_EQ(stored.id, e.id);
  EXPECT_EQ(stored.type, "UserCreated");
  EXPECT_EQ(stored.schema_version, 2);
  EXPECT_EQ(stored.data, e.data);
  EXPECT_EQ(stored.metadata, e.metadata);
  EXPECT_EQ(stored.timestamp, r.events[0].timestamp);
}

TEST_F(MemoryStoreTest, SnapshotLatestWinsAndOlderIsANoOp) {
  EXPECT_FALSE(store_->load_snapshot(user("u1"))->has_value());
  Snapshot s;
  s.stream = user("u1");
  s.version = 10;
  s.state = Json{{"v", 10}};
  ASSERT_TRUE(store_->save_snapshot(s).is_ok());
  s.version = 20;
  s.state = Json{{"v", 20}};
  ASSERT_TRUE(store_->save_snapshot(s).is_ok());
  s.version = 15;
  s.state = Json{{"v", 15}};
  ASSERT_TRUE(store_->save_snapshot(s).is_ok());
  auto loaded = store_->load_snapshot(user("u1"));
  ASSERT_TRUE(loaded.is_ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->version, 20);
  EXPECT_EQ((*loaded)->state, Json({{"v", 20}}));
  EXPECT_GT((*loaded)->taken_at, 0);
}

TEST_F(MemoryStoreTest, CheckpointsAreSavedByNameAndStartAtZero) {
  EXPECT_EQ(*store_->load_checkpoint("users"), 0u);
  ASSERT_TRUE(store_->save_checkpoint("users", 17).is_ok());
  ASSERT_TRUE(store_->save_checkpoint("hooks", 3).is_ok());
  EXPECT_EQ(*store_->load_checkpoint("users"), 17u);
  // A rebuild moves a checkpoint back: the latest save wins.
  ASSERT_TRUE(store_->save_checkpoint("users", 0).is_ok());
  EXPECT_EQ(*store_->load_checkpoint("users"), 0u);
  EXPECT_EQ(*store_->load_checkpoint("hooks"), 3u);
}

TEST_F(MemoryStoreTest, IdempotencyKeyAnswersTheFirstAppendWhateverTheVersion) {
  AppendRequest first = request(user("u1"), ExpectedVersion::no_stream(), {event("A"), event("B")});
  first.idempotency_key = "key-1";
  first.idempotency_fingerprint = "fp-1";
  first.idempotency_expires_at = now_us() + 60'000'000;
  auto r1 = store_->append(first);
  ASSERT_TRUE(r1.status.is_ok()) << r1.status.message();
  EXPECT_FALSE(r1.duplicate);

  // Same key, other events, an expected version that would conflict.
  AppendRequest again = request(user("u1"), ExpectedVersion::no_stream(), {event("C")});
  again.idempotency_key = "key-1";
  again.idempotency_fingerprint = "fp-other";
  auto r2 = store_->append(again);
  ASSERT_TRUE(r2.status.is_ok()) << r2.status.message();
  EXPECT_TRUE(r2.duplicate);
  EXPECT_EQ(r2.idempotency_fingerprint, "fp-1");
  ASSERT_EQ(r2.events.size(), 2u);
  EXPECT_EQ(r2.events[0].id, r1.events[0].id);
  EXPECT_EQ(r2.events[1].position, r1.events[1].position);
  EXPECT_EQ(r2.current_version, 1);
  EXPECT_EQ(*store_->head(), 2u);

  auto found = store_->find_idempotency("key-1");
  ASSERT_TRUE(found.is_ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->fingerprint, "fp-1");
  EXPECT_EQ((*found)->stream, user("u1"));
  EXPECT_EQ((*found)->events.size(), 2u);
  EXPECT_FALSE(store_->find_idempotency("key-2")->has_value());
}

TEST_F(MemoryStoreTest, ExpiredIdempotencyKeysAreIgnored) {
  AppendRequest first = request(user("u1"), ExpectedVersion::any(), {event("A")});
  first.idempotency_key = "short";
  first.idempotency_expires_at = now_us() + 50'000;
  ASSERT_TRUE(store_->append(first).status.is_ok());
  EXPECT_TRUE(store_->find_idempotency("short")->has_value());
  std::this_thread::sleep_for(80ms);
  EXPECT_FALSE(store_->find_idempotency("short")->has_value());
  AppendRequest later = request(user("u1"), ExpectedVersion::any(), {event("B")});
  later.idempotency_key = "short";
  later.idempotency_expires_at = now_us() + 60'000'000;
  auto r = store_->append(later);
  ASSERT_TRUE(r.status.is_ok());
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.current_version, 1);
  EXPECT_TRUE(store_->find_idempotency("short")->has_value());
}

TEST_F(MemoryStoreTest, AppendOfHeldEventIdsIsADuplicate) {
  std::vector<NewEvent> events{event("A"), event("B")};
  auto r1 = append(user("u1"), ExpectedVersion::no_stream(), events);
  ASSERT_TRUE(r1.status.is_ok());
  auto r2 = append(user("u1"), ExpectedVersion::no_stream(), events);
  ASSERT_TRUE(r2.status.is_ok()) << r2.status.message();
  EXPECT_TRUE(r2.duplicate);
  ASSERT_EQ(r2.events.size(), 2u);
  EXPECT_EQ(r2.events[0].position, 1u);
  EXPECT_EQ(r2.events[1].position, 2u);
  EXPECT_EQ(*store_->head(), 2u);
}

TEST_F(MemoryStoreTest, AppendOfSomeHeldEventIdsFails) {
  NewEvent a = event("A");
  ASSERT_TRUE(append(user("u1"), ExpectedVersion::any(), {a}).status.is_ok());
  auto r = append(user("u1"), ExpectedVersion::any(), {event("B"), a});
  EXPECT_EQ(r.status.code(), StatusCode::kFailed);
  EXPECT_THAT(r.status.message(), HasSubstr(a.id));
  EXPECT_EQ(*store_->head(), 1u);

  NewEvent twice = event("C");
  r = append(user("u1"), ExpectedVersion::any(), {twice, twice});
  EXPECT_EQ(r.status.code(), StatusCode::kFailed);
  EXPECT_THAT(r.status.message(), HasSubstr("twice"));
}

TEST_F(MemoryStoreTest, BadRequestsFailWithAMessage) {
  EXPECT_EQ(append_one({"User", ""}, ExpectedVersion::any()).status.code(), StatusCode::kFailed);
  NewEvent no_id = event("A");
  no_id.id.clear();
  EXPECT_EQ(append(user("u1"), ExpectedVersion::any(), {no_id}).status.code(), StatusCode::kFailed);
  // No events: only the expected version is checked.
  auto r = append(user("u1"), ExpectedVersion::stream_exists(), {});
  EXPECT_EQ(r.status.code(), StatusCode::kConflict);
  r = append(user("u1"), ExpectedVersion::no_stream(), {});
  EXPECT_TRUE(r.status.is_ok());
  EXPECT_EQ(*store_->head(), 0u);
}

TEST_F(MemoryStoreTest, RecordsLargerThanTheLimitFail) {
  auto o = testing::options(dir_.file("small.log"));
  o.max_record_bytes = 4096;
  auto small = testing::open_store(o);
  auto r = small->append(request(user("u1"), ExpectedVersion::any(),
                                 {event("Big", Json{{"blob", std::string(5000, 'x')}})}));
  EXPECT_EQ(r.status.code(), StatusCode::kFailed);
  EXPECT_THAT(r.status.message(), HasSubstr("max_record_bytes"));
  EXPECT_TRUE(
      small->append(request(user("u1"), ExpectedVersion::any(), {event("Small")})).status.is_ok());
}

TEST_F(MemoryStoreTest, WaitForEventsWakesUpOnAnAppend) {
  std::atomic<bool> woke{false};
  Position seen = 0;
  auto started = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    seen = *store_->wait_for_events(0, 10s);
    woke = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(woke);
  ASSERT_TRUE(append_one(user("u1"), ExpectedVersion::any()).status.is_ok());
  waiter.join();
  EXPECT_EQ(seen, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);

  // Already past `after`: returns at once. Nothing new: returns at the timeout.
  EXPECT_EQ(*store_->wait_for_events(0, 10s), 1u);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(*store_->wait_for_events(1, 30ms), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 25ms);
}

// A reader on some types sleeps through everyone else's appends and wakes
// for the first that matches: by stream type, by event type, and both.
TEST_F(MemoryStoreTest, WaitForMatchingEventsSleepsThroughOtherTypes) {
  struct Case {
    EventFilter filter;
    StreamId other_stream;
    std::string other_type;
    StreamId matching_stream;
    std::string matching_type;
  };
  const StreamId order{"Order", "o1"};
  const std::vector<Case> cases = {
      {{{}, {"Order"}}, user("u1"), "UserCreated", order, "OrderCreated"},
      {{{"OrderPaid"}, {}}, order, "OrderCreated", order, "OrderPaid"},
      {{{"OrderPaid"}, {"Order"}}, user("u2"), "OrderPaid", order, "OrderPaid"},
  };
  for (const Case& c : cases) {
    const Position after = *store_->head();
    std::atomic<bool> woke{false};
    Position seen = 0;
    std::thread waiter([&] {
      seen = *store_->wait_for_matching_events(after, 30s, c.filter);
      woke = true;
    });
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(append_one(c.other_stream, ExpectedVersion::any(), c.other_type).status.is_ok());
    }
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(woke) << c.matching_type << ": woken by 20 appends it does not match";
    auto r = append_one(c.matching_stream, ExpectedVersion::any(), c.matching_type);
    ASSERT_TRUE(r.status.is_ok());
    waiter.join();
    EXPECT_EQ(seen, r.events.back().position) << c.matching_type;
  }

  // Something already there: at once. An empty filter waits for anything.
  const Position head = *store_->head();
  EXPECT_EQ(*store_->wait_for_matching_events(0, 30s, {{}, {"Order"}}), head);
  std::thread any([&] { EXPECT_EQ(*store_->wait_for_matching_events(head, 30s, {}), head + 1); });
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(append_one(user("u3"), ExpectedVersion::any()).status.is_ok());
  any.join();

  // Nothing matching: the timeout.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(*store_->wait_for_matching_events(head + 1, 30ms, {{}, {"Order"}}), head + 1);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 25ms);

  // close() ends the wait.
  std::atomic<bool> ended{false};
  std::thread closing([&] {
    store_->wait_for_matching_events(head + 1, 60s, {{}, {"Invoice"}});
    ended = true;
  });
  std::this_thread::sleep_for(20ms);
  store_->close();
  for (int i = 0; i < 500 && !ended; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(ended) << "close() left a matching waiter asleep";
  closing.join();
}

TEST_F(MemoryStoreTest, CallsOutsideOpenAndCloseFail) {
  MemoryStore fresh(testing::options(dir_.file("other.log")), nullptr);
  EXPECT_EQ(fresh.append(request(user("u1"), ExpectedVersion::any(), {event("A")})).status.code(),
            StatusCode::kFailed);
  EXPECT_FALSE(fresh.health().is_ok());
  EXPECT_TRUE(store_->health().is_ok());
  store_->close();
  store_->close();  // idempotent
  EXPECT_FALSE(store_->health().is_ok());
  EXPECT_EQ(store_->head().status().code(), StatusCode::kFailed);
}

TEST_F(MemoryStoreTest, SecondStoreOnTheSameFileIsRefused) {
  MemoryStore second(testing::options(dir_.file("events.log")), nullptr);
  Status s = second.open();
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("in use"));
}

TEST(MemoryStoreMemoryOnlyTest, EmptyPathKeepsEverythingInMemory) {
  auto store = testing::open_store(testing::options(""));
  ASSERT_TRUE(store->append(request(user("u1"), ExpectedVersion::no_stream(), {event("A")}))
                  .status.is_ok());
  EXPECT_EQ(
      store->append(request(user("u1"), ExpectedVersion::no_stream(), {event("A")})).status.code(),
      StatusCode::kConflict);
  Snapshot s;
  s.stream = user("u1");
  s.version = 0;
  ASSERT_TRUE(store->save_snapshot(s).is_ok());
  ASSERT_TRUE(store->save_checkpoint("c", 1).is_ok());
  EXPECT_EQ(*store->head(), 1u);
  EXPECT_EQ(*store->load_checkpoint("c"), 1u);
  EXPECT_TRUE(store->load_snapshot(user("u1"))->has_value());
  EXPECT_EQ(*store->wait_for_events(0, 1s), 1u);

  // Without a writer thread the appending thread wakes matching waiters.
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    EXPECT_EQ(*store->wait_for_matching_events(1, 30s, {{}, {"Order"}}), 3u);
    woke = true;
  });
  ASSERT_TRUE(
      store->append(request(user("u2"), ExpectedVersion::any(), {event("A")})).status.is_ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(woke);
  ASSERT_TRUE(
      store->append(request({"Order", "o1"}, ExpectedVersion::any(), {event("B")})).status.is_ok());
  waiter.join();
  store->close();
}

class MemoryStoreFsyncModeTest : public ::testing::TestWithParam<FsyncMode> {};

TEST_P(MemoryStoreFsyncModeTest, AppendsAreReadableAndSurviveAReopen) {
  TempDir dir;
  auto o = testing::options(dir.file("events.log"), GetParam());
  {
    auto store = testing::open_store(o);
    for (int i = 0; i < 20; ++i) {
      auto r = store->append(request(user("u1"), ExpectedVersion::exact(i - 1), {event("A")}));
      ASSERT_TRUE(r.status.is_ok()) << r.status.message();
      // Acknowledged means readable at once.
      ASSERT_EQ(*store->head(), static_cast<Position>(i + 1));
    }
    ASSERT_TRUE(store->save_checkpoint("c", 20).is_ok());
    WriterStats stats = store->writer_stats();
    EXPECT_EQ(stats.records, 21u);
    switch (GetParam()) {
      case FsyncMode::kAlways: EXPECT_EQ(stats.syncs, 21u); break;
      case FsyncMode::kBatch: EXPECT_GE(stats.syncs, 1u); break;
      case FsyncMode::kNever: EXPECT_EQ(stats.syncs, 0u); break;
    }
    store->close();
  }
  auto store = testing::open_store(o);
  EXPECT_EQ(*store->head(), 20u);
  EXPECT_EQ(*store->stream_version(user("u1")), 19);
  EXPECT_EQ(*store->load_checkpoint("c"), 20u);
}

INSTANTIATE_TEST_SUITE_P(Modes, MemoryStoreFsyncModeTest,
                         ::testing::Values(FsyncMode::kAlways, FsyncMode::kBatch,
                                           FsyncMode::kNever),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// Each thread reuses its append jobs: an answer of one kind must not leak
// into the next append's.
TEST(MemoryStoreJobReuseTest, OneThreadMixingAnswersGetsEachRight) {
  TempDir dir;
  auto store = testing::open_store(testing::options(dir.file("events.log")));
  for (int round = 0; round < 3; ++round) {
    const StreamId stream = user("mix-" + std::to_string(round));
    auto first = request(stream, ExpectedVersion::no_stream(), {event("UserCreated")});
    first.idempotency_key = "mix-key-" + std::to_string(round);
    first.idempotency_fingerprint = "fp";
    auto r1 = store->append(first);
    ASSERT_TRUE(r1.status.is_ok()) << r1.status.message();
    EXPECT_FALSE(r1.duplicate);

    auto r2 = store->append(request(stream, ExpectedVersion::exact(5), {event("UserRenamed")}));
    EXPECT_EQ(r2.status.code(), StatusCode::kConflict);
    EXPECT_EQ(r2.current_version, 0);
    EXPECT_TRUE(r2.events.empty());

    auto r3 = store->append(first);
    ASSERT_TRUE(r3.status.is_ok()) << r3.status.message();
    EXPECT_TRUE(r3.duplicate);
    EXPECT_EQ(r3.idempotency_fingerprint, "fp");
    ASSERT_EQ(r3.events.size(), 1u);
    EXPECT_EQ(r3.events[0].position, r1.events[0].position);

    auto r4 = store->append(request(stream, ExpectedVersion::exact(0),
                                    {event("UserRenamed", Json{{"name", "B"}}), event("Other")}));
    ASSERT_TRUE(r4.status.is_ok()) << r4.status.message();
    EXPECT_FALSE(r4.duplicate);
    EXPECT_TRUE(r4.idempotency_fingerprint.empty());
    ASSERT_EQ(r4.events.size(), 2u);
    EXPECT_EQ(r4.events[0].version, 1);
    EXPECT_EQ(r4.events[1].version, 2);
    EXPECT_EQ(r4.events[1].position, r4.events[0].position + 1);
    EXPECT_EQ(r4.events[0].data, (Json{{"name", "B"}}));
    EXPECT_EQ(r4.current_version, 2);
  }
  auto stream = store->read_stream(user("mix-2"), 0, 10);
  ASSERT_TRUE(stream.is_ok());
  EXPECT_EQ(stream->events.size(), 3u);
}

}  // namespace
}  // namespace herald::plugins::memory
