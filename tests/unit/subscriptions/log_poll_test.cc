// wait_for_log_page (the long poll of GET /v1/events?wait_ms=) against the
// SDK's FakeEventStore, and against a store whose waits wake for any event,
// as the SDK's default wait_for_matching_events does (a store that cannot
// tell which readers an append concerns).
#include "subscriptions/log_poll.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "herald/testing/fake_store.h"

namespace herald::gateway {
namespace {

using namespace std::chrono_literals;
using herald::testing::FakeEventStore;
using Clock = std::chrono::steady_clock;

// Wakes its readers for every event, matching or not, and counts reads.
class WakesForAnyEvent final : public FakeEventStore {
 public:
  Result<Position> wait_for_matching_events(Position after, std::chrono::milliseconds timeout,
                                            const EventFilter& filter) override {
    return EventStore::wait_for_matching_events(after, timeout, filter);  // the SDK's default
  }
  Result<ReadSlice> read_all(Position after, std::size_t limit,
                             const EventFilter& filter) override {
    ++reads;
    return FakeEventStore::read_all(after, limit, filter);
  }
  std::atomic<int> reads{0};
};

void append(FakeEventStore& store, const std::string& id, const std::string& type) {
  AppendRequest r;
  r.stream = {"User", id};
  r.events.push_back(NewEvent{id + "-" + type, type, 1, {{"n", 1}}, {}});
  ASSERT_TRUE(store.append(r).status.is_ok());
}

EventFilter deactivations() {
  EventFilter f;
  f.event_types = {"UserDeactivated"};
  return f;
}

bool never() {
  return false;
}

// Appends (id, type) pairs after 30 ms each, on a thread of its own.
std::thread append_later(FakeEventStore& store,
                         std::vector<std::pair<std::string, std::string>> events) {
  return std::thread([&store, events = std::move(events)] {
    for (const auto& [id, type] : events) {
      std::this_thread::sleep_for(30ms);
      append(store, id, type);
    }
  });
}

TEST(LogPoll, AnEventItDoesNotWantCostsOneReadNotABusyLoop) {
  WakesForAnyEvent store;
  append(store, "u1", "UserCreated");
  const EventFilter filter = deactivations();
  auto page = store.read_all(0, 100, filter);
  ASSERT_TRUE(page.is_ok());
  ASSERT_TRUE(page->events.empty());
  store.reads = 0;

  // The store's wait returns at once (position 1 is after 0) for as long as
  // the poll waits from 0: it must wait from past what it has read.
  auto end = wait_for_log_page(store, 0, 100, filter, Clock::now() + 300ms, never, *page);
  ASSERT_TRUE(end.is_ok()) << end.status().message();
  EXPECT_EQ(*end, LogPollEnd::kDeadline);
  EXPECT_TRUE(page->events.empty());
  EXPECT_EQ(page->next_after, 1u) << "the empty page moves the client past what did not match";
  EXPECT_LE(store.reads.load(), 2) << "reads while nothing new was appended";
}

TEST(LogPoll, ReturnsTheEventItWantsOnceAppended) {
  WakesForAnyEvent store;
  const EventFilter filter = deactivations();
  auto page = store.read_all(0, 100, filter);
  ASSERT_TRUE(page.is_ok());
  std::thread writer = append_later(
      store, {{"u1", "UserCreated"}, {"u1", "UserDeactivated"}, {"u2", "UserCreated"}});
  auto end = wait_for_log_page(store, 0, 100, filter, Clock::now() + 20s, never, *page);
  writer.join();
  ASSERT_TRUE(end.is_ok()) << end.status().message();
  EXPECT_EQ(*end, LogPollEnd::kEvents);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].type, "UserDeactivated");
  EXPECT_EQ(page->events[0].position, 2u);
}

TEST(LogPoll, AStoreThatSleepsThroughOtherEventsGivesTheSamePage) {
  FakeEventStore store;  // its wait sleeps through UserCreated
  append(store, "u1", "UserCreated");
  const EventFilter filter = deactivations();
  auto page = store.read_all(0, 100, filter);
  ASSERT_TRUE(page.is_ok());
  std::thread writer = append_later(store, {{"u1", "UserDeactivated"}});
  auto end = wait_for_log_page(store, 0, 100, filter, Clock::now() + 20s, never, *page);
  writer.join();
  ASSERT_TRUE(end.is_ok());
  EXPECT_EQ(*end, LogPollEnd::kEvents);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].position, 2u);
}

TEST(LogPoll, AStopEndsTheWaitWithinASlice) {
  WakesForAnyEvent store;
  auto page = store.read_all(0, 100, {});
  ASSERT_TRUE(page.is_ok());
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(30ms);
    stop = true;
  });
  auto end = wait_for_log_page(
      store, 0, 100, {}, Clock::now() + 20s, [&] { return stop.load(); }, *page, 10ms);
  stopper.join();
  ASSERT_TRUE(end.is_ok());
  EXPECT_EQ(*end, LogPollEnd::kStopping);
  EXPECT_TRUE(page->events.empty());
}

TEST(LogPoll, AStoreErrorIsReturned) {
  FakeEventStore store;
  auto page = store.read_all(0, 100, {});
  ASSERT_TRUE(page.is_ok());
  append(store, "u1", "UserCreated");
  store.fail_next(Status::retry("redis is restarting"));  // the read after the wait
  auto end = wait_for_log_page(store, 0, 100, {}, Clock::now() + 20s, never, *page);
  ASSERT_FALSE(end.is_ok());
  EXPECT_EQ(end.status().code(), StatusCode::kRetry);
  EXPECT_EQ(end.status().message(), "redis is restarting");
}

}  // namespace
}  // namespace herald::gateway
