// The systemd service protocol (sd_notify(3)), spoken without libsystemd:
// under a unit with Type=notify, systemd passes a datagram socket in
// NOTIFY_SOCKET and reads "READY=1", "STOPPING=1", "STATUS=...",
// "EXTEND_TIMEOUT_USEC=..." and "WATCHDOG=1" from it. Outside systemd (no
// NOTIFY_SOCKET) every call does nothing, so herald behaves the same in a
// terminal.
//
// Who calls what: main.cc's serve() makes one with from_environment() on the
// main thread before any other thread starts (it unsets NOTIFY_SOCKET,
// WATCHDOG_USEC and WATCHDOG_PID, as sd_notify does, so that nothing herald
// starts sends in its name), then calls notify() from the main thread only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald::gateway {

class SystemdNotifier {
 public:
  // Reads (and unsets) NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. A
  // socket path starting with '@' is in the abstract namespace. The watchdog
  // is on when WATCHDOG_USEC is a positive number and WATCHDOG_PID, if set,
  // is this process.
  static SystemdNotifier from_environment();

  SystemdNotifier() = default;
  SystemdNotifier(std::string socket_path, std::optional<std::chrono::microseconds> watchdog);

  // Whether systemd listens (NOTIFY_SOCKET was set).
  bool enabled() const { return !socket_path_.empty(); }

  // The interval systemd expects WATCHDOG=1 within (WatchdogSec=), if any.
  std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

  // Sends `state` (newline-separated assignments) as one datagram. Never
  // throws; blocks only while systemd's queue is full, a second at most;
  // returns false (and logs the first failure) when it could not be sent. A
  // no-op returning true when not enabled.
  bool notify(std::string_view state);

 private:
  std::string socket_path_;
  std::optional<std::chrono::microseconds> watchdog_;
  bool warned_ = false;
};

}  // namespace herald::gateway
