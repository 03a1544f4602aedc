// herald while it starts: a signal during the replay of a big log stops it at
// once, and the log it leaves is whole; under systemd (NOTIFY_SOCKET) it says
// when it is ready, stopping, and alive.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "memory_store.h"
#include "support/herald_process.h"
#include "support/notify_socket.h"

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

// Type=notify: READY=1 once the HTTP API answers (units ordered after herald
// start only then), WATCHDOG=1 at half of WatchdogSec=, STOPPING=1 on
// SIGTERM; more start time asked for while the store opens.
TEST(HeraldUnderSystemd, NotifiesReadyWhenItAnswersWatchdogWhileItRunsAndStopping) {
  auto dir = make_temp_dir("herald-notify-");
  NotifySocket systemd((dir / "notify.sock").string());
  HeraldProcess herald(dir);
  herald.set_env("NOTIFY_SOCKET", systemd.name());
  herald.set_env("WATCHDOG_USEC", "200000");  // pings every 100 ms
  herald.spawn();

  std::string seen;
  auto opening = systemd.wait_for("STATUS=", 30s, &seen);
  ASSERT_TRUE(opening.has_value()) << seen << herald.log();
  EXPECT_TRUE(contains(*opening, "EXTEND_TIMEOUT_USEC=")) << *opening;
  auto ready = systemd.wait_for("READY=1", 30s, &seen);
  ASSERT_TRUE(ready.has_value()) << seen << herald.log();
  // Told ready, it answers: the notification came after the API listened.
  EXPECT_EQ(herald.request("GET", "/health/ready").status, 200) << herald.log();
  EXPECT_TRUE(contains(*ready, "STATUS=serving HTTP on 127.0.0.1:" + std::to_string(herald.port())))
      << *ready;

  int pings = 0;
  const auto until = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < until) {
    if (auto m = systemd.receive(100ms); m && contains(*m, "WATCHDOG=1")) ++pings;
  }
  EXPECT_GE(pings, 4) << herald.log();  // 10 expected; the machine is busy
  EXPECT_LE(pings, 20) << herald.log();

  EXPECT_EQ(herald.stop(), 0) << herald.log();
  // Queued in the socket since the stop began.
  auto stopping = systemd.wait_for("STOPPING=1", 5s, &seen);
  EXPECT_TRUE(stopping.has_value()) << seen << herald.log();
  std::filesystem::remove_all(dir);
}

// Outside systemd nothing changes: no watchdog line, no notification errors.
TEST(HeraldUnderSystemd, WithoutNotifySocketNothingIsSent) {
  auto dir = make_temp_dir("herald-plain-");
  HeraldProcess herald(dir);
  herald.set_env("WATCHDOG_USEC", "200000");  // without NOTIFY_SOCKET: ignored
  herald.start();
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  EXPECT_FALSE(contains(herald.log(), "watchdog")) << herald.log();
  EXPECT_FALSE(contains(herald.log(), "systemd")) << herald.log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace herald::testing
