#include "http/metrics.h"

#include <algorithm>
#include <cstdio>

namespace herald::gateway {
namespace {

// A label value as the text format wants it: \, " and newline escaped.
std::string label_value(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

}  // namespace

void Metrics::observe_command(std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const auto at = std::lower_bound(kCommandBuckets.begin(), kCommandBuckets.end(), seconds);
  command_buckets_[static_cast<std::size_t>(at - kCommandBuckets.begin())].fetch_add(
      1, std::memory_order_relaxed);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
  command_ns_.fetch_add(ns > 0 ? static_cast<std::uint64_t>(ns) : 0, std::memory_order_relaxed);
}

std::string Metrics::render(const MetricsSnapshot& now) const {
  const ConnectionCounts& connections = now.connections;
  std::string out;
  out += "# HELP herald_http_requests_total HTTP requests answered, by status class.\n";
  out += "# TYPE herald_http_requests_total counter\n";
  for (int i = 1; i <= 5; ++i) {
    out += "herald_http_requests_total{code=\"" + std::to_string(i) + "xx\"} " +
           std::to_string(requests_[i].load(std::memory_order_relaxed)) + "\n";
  }
  out += "# HELP herald_commands_total Commands handled, by outcome.\n";
  out += "# TYPE herald_commands_total counter\n";
  out += "herald_commands_total{outcome=\"ok\"} " + std::to_string(commands_ok_.load()) + "\n";
  out += "herald_commands_total{outcome=\"error\"} " + std::to_string(commands_failed_.load()) + "\n";
  out +=
      "# HELP herald_http_connections_handed_over_total Keep-alive connections closed (after "
      "an answer, or while idle) because other connections were waiting for a worker thread.\n";
  out += "# TYPE herald_http_connections_handed_over_total counter\n";
  out += "herald_http_connections_handed_over_total " + std::to_string(handed_over_.load()) + "\n";
  out +=
      "# HELP herald_http_connections_active HTTP connections being served, one worker thread "
      "each.\n";
  out += "# TYPE herald_http_connections_active gauge\n";
  out += "herald_http_connections_active " + std::to_string(connections.active) + "\n";
  out +=
      "# HELP herald_http_connections_queued HTTP connections accepted and waiting for a worker "
      "thread.\n";
  out += "# TYPE herald_http_connections_queued gauge\n";
  out += "herald_http_connections_queued " + std::to_string(connections.queued) + "\n";
  out +=
      "# HELP herald_http_connections_refused_total HTTP connections answered 503 and closed "
      "because gateway.http.max_queued connections were already waiting for a worker thread.\n";
  out += "# TYPE herald_http_connections_refused_total counter\n";
  out += "herald_http_connections_refused_total " + std::to_string(connections.refused) + "\n";
  out += "# HELP herald_events_appended_total Events appended by this process.\n";
  out += "# TYPE herald_events_appended_total counter\n";
  out += "herald_events_appended_total " + std::to_string(events_appended_.load()) + "\n";
  out +=
      "# HELP herald_http_requests_waiting Requests holding a worker thread while they wait: "
      "read-your-writes queries (min_position) and long polls of /v1/events (wait_ms).\n";
  out += "# TYPE herald_http_requests_waiting gauge\n";
  out += "herald_http_requests_waiting " + std::to_string(now.waiting) + "\n";

  out +=
      "# HELP herald_command_duration_seconds Time from a command's request to its answer "
      "(durable when 200), whatever the outcome.\n";
  out += "# TYPE herald_command_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kCommandBuckets.size(); ++i) {
    cumulative += command_buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < kCommandBuckets.size() ? number(kCommandBuckets[i]) : "+Inf";
    out += "herald_command_duration_seconds_bucket{le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "herald_command_duration_seconds_sum " +
         number(static_cast<double>(command_ns_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  out += "herald_command_duration_seconds_count " + std::to_string(cumulative) + "\n";

  if (now.head >= 0) {
    out += "# HELP herald_store_head_position Last position of the global log.\n";
    out += "# TYPE herald_store_head_position gauge\n";
    out += "herald_store_head_position " + std::to_string(now.head) + "\n";
  }

  if (now.projections.is_array() && !now.projections.empty()) {
    std::string position, lag, failed;
    for (const auto& p : now.projections) {
      const std::string labels =
          "{projection=\"" + label_value(p.value("name", std::string())) + "\"} ";
      position += "herald_projection_position" + labels +
                  std::to_string(p.value("position", std::uint64_t{0})) + "\n";
      lag += "herald_projection_lag_events" + labels +
             std::to_string(p.value("lag", std::uint64_t{0})) + "\n";
      failed += "herald_projection_failed" + labels +
                (p.value("state", std::string()) == "failed" ? "1" : "0") + "\n";
    }
    out += "# HELP herald_projection_position Last global position the read model has applied.\n";
    out += "# TYPE herald_projection_position gauge\n" + position;
    out +=
        "# HELP herald_projection_lag_events Events in the global log the read model has not "
        "applied yet.\n";
    out += "# TYPE herald_projection_lag_events gauge\n" + lag;
    out +=
        "# HELP herald_projection_failed 1 when the read model's subscription has stopped on "
        "an event it could not apply (GET /v1/admin/subscriptions says which).\n";
    out += "# TYPE herald_projection_failed gauge\n" + failed;
  }
  return out;
}

}  // namespace herald::gateway
