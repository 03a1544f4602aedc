// SystemdNotifier: what it reads from the environment, and what it sends.
#include "core/systemd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/notify_socket.h"

namespace herald::gateway {
namespace {

using namespace std::chrono_literals;
using herald::testing::NotifySocket;

std::string temp_socket_path() {
  return (std::filesystem::temp_directory_path() /
          ("herald-notify-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
      .string();
}

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
};

TEST_F(SystemdNotifyTest, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  SystemdNotifier n = SystemdNotifier::from_environment();
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.watchdog().has_value());
  EXPECT_TRUE(n.notify("READY=1"));
}

TEST_F(SystemdNotifyTest, SendsEachStateAsOneDatagramAndUnsetsTheEnvironment) {
  NotifySocket systemd(temp_socket_path());
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "250000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  SystemdNotifier n = SystemdNotifier::from_environment();
  ASSERT_TRUE(n.enabled());
  ASSERT_TRUE(n.watchdog().has_value());
  EXPECT_EQ(*n.watchdog(), 250ms);
  // Nothing herald starts may notify in its name.
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);

  EXPECT_TRUE(n.notify("READY=1\nSTATUS=serving"));
  EXPECT_TRUE(n.notify("WATCHDOG=1"));
  EXPECT_EQ(systemd.receive(1s), "READY=1\nSTATUS=serving");
  EXPECT_EQ(systemd.receive(1s), "WATCHDOG=1");
}

// A full queue at systemd's end (net.unix.max_dgram_qlen datagrams not yet
// read, in a busy boot) made the send fail at once, and READY=1 was lost:
// systemd would have stopped herald at TimeoutStartSec=. It waits for room.
TEST_F(SystemdNotifyTest, AFullQueueIsWaitedForNotDropped) {
  NotifySocket systemd(temp_socket_path());
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  SystemdNotifier n = SystemdNotifier::from_environment();
  ASSERT_TRUE(n.enabled());
  // Fill systemd's queue from another socket.
  const int other = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(other, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, systemd.name().data(), systemd.name().size());
  int queued = 0;
  while (queued < 100000 &&
         ::sendto(other, "X=1", 3, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&address),
                  sizeof address) == 3) {
    ++queued;
  }
  ::close(other);
  ASSERT_GT(queued, 0);
  ASSERT_LT(queued, 100000) << "the queue never filled";
  // systemd reads its queue a moment later.
  std::vector<std::string> read;
  std::thread reader([&] {
    std::this_thread::sleep_for(100ms);
    while (auto m = systemd.receive(2s)) {
      read.push_back(*m);
      if (*m == "READY=1") break;
    }
  });
  EXPECT_TRUE(n.notify("READY=1"));
  reader.join();
  ASSERT_FALSE(read.empty());
  EXPECT_EQ(read.back(), "READY=1");
  EXPECT_EQ(read.size(), static_cast<std::size_t>(queued) + 1);
}

TEST_F(SystemdNotifyTest, AnAbstractSocketNameWorks) {
  NotifySocket systemd("@herald-notify-" + std::to_string(::getpid()));
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  SystemdNotifier n = SystemdNotifier::from_environment();
  EXPECT_FALSE(n.watchdog().has_value());
  EXPECT_TRUE(n.notify("STOPPING=1"));
  EXPECT_EQ(systemd.receive(1s), "STOPPING=1");
}

TEST_F(SystemdNotifyTest, TheWatchdogIsAnotherProcesssWhenWatchdogPidSaysSo) {
  NotifySocket systemd(temp_socket_path());
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "250000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(SystemdNotifier::from_environment().watchdog().has_value());
  for (const char* usec : {"0", "-5", "12x", ""}) {
    ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
    ::setenv("WATCHDOG_USEC", usec, 1);
    ::unsetenv("WATCHDOG_PID");
    EXPECT_FALSE(SystemdNotifier::from_environment().watchdog().has_value()) << usec;
  }
}

TEST_F(SystemdNotifyTest, NobodyListeningOrAMalformedSocketIsReportedNotThrown) {
  ::setenv("NOTIFY_SOCKET", temp_socket_path().c_str(), 1);  // nothing bound there
  SystemdNotifier gone = SystemdNotifier::from_environment();
  EXPECT_TRUE(gone.enabled());
  EXPECT_FALSE(gone.notify("READY=1"));
  EXPECT_FALSE(gone.notify("READY=1"));  // again: logged once, still no throw

  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(SystemdNotifier::from_environment().enabled());
  ::setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);
  SystemdNotifier too_long = SystemdNotifier::from_environment();
  EXPECT_FALSE(too_long.notify("READY=1"));
}

}  // namespace
}  // namespace herald::gateway
