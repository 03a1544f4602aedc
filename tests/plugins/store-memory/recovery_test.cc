// Reopening, torn tails, damage and disk failures: what open() recovers and
// what it refuses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "log_format.h"
#include "support/test_seed.h"
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

void truncate_to(const std::string& path, std::uint64_t size) {
  std::filesystem::resize_file(path, size);
}

void append_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class MemoryStoreRecoveryTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.file("data/events.log"); }
  // Without preallocation: these tests read record offsets off the file's
  // size (preallocation_test.cc covers the preallocated file).
  MemoryStoreOptions options() const {
    MemoryStoreOptions o = testing::options(path());
    o.preallocate_bytes = 0;
    return o;
  }

  // Appends one two-event batch per stream name and returns the file offset
  // where each batch's record starts.
  std::vector<std::uint64_t> write_batches(MemoryStore& store, int count, int first = 0) {
    std::vector<std::uint64_t> offsets;
    for (int i = first; i < first + count; ++i) {
      offsets.push_back(file_size(path()));
      auto r = store.append(request(user("u" + std::to_string(i)), ExpectedVersion::no_stream(),
                                    {event("A", Json{{"i", i}}), event("B")}));
      EXPECT_TRUE(r.status.is_ok()) << r.status.message();
    }
    return offsets;
  }

  TempDir dir_;
};

TEST_F(MemoryStoreRecoveryTest, ReopenKeepsEventsSnapshotsCheckpointsAndKeys) {
  std::vector<NewEvent> keyed{event("A"), event("B")};
  std::vector<RecordedEvent> before;
  {
    auto store = testing::open_store(options());
    ASSERT_TRUE(std::filesystem::exists(path())) << "parent folders are created";
    AppendRequest r = request(user("u1"), ExpectedVersion::no_stream(), keyed);
    r.idempotency_key = "key-1";
    r.idempotency_fingerprint = "fp-1";
    r.idempotency_expires_at = now_us() + 3'600'000'000;
    ASSERT_TRUE(store->append(r).status.is_ok());
    ASSERT_TRUE(store
                    ->append(request({"Order", "o1"}, ExpectedVersion::any(),
                                     {event("Placed", Json{{"total", 9.5}})}))
                    .status.is_ok());
    Snapshot s;
    s.stream = user("u1");
    s.version = 1;
    s.state_format = 3;
    s.state = Json{{"name", "Ada"}};
    ASSERT_TRUE(store->save_snapshot(s).is_ok());
    ASSERT_TRUE(store->save_checkpoint("users", 2).is_ok());
    ASSERT_TRUE(store->save_checkpoint("users", 3).is_ok());
    before = testing::all_events(*store);
    store->close();
  }

  CapturedLog log;
  auto store = testing::open_store(options(), log.logger());
  EXPECT_THAT(log.text(), HasSubstr("3 events in 2 streams"));
  EXPECT_THAT(log.text(), Not(HasSubstr("torn")));
  auto after = testing::all_events(*store);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(to_json(after[i]), to_json(before[i]));
    EXPECT_EQ(after[i].timestamp, before[i].timestamp);
  }
  EXPECT_EQ(*store->stream_version(user("u1")), 1);
  auto snapshot = store->load_snapshot(user("u1"));
  ASSERT_TRUE(snapshot->has_value());
  EXPECT_EQ((*snapshot)->state_format, 3);
  EXPECT_EQ((*snapshot)->state, Json({{"name", "Ada"}}));
  EXPECT_EQ(*store->load_checkpoint("users"), 3u);

  // The key and the event ids still answer retries.
  auto found = store->find_idempotency("key-1");
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->fingerprint, "fp-1");
  AppendRequest retry = request(user("u1"), ExpectedVersion::no_stream(), {event("X")});
  retry.idempotency_key = "key-1";
  auto dup = store->append(retry);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.events.at(0).id, keyed[0].id);
  dup = store->append(request(user("u1"), ExpectedVersion::no_stream(), keyed));
  EXPECT_TRUE(dup.duplicate);

  // And the log continues where it was.
  auto next = store->append(request(user("u1"), ExpectedVersion::exact(1), {event("C")}));
  ASSERT_TRUE(next.status.is_ok()) << next.status.message();
  EXPECT_EQ(next.events[0].position, 4u);
  EXPECT_EQ(next.events[0].version, 2);
  EXPECT_GE(next.events[0].timestamp, before.back().timestamp);
}

// Two stores on one log would each place events at the same offsets: the
// second open is refused while the first holds the file, and the refusal
// leaves the first's file as it was.
TEST_F(MemoryStoreRecoveryTest, ASecondStoreOnTheSameLogIsRefused) {
  auto first = testing::open_store(options());
  ASSERT_TRUE(first->append(request(user("u1"), ExpectedVersion::no_stream(), {event("A")}))
                  .status.is_ok());
  const auto size = file_size(path());
  {
    MemoryStore second(options(), nullptr);
    Status s = second.open();
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("is in use by another process"), std::string::npos) << s.message();
  }
  EXPECT_EQ(file_size(path()), size);
  ASSERT_TRUE(first->append(request(user("u2"), ExpectedVersion::no_stream(), {event("B")}))
                  .status.is_ok());
  first->close();
  auto third = testing::open_store(options());
  EXPECT_EQ(*third->head(), 2u);
}

TEST_F(MemoryStoreRecoveryTest, ExpiredKeysAreNotReplayed) {
  {
    auto store = testing::open_store(options());
    AppendRequest r = request(user("u1"), ExpectedVersion::any(), {event("A")});
    r.idempotency_key = "soon";
    r.idempotency_expires_at = now_us() + 100'000;
    ASSERT_TRUE(store->append(r).status.is_ok());
    AppendRequest forever = request(user("u2"), ExpectedVersion::any(), {event("A")});
    forever.idempotency_key = "forever";  // expires_at 0: kept
    ASSERT_TRUE(store->append(forever).status.is_ok());
    store->close();
  }
  std::this_thread::sleep_for(150ms);
  auto store = testing::open_store(options());
  EXPECT_FALSE(store->find_idempotency("soon")->has_value());
  EXPECT_TRUE(store->find_idempotency("forever")->has_value());
  EXPECT_EQ(*store->head(), 2u);
  AppendRequest again = request(user("u1"), ExpectedVersion::any(), {event("B")});
  again.idempotency_key = "soon";
  auto r = store->append(again);
  EXPECT_TRUE(r.status.is_ok());
  EXPECT_FALSE(r.duplicate);
}

TEST_F(MemoryStoreRecoveryTest, RecordCutInTheMiddleIsTruncatedAndAppendsContinue) {
  std::vector<std::uint64_t> offsets;
  {
    auto store = testing::open_store(options());
    offsets = write_batches(*store, 3);
    store->close();
  }
  const std::uint64_t full = file_size(path());
  const std::uint64_t last = offsets[2];
  truncate_to(path(), last + (full - last) / 2);

  {
    CapturedLog log;
    auto store = testing::open_store(options(), log.logger());
    EXPECT_THAT(log.text(), HasSubstr("torn tail at byte " + std::to_string(last)));
    EXPECT_THAT(log.text(), HasSubstr("[warning]"));
    EXPECT_EQ(file_size(path()), last);
    EXPECT_EQ(*store->head(), 4u);
    EXPECT_EQ(*store->stream_version(user("u2")), kNoVersion);
    // The lost batch can be written again, and more after it.
    write_batches(*store, 2, /*first=*/2);
    EXPECT_EQ(*store->head(), 8u);
    store->close();
  }
  CapturedLog log;
  auto store = testing::open_store(options(), log.logger());
  EXPECT_THAT(log.text(), Not(HasSubstr("torn")));
  auto events = testing::all_events(*store);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[4].stream, user("u2"));
  EXPECT_EQ(events[7].position, 8u);
}

TEST_F(MemoryStoreRecoveryTest, TornTailsOfEveryKindAreCutOff) {
  struct Case {
    const char* name;
    std::function<void(std::uint64_t full, std::uint64_t last)> damage;
  };
  std::vector<Case> cases = {
      {"partial header", [&](auto, auto) { append_bytes(path(), std::string(7, '\x11')); }},
      {"zeros", [&](auto, auto) { append_bytes(path(), std::string(4096, '\0')); }},
      {"bad checksum on the last record", [&](auto full, auto) { flip_byte(path(), full - 3); }},
      {"cut inside the header", [&](auto, auto last) { truncate_to(path(), last + 5); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::filesystem::remove(path());
    std::vector<std::uint64_t> offsets;
    {
      auto store = testing::open_store(options());
      offsets = write_batches(*store, 2);
      store->close();
    }
    const std::uint64_t full = file_size(path());
    c.damage(full, offsets[1]);
    CapturedLog log;
    auto store = testing::open_store(options(), log.logger());
    EXPECT_THAT(log.text(), HasSubstr("torn tail"));
    auto events = testing::all_events(*store);
    // Either both batches (junk after them) or only the first (last one torn).
    EXPECT_TRUE(events.size() == 4 || events.size() == 2) << events.size();
    ASSERT_TRUE(
        store->append(request(user("late"), ExpectedVersion::any(), {event("A")})).status.is_ok());
    store->close();
    auto again = testing::open_store(options());
    EXPECT_EQ(testing::all_events(*again).size(), events.size() + 1);
  }
}

TEST_F(MemoryStoreRecoveryTest, FlippedByteInAMiddleRecordStopsOpenAndNamesTheOffset) {
  std::vector<std::uint64_t> offsets;
  {
    auto store = testing::open_store(options());
    offsets = write_batches(*store, 3);
    store->close();
  }
  const std::uint64_t size = file_size(path());

  // In the payload of the middle record.
  flip_byte(path(), offsets[1] + kRecordHeaderSize + 30);
  MemoryStore store(options(), nullptr);
  Status s = store.open();
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("byte " + std::to_string(offsets[1])));
  EXPECT_THAT(s.message(), HasSubstr(path()));
  EXPECT_THAT(s.message(), HasSubstr("truncate -s"));
  EXPECT_EQ(file_size(path()), size) << "a damaged log is left as it is";
  flip_byte(path(), offsets[1] + kRecordHeaderSize + 30);  // repair

  // In the length of the middle record's header.
  flip_byte(path(), offsets[1] + 1);
  MemoryStore store2(options(), nullptr);
  s = store2.open();
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("byte " + std::to_string(offsets[1])));
  flip_byte(path(), offsets[1] + 1);

  auto repaired = testing::open_store(options());
  EXPECT_EQ(*repaired->head(), 6u);
}

// Damage at random (a byte changed, the file cut anywhere, junk or zeros
// appended, a range zeroed), many times over one log: open() either
// recovers a prefix of what was written, exactly (a torn tail cut off), or
// refuses, naming the file, and leaves it as it is. It never returns an
// event that was not written, nor one changed.
TEST_F(MemoryStoreRecoveryTest, RandomDamageIsCutOffOrRefusedNeverMisread) {
  std::vector<RecordedEvent> written;
  {
    auto store = testing::open_store(options());
    write_batches(*store, 20);
    written = testing::all_events(*store);
    store->close();
  }
  auto read_file = [&] {
    std::ifstream in(path(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string original = read_file();
  std::mt19937 rng(herald::testing::test_seed(1127));
  auto below = [&](std::size_t n) { return n == 0 ? std::size_t{0} : rng() % n; };
  int recovered = 0, refused = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bytes = original;
    std::string what;
    for (int edits = 1 + static_cast<int>(below(2)); edits > 0; --edits) {
      switch (below(4)) {
        case 0: {
          const std::size_t at = below(bytes.size());
          bytes[at] = static_cast<char>(bytes[at] ^ (1 + below(255)));
          what += " flip@" + std::to_string(at);
          break;
        }
        case 1: {
          const std::size_t to = below(bytes.size() + 1);
          bytes.resize(to);
          what += " cut@" + std::to_string(to);
          break;
        }
        case 2: {
          std::string junk(1 + below(64), '\0');
          if (below(2) == 0) {
            for (char& c : junk) c = static_cast<char>(below(256));
          }
          bytes += junk;
          what += " junk+" + std::to_string(junk.size());
          break;
        }
        case 3: {
          const std::size_t at = below(bytes.size());
          const std::size_t n = std::min(bytes.size() - at, 1 + below(40));
          std::fill_n(bytes.begin() + static_cast<long>(at), n, '\0');
          what += " zero@" + std::to_string(at) + "+" + std::to_string(n);
          break;
        }
      }
    }
    {
      std::ofstream out(path(), std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    SCOPED_TRACE("damage:" + what);
    MemoryStore store(options(), nullptr);
    const Status s = store.open();
    if (!s.is_ok()) {
      ++refused;
      EXPECT_EQ(s.code(), StatusCode::kFailed) << s.message();
      // Where: the file, and the offset of a damaged record (or what is
      // wrong with the file's header).
      EXPECT_THAT(s.message(), HasSubstr(path())) << s.message();
      EXPECT_EQ(read_file(), bytes) << "a refused log is left as it is";
      continue;
    }
    ++recovered;
    const std::vector<RecordedEvent> read = testing::all_events(store);
    ASSERT_LE(read.size(), written.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
      ASSERT_EQ(read[i].id, written[i].id) << i;
      ASSERT_EQ(read[i].position, written[i].position) << i;
      ASSERT_EQ(read[i].stream, written[i].stream) << i;
      ASSERT_EQ(read[i].type, written[i].type) << i;
      ASSERT_EQ(read[i].data, written[i].data) << i;
    }
    store.close();
  }
  EXPECT_GT(recovered, 30);
  EXPECT_GT(refused, 30);
}

TEST_F(MemoryStoreRecoveryTest, SomethingElseThanALogIsRefused) {
  std::filesystem::create_directories(dir_.path() / "data");
  append_bytes(path(), "this is a text file, not an event log at all\n");
  MemoryStore store(options(), nullptr);
  Status s = store.open();
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr(path()));
  EXPECT_THAT(s.message(), HasSubstr("magic"));

  std::filesystem::remove(path());
  append_bytes(path(), "short");
  s = MemoryStore(options(), nullptr).open();
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("not a herald event log"));
}

// A file that never held a record: part of a header (a start that stopped
// before its header was written whole), or 16 zero bytes (a crash in the
// first start after the header's size reached the disk but before its
// bytes did, which no start would open again).
TEST_F(MemoryStoreRecoveryTest, AFileWithoutAWholeHeaderStartsEmpty) {
  std::filesystem::create_directories(dir_.path() / "data");
  for (const std::string& content :
       {encode_file_header().substr(0, 5), std::string(encode_file_header().size(), '\0')}) {
    std::filesystem::remove(path());
    append_bytes(path(), content);
    CapturedLog log;
    auto store = testing::open_store(options(), log.logger());
    EXPECT_THAT(log.text(), HasSubstr("rewriting the header"));
    EXPECT_EQ(*store->head(), 0u);
    ASSERT_TRUE(
        store->append(request(user("u1"), ExpectedVersion::any(), {event("A")})).status.is_ok());
    store->close();
    EXPECT_EQ(*testing::open_store(options())->head(), 1u);
  }
}

TEST_F(MemoryStoreRecoveryTest, WriteFailurePutsTheStoreInAFailedState) {
  auto store = testing::open_store(options());
  write_batches(*store, 1);
  const std::uint64_t size = file_size(path());

  // RLIMIT_FSIZE makes write() fail with EFBIG past the limit: a full disk
  // without needing one. Each test runs in its own process under ctest.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit limited = old;
  limited.rlim_cur = size + 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  auto r = store->append(request(user("big"), ExpectedVersion::any(),
                                 {event("A", Json{{"blob", std::string(200, 'x')}})}));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);

  EXPECT_EQ(r.status.code(), StatusCode::kRetry);
  EXPECT_THAT(r.status.message(), HasSubstr("cannot write"));
  EXPECT_EQ(store->health().code(), StatusCode::kFailed);
  EXPECT_THAT(store->health().message(), HasSubstr(path()));
  // Nothing unacknowledged becomes visible, and later writes are refused.
  EXPECT_EQ(*store->head(), 2u);
  EXPECT_EQ(*store->stream_version(user("big")), kNoVersion);
  EXPECT_EQ(store->append(request(user("x"), ExpectedVersion::any(), {event("A")})).status.code(),
            StatusCode::kRetry);
  EXPECT_EQ(store->save_checkpoint("c", 1).code(), StatusCode::kRetry);
  EXPECT_EQ(store->read_all(0, 10, {})->events.size(), 2u);
  store->close();

  // The partial write is a torn tail on the next start.
  auto reopened = testing::open_store(options());
  EXPECT_EQ(*reopened->head(), 2u);
}

}  // namespace
}  // namespace herald::plugins::memory
