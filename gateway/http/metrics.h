// Counters for GET /metrics (Prometheus text format). Lock-free increments
// from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "herald/event.h"

namespace herald::gateway {

// The HTTP server's connections at one moment, from Poco's TCPServer.
struct ConnectionCounts {
  int active = 0;             // connections being served (one worker each)
  int queued = 0;             // accepted, waiting for a worker
  std::uint64_t refused = 0;  // answered 503 and closed: max_queued were waiting
};

// What /metrics reports as it is at the moment of the scrape.
struct MetricsSnapshot {
  std::int64_t head = -1;  // the store's last position; -1 when unknown
  ConnectionCounts connections;
  int waiting = 0;                   // requests waiting (read-your-writes, long polls)
  Json projections = Json::array();  // ProjectionRegistry::status()
};

class Metrics {
 public:
  // The command duration histogram's upper bounds, in seconds.
  static constexpr std::array<double, 12> kCommandBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  // Status classes 1xx..5xx, indexed by status / 100.
  void count_request(int status) {
    int i = status / 100;
    if (i >= 1 && i <= 5) requests_[i].fetch_add(1, std::memory_order_relaxed);
  }
  void count_command(bool ok) { (ok ? commands_ok_ : commands_failed_).fetch_add(1, std::memory_order_relaxed); }
  void count_events(std::uint64_t n) { events_appended_.fetch_add(n, std::memory_order_relaxed); }
  void count_handed_over() { handed_over_.fetch_add(1, std::memory_order_relaxed); }
  // A command's time from its request to its answer, whatever the outcome.
  void observe_command(std::chrono::steady_clock::duration took);

  std::string render(const MetricsSnapshot& now) const;

 private:
  std::array<std::atomic<std::uint64_t>, 6> requests_{};
  std::atomic<std::uint64_t> commands_ok_{0};
  std::atomic<std::uint64_t> commands_failed_{0};
  std::atomic<std::uint64_t> events_appended_{0};
  std::atomic<std::uint64_t> handed_over_{0};
  // Per bucket (not cumulative; the last is +Inf), and the sum in ns.
  std::array<std::atomic<std::uint64_t>, kCommandBuckets.size() + 1> command_buckets_{};
  std::atomic<std::uint64_t> command_ns_{0};
};

}  // namespace herald::gateway
