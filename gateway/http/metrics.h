// Counters for GET /metrics (Prometheus text format). Lock-free increments
// from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace herald::gateway {

// The HTTP server's connections at one moment, from Poco's TCPServer.
struct ConnectionCounts {
  int active = 0;             // connections being served (one worker each)
  int queued = 0;             // accepted, waiting for a worker
  std::uint64_t refused = 0;  // answered 503 and closed: max_queued were waiting
};

class Metrics {
 public:
  // Status classes 1xx..5xx, indexed by status / 100.
  void count_request(int status) {
    int i = status / 100;
    if (i >= 1 && i <= 5) requests_[i].fetch_add(1, std::memory_order_relaxed);
  }
  void count_command(bool ok) { (ok ? commands_ok_ : commands_failed_).fetch_add(1, std::memory_order_relaxed); }
  void count_events(std::uint64_t n) { events_appended_.fetch_add(n, std::memory_order_relaxed); }
  void count_handed_over() { handed_over_.fetch_add(1, std::memory_order_relaxed); }

  // `head` is the store's last position (or -1 when unknown).
  std::string render(std::int64_t head, const ConnectionCounts& connections) const;

 private:
  std::array<std::atomic<std::uint64_t>, 6> requests_{};
  std::atomic<std::uint64_t> commands_ok_{0};
  std::atomic<std::uint64_t> commands_failed_{0};
  std::atomic<std::uint64_t> events_appended_{0};
  std::atomic<std::uint64_t> handed_over_{0};
};

}  // namespace herald::gateway
