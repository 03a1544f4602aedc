// The log file's preallocated zeros: kept ahead of the records while the
// store runs, cut off by close(), recognised after a crash, never mistaken
// for records, and never written over records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "log_file.h"
#include "log_format.h"
#include "test_support.h"

namespace herald::plugins::memory {
namespace {

using namespace std::chrono_literals;
using testing::CapturedLog;
using testing::event;
using testing::file_size;
using testing::flip_byte;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::request;
using testing::TempDir;
using testing::user;

constexpr std::uint64_t kStep = LogFile::kPreallocateStep;

void overwrite(const std::string& path, std::uint64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Waits until the file on disk reaches `at_least` bytes; false after 10 s.
bool grows_to(const std::string& path, std::uint64_t at_least) {
  for (int i = 0; i < 1000; ++i) {
    if (file_size(path) >= at_least) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class PreallocationTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.file("data/events.log"); }
  MemoryStoreOptions options(std::uint64_t preallocate) const {
    MemoryStoreOptions o = testing::options(path());
    o.preallocate_bytes = preallocate;
    return o;
  }
  // Two events per append, to streams u<first>, u<first+1>, ...
  static void append_users(MemoryStore& store, int count, int first = 0) {
    for (int i = first; i < first + count; ++i) {
      auto r = store.append(request(user("u" + std::to_string(i)), ExpectedVersion::no_stream(),
                                    {event("A", Json{{"i", i}}), event("B")}));
      ASSERT_TRUE(r.status.is_ok()) << r.status.message();
    }
  }
  // A closed log of `count` appends written without preallocation, and the
  // offset where its last record starts.
  std::uint64_t plain_log(int count) {
    auto store = testing::open_store(options(0));
    append_users(*store, count - 1);
    const std::uint64_t last = file_size(path());
    append_users(*store, 1, count - 1);
    store->close();
    return last;
  }

  TempDir dir_;
};

TEST_F(PreallocationTest, ZerosAreKeptAheadWhileOpenAndCutOffByClose) {
  auto store = testing::open_store(options(2 * kStep));
  append_users(*store, 10);
  ASSERT_TRUE(grows_to(path(), 2 * kStep)) << "the file never grew ahead of its records";
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(file_size(path()) % kStep, 0u) << "preallocation ends on step boundaries";
  store->close();

  const std::uint64_t closed = file_size(path());
  EXPECT_LT(closed, kStep) << "close() leaves only the records";
  CapturedLog log;
  auto reopened = testing::open_store(options(0), log.logger());
  EXPECT_THAT(log.text(), Not(HasSubstr("torn")));
  EXPECT_THAT(log.text(), Not(HasSubstr("preallocated")));
  auto events = testing::all_events(*reopened);
  ASSERT_EQ(events.size(), 20u);
  EXPECT_EQ(events[18].data, (Json{{"i", 9}}));
  reopened->close();
  EXPECT_EQ(file_size(path()), closed);
}

// What a crash leaves: the file as the kernel has it, zeros and all. Copied
// while the store runs with little room ahead and big records, so that the
// records keep catching up with the zeros being written.
TEST_F(PreallocationTest, AFileTakenWhileRunningReplaysEveryAcknowledgedEvent) {
  auto store = testing::open_store(options(kStep));
  const std::string blob(3000, 'x');
  constexpr int kThreads = 8;
  constexpr int kEach = 250;  // 8 * 250 * ~3 KB: about 6 MiB, six steps
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = store->append(request(user("t" + std::to_string(t)), ExpectedVersion::any(),
                                       {event("Blob", Json{{"t", t}, {"i", i}, {"blob", blob}})}));
        ASSERT_TRUE(r.status.is_ok()) << r.status.message();
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string copy = dir_.file("crash/events.log");
  std::filesystem::create_directories(dir_.path() / "crash");
  std::filesystem::copy_file(path(), copy);
  EXPECT_GT(file_size(copy), std::uint64_t{kThreads} * kEach * 3000);

  MemoryStoreOptions crashed = options(0);
  crashed.path = copy;
  CapturedLog log;
  auto replayed = testing::open_store(crashed, log.logger());
  EXPECT_THAT(log.text(), Not(HasSubstr("damaged")));
  auto events = testing::all_events(*replayed);
  ASSERT_EQ(events.size(), std::size_t{kThreads} * kEach);
  std::vector<int> next(kThreads, 0);
  for (const RecordedEvent& e : events) {
    const int t = e.data["t"].get<int>();
    EXPECT_EQ(e.data["i"].get<int>(), next[t]++) << "each writer's events in order";
    EXPECT_EQ(e.data["blob"], blob);
  }

  // And the store itself, closed and reopened, has the same.
  store->close();
  auto reopened = testing::open_store(options(0));
  EXPECT_EQ(testing::all_events(*reopened).size(), events.size());
}

TEST_F(PreallocationTest, ZerosUpToAStepBoundaryAreUnusedSpaceNotATornTail) {
  plain_log(3);
  const std::uint64_t records = file_size(path());
  std::filesystem::resize_file(path(), 2 * kStep);  // zeros, as a crash leaves them

  CapturedLog log;
  auto store = testing::open_store(options(0), log.logger());
  EXPECT_THAT(log.text(), HasSubstr("[info]"));
  EXPECT_THAT(log.text(), HasSubstr("preallocated zeros"));
  EXPECT_THAT(log.text(), Not(HasSubstr("torn")));
  EXPECT_EQ(testing::all_events(*store).size(), 6u);
  EXPECT_EQ(file_size(path()), records);
  append_users(*store, 1, 3);
  store->close();
  auto again = testing::open_store(options(0));
  EXPECT_EQ(testing::all_events(*again).size(), 8u);
}

TEST_F(PreallocationTest, AnUnfinishedLastRecordBeforeTheZerosIsATornTail) {
  struct Case {
    const char* name;
    std::function<void(std::uint64_t records, std::uint64_t last)> damage;
  };
  std::vector<Case> cases = {
      {"bad checksum", [&](auto records, auto) { flip_byte(path(), records - 3); }},
      {"header not written",
       [&](auto, auto last) { overwrite(path(), last, std::string(kRecordHeaderSize, '\0')); }},
      {"garbage header",
       [&](auto records, auto) { overwrite(path(), records, std::string(11, 'g')); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::filesystem::remove(path());
    const std::uint64_t last = plain_log(2);
    const std::uint64_t records = file_size(path());
    std::filesystem::resize_file(path(), kStep);
    c.damage(records, last);

    CapturedLog log;
    auto store = testing::open_store(options(0), log.logger());
    EXPECT_THAT(log.text(), HasSubstr("torn tail"));
    EXPECT_THAT(log.text(), HasSubstr("[warning]"));
    auto events = testing::all_events(*store);
    EXPECT_TRUE(events.size() == 4 || events.size() == 2) << events.size();
    EXPECT_LE(file_size(path()), records + 11);
  }
}

TEST_F(PreallocationTest, DamageBeforeTheZerosIsStillDamage) {
  auto store = testing::open_store(options(0));
  append_users(*store, 1);
  const std::uint64_t middle = file_size(path());
  append_users(*store, 2, 1);
  store->close();
  std::filesystem::resize_file(path(), kStep);
  flip_byte(path(), middle + kRecordHeaderSize + 20);

  MemoryStore damaged(options(0), nullptr);
  Status s = damaged.open();
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("damaged at byte " + std::to_string(middle)));
  EXPECT_EQ(file_size(path()), kStep) << "a damaged log is left as it is";
}

TEST_F(PreallocationTest, AFullDiskStopsPreallocationAndFailsWritesCleanly) {
  // RLIMIT_FSIZE makes writes fail with EFBIG past the limit: a full disk
  // without needing one. Each test runs in its own process under ctest.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit limited = old;
  limited.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);

  CapturedLog log;
  auto store = testing::open_store(options(4 * kStep), log.logger());
  int acknowledged = 0;
  Status failure;
  for (int i = 0; i < 1000 && failure.is_ok(); ++i) {
    auto r = store->append(request(user("u" + std::to_string(i)), ExpectedVersion::no_stream(),
                                   {event("A", Json{{"blob", std::string(500, 'x')}})}));
    if (r.status.is_ok()) {
      ++acknowledged;
    } else {
      failure = r.status;
    }
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_EQ(failure.code(), StatusCode::kRetry);
  EXPECT_GT(acknowledged, 10);
  EXPECT_EQ(store->health().code(), StatusCode::kFailed);
  store->close();
  EXPECT_THAT(log.text(), HasSubstr("cannot preallocate"));

  CapturedLog reopen_log;
  auto reopened = testing::open_store(options(0), reopen_log.logger());
  EXPECT_THAT(reopen_log.text(), Not(HasSubstr("damaged")));
  EXPECT_EQ(testing::all_events(*reopened).size(), static_cast<std::size_t>(acknowledged));
}

}  // namespace
}  // namespace herald::plugins::memory
