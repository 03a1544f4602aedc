#include "core/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace herald::gateway {
namespace {

constexpr std::chrono::seconds kSendTimeout{1};

std::optional<std::uint64_t> positive_number(const char* text) {
  if (text == nullptr) return std::nullopt;
  std::string_view s(text);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n == 0) return std::nullopt;
  return n;
}

}  // namespace

SystemdNotifier::SystemdNotifier(std::string socket_path,
                                 std::optional<std::chrono::microseconds> watchdog)
    : socket_path_(std::move(socket_path)), watchdog_(watchdog) {}

SystemdNotifier SystemdNotifier::from_environment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  std::string path = socket ? socket : "";
  std::optional<std::chrono::microseconds> watchdog;
  if (auto usec = positive_number(std::getenv("WATCHDOG_USEC"))) {
    const char* pid_text = std::getenv("WATCHDOG_PID");
    auto pid = positive_number(pid_text);
    if (pid_text == nullptr || (pid && *pid == static_cast<std::uint64_t>(::getpid()))) {
      watchdog = std::chrono::microseconds(*usec);
    }
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  // Only a path or an abstract name is a socket systemd could have given.
  if (!path.empty() && path[0] != '/' && path[0] != '@') {
    spdlog::warn("NOTIFY_SOCKET={} is neither a path nor an abstract socket name: not notifying",
                 path);
    path.clear();
  }
  if (path.empty()) watchdog.reset();
  return SystemdNotifier(std::move(path), watchdog);
}

bool SystemdNotifier::notify(std::string_view state) {
  if (!enabled()) return true;
  // Logged the first time only: a notification that cannot be sent cannot
  // be sent every 15 s either.
  auto failed = [this](const std::string& why) {
    if (!warned_) spdlog::warn("cannot notify systemd through {}: {}", socket_path_, why);
    warned_ = true;
    return false;
  };
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path) return failed("the path is too long");
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return failed(std::string("socket: ") + std::strerror(errno));
  // When systemd's queue is full (a busy boot), wait for room rather than
  // lose READY=1 (systemd would stop herald at TimeoutStartSec= and start it
  // again, and again) or STOPPING=1, as libsystemd's sd_notify does; but
  // only so long, so that a stuck receiver cannot hang the main thread.
  const timeval limit{static_cast<time_t>(kSendTimeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  const int error = errno;
  ::close(fd);
  if (sent < 0) return failed(std::strerror(error));
  if (sent != static_cast<ssize_t>(state.size())) return failed("short write");
  return true;
}

}  // namespace herald::gateway
