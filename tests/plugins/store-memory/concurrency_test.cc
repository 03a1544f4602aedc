// Many threads at once: optimistic concurrency, group commit, readers that
// only see durable events, idempotency races.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "log_writer.h"
#include "test_support.h"

namespace herald::plugins::memory {
namespace {

using namespace std::chrono_literals;
using testing::event;
using testing::request;
using testing::TempDir;
using testing::user;

void expect_gap_free(const std::vector<RecordedEvent>& events) {
  std::map<std::string, Version> next;
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].position, i + 1);
    ASSERT_EQ(events[i].version, next[events[i].stream.key()]++) << events[i].stream.key();
  }
}

TEST(MemoryStoreConcurrencyTest, SixteenWritersOnOneStreamGetEachVersionExactlyOnce) {
  TempDir dir;
  auto store = testing::open_store(testing::options(dir.file("events.log")));
  constexpr int kThreads = 16;
  constexpr Version kTarget = 800;
  std::mutex mu;
  std::vector<Version> won;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Version expected = *store->stream_version(user("hot"));
      for (;;) {
        if (expected + 1 >= kTarget) return;
        auto r =
            store->append(request(user("hot"), ExpectedVersion::exact(expected), {event("Inc")}));
        if (r.status.is_ok()) {
          std::lock_guard lock(mu);
          won.push_back(r.events[0].version);
          expected = r.current_version;
        } else {
          ASSERT_EQ(r.status.code(), StatusCode::kConflict) << r.status.message();
          ASSERT_GT(r.current_version, expected) << "a conflict reports a newer version";
          ++conflicts;
          expected = r.current_version;
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  std::sort(won.begin(), won.end());
  ASSERT_EQ(won.size(), static_cast<std::size_t>(kTarget));
  for (Version v = 0; v < kTarget; ++v) ASSERT_EQ(won[v], v);
  EXPECT_EQ(*store->stream_version(user("hot")), kTarget - 1);
  auto events = testing::all_events(*store);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kTarget));
  expect_gap_free(events);
  RecordProperty("conflicts", conflicts.load());
}

TEST(MemoryStoreConcurrencyTest, WritersOnTheirOwnStreamsShareSyncsAndSurviveAReopen) {
  TempDir dir;
  auto o = testing::options(dir.file("events.log"), FsyncMode::kBatch);
  constexpr int kThreads = 16;
  constexpr int kAppends = 150;
  {
    auto store = testing::open_store(o);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kAppends; ++i) {
          StreamId s = user("t" + std::to_string(t) + "-" + std::to_string(i % 3));
          auto r = store->append(
              request(s, ExpectedVersion::exact(2 * (i / 3) - 1), {event("A"), event("B")}));
          ASSERT_TRUE(r.status.is_ok()) << r.status.message();
        }
      });
    }
    for (auto& t : threads) t.join();
    WriterStats stats = store->writer_stats();
    EXPECT_EQ(stats.records, static_cast<std::uint64_t>(kThreads * kAppends));
    EXPECT_LT(stats.syncs, stats.records) << "concurrent appends share an fdatasync";
    RecordProperty("average_batch", std::to_string(double(stats.records) / stats.batches));
    store->close();
  }
  auto store = testing::open_store(o);
  auto events = testing::all_events(*store);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kThreads * kAppends * 2));
  expect_gap_free(events);
  EXPECT_EQ(*store->stream_version(user("t7-2")), (kAppends / 3) * 2 - 1);
}

TEST(MemoryStoreConcurrencyTest, ReadersSeeAGapFreePrefixWhileWritersAppend) {
  TempDir dir;
  auto store = testing::open_store(testing::options(dir.file("events.log")));
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 6; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto r = store->append(request(user("w" + std::to_string(t)), ExpectedVersion::any(),
                                       {event("A"), event("B"), event("C")}));
        ASSERT_TRUE(r.status.is_ok());
      }
    });
  }
  // A follower the way a subscription reads: wait, read after its checkpoint.
  std::thread follower([&] {
    Position seen = 0;
    while (seen < 3600) {
      Position head = *store->wait_for_events(seen, 5s);
      auto slice = store->read_all(seen, 1000, {});
      ASSERT_TRUE(slice.is_ok());
      ASSERT_GE(slice->head, head);
      for (const auto& e : slice->events) {
        ASSERT_EQ(e.position, seen + 1) << "in order, no gaps";
        ASSERT_LE(e.position, slice->head) << "nothing past the durable head";
        seen = e.position;
      }
    }
  });
  std::thread reader([&] {
    while (!done) {
      auto slice = store->read_all(0, 1'000'000, {});
      ASSERT_EQ(slice->events.size(), slice->head);
      for (std::size_t i = 0; i < slice->events.size(); ++i) {
        ASSERT_EQ(slice->events[i].position, i + 1);
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  for (auto& w : writers) w.join();
  follower.join();
  done = true;
  reader.join();
  EXPECT_EQ(*store->head(), 3600u);
}

TEST(MemoryStoreConcurrencyTest, RacingAppendsWithOneKeyAppendOnce) {
  TempDir dir;
  auto store = testing::open_store(testing::options(dir.file("events.log")));
  constexpr int kThreads = 8;
  std::vector<AppendResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AppendRequest r = request(user("u1"), ExpectedVersion::any(), {event("A")});
      r.idempotency_key = "same";
      r.idempotency_fingerprint = "fp-" + std::to_string(t);
      results[t] = store->append(r);
    });
  }
  for (auto& t : threads) t.join();
  int originals = 0;
  std::set<std::string> ids;
  for (const auto& r : results) {
    ASSERT_TRUE(r.status.is_ok()) << r.status.message();
    if (!r.duplicate) ++originals;
    ids.insert(r.events.at(0).id);
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(*store->head(), 1u);
}

// The writer gathers bigger batches while the machine is CPU-bound: it
// enters that mode at a run delay of 45% of the time and leaves it below
// 30%, so that a share in between keeps whichever mode it is in.
TEST(MemoryStoreGroupCommitTest, CpuBoundModeHasHysteresis) {
  EXPECT_FALSE(cpu_bound_after(false, 0.0));
  EXPECT_FALSE(cpu_bound_after(false, 0.44));
  EXPECT_TRUE(cpu_bound_after(false, 0.45));
  EXPECT_TRUE(cpu_bound_after(true, 0.44));
  EXPECT_TRUE(cpu_bound_after(true, 0.30));
  EXPECT_FALSE(cpu_bound_after(true, 0.29));
  EXPECT_TRUE(cpu_bound_after(true, 0.9));
}

// What the writer reads: a thread's run delay, which grows while more
// threads want a CPU than there are CPUs.
TEST(MemoryStoreGroupCommitTest, RunDelayGrowsWhileThreadsOutnumberCpus) {
  if (!thread_run_delay_ns()) GTEST_SKIP() << "this kernel keeps no schedstat";
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<bool> go{false};
  std::atomic<std::uint64_t> most{0};
  std::vector<std::thread> spinners;
  for (unsigned i = 0; i < 2 * cpus + 1; ++i) {
    spinners.emplace_back([&] {
      while (!go) std::this_thread::yield();
      const std::uint64_t before = thread_run_delay_ns().value_or(0);
      const auto until = std::chrono::steady_clock::now() + 300ms;
      while (std::chrono::steady_clock::now() < until) {
      }
      const std::uint64_t grew = thread_run_delay_ns().value_or(0) - before;
      for (std::uint64_t m = most; grew > m && !most.compare_exchange_weak(m, grew);) {
      }
    });
  }
  go = true;
  for (auto& t : spinners) t.join();
  EXPECT_GT(most.load(), 0u);
}

}  // namespace
}  // namespace herald::plugins::memory
