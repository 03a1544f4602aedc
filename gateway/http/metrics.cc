#include "http/metrics.h"

namespace herald::gateway {

std::string Metrics::render(std::int64_t head, const ConnectionCounts& connections) const {
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
  if (head >= 0) {
    out += "# HELP herald_store_head_position Last position of the global log.\n";
    out += "# TYPE herald_store_head_position gauge\n";
    out += "herald_store_head_position " + std::to_string(head) + "\n";
  }
  return out;
}

}  // namespace herald::gateway
