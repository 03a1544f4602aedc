// herald while it starts: a signal during the replay of a big log stops it at
// once, and the log it leaves is whole.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "memory_store.h"
#include "support/herald_process.h"

namespace herald::testing {
namespace {

using namespace std::chrono_literals;
using plugins::memory::FsyncMode;
using plugins::memory::MemoryStore;
using plugins::memory::MemoryStoreOptions;

// Writes `events` UserCreated events (in appends of 1000, over 1000 users)
// to the event log the default config opens in `dir`.
void write_log(const std::filesystem::path& dir, int events) {
  MemoryStoreOptions o;
  o.path = (dir / "events.log").string();
  o.fsync = FsyncMode::kNever;
  MemoryStore store(o, nullptr);
  ASSERT_TRUE(store.open().is_ok());
  for (int done = 0; done < events; done += 1000) {
    AppendRequest r;
    r.stream = StreamId{"User", "u" + std::to_string(done / 1000 % 1000)};
    r.expected = ExpectedVersion::any();
    for (int i = 0; i < 1000; ++i) {
      NewEvent e;
      e.id = "e" + std::to_string(done + i);
      e.type = "UserUpdated";
      e.data = {{"name", "User " + std::to_string(done + i)}};
      r.events.push_back(std::move(e));
    }
    AppendResult result = store.append(r);
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  }
  store.close();
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(HeraldStartup, ASignalDuringTheLogReplayStopsAtOnce) {
  auto dir = make_temp_dir("herald-startup-");
  struct RemoveAtEnd {  // the log is big: gone even when an assertion fails
    std::filesystem::path dir;
    ~RemoveAtEnd() { std::filesystem::remove_all(dir); }
  } remove_at_end{dir};
  constexpr int kEvents = 3000000;  // about 160 MB; its replay takes about a second here
  write_log(dir, kEvents);

  HeraldProcess herald(dir);
  herald.spawn();
  // The start line comes once herald takes signals itself, right before the
  // store opens; the signal follows within a millisecond or two, far inside
  // the replay.
  for (int i = 0; i < 5000 && !contains(herald.log(), "starting with"); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(contains(herald.log(), "starting with")) << herald.log();
  EXPECT_EQ(herald.stop(SIGTERM), 0) << herald.log();
  const std::string log = herald.log();
  // Without the early stop, herald finished the replay, opened the HTTP API
  // and only then stopped.
  EXPECT_TRUE(contains(log, "received while the store opens: stopping now")) << log;
  EXPECT_FALSE(contains(log, "HTTP API listening")) << log;

  // The log is whole: the next start replays every event.
  HeraldProcess again(dir);
  again.start();
  auto head = again.request("GET", "/v1/events?after=0&limit=1").json()["head"];
  EXPECT_EQ(head, kEvents);
  EXPECT_EQ(again.stop(), 0) << again.log();
}

}  // namespace
}  // namespace herald::testing
