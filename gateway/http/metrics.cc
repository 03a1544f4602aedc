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
  std::string out;
  // A family's HELP and TYPE lines, then its samples: "name{labels} value".
  auto family = [&out](const char* name, const char* type, const char* help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  };
  auto sample = [&out](const std::string& name, const std::string& value) {
    out.append(name).append(" ").append(value).append("\n");
  };
  auto load = [](const std::atomic<std::uint64_t>& n) {
    return std::to_string(n.load(std::memory_order_relaxed));
  };

  family("herald_http_requests_total", "counter", "HTTP requests answered, by status class.");
  for (int i = 1; i <= 5; ++i) {
    sample("herald_http_requests_total{code=\"" + std::to_string(i) + "xx\"}", load(requests_[i]));
  }
  family("herald_commands_total", "counter", "Commands handled, by outcome.");
  sample("herald_commands_total{outcome=\"ok\"}", load(commands_ok_));
  sample("herald_commands_total{outcome=\"error\"}", load(commands_failed_));
  family("herald_http_connections_handed_over_total", "counter",
         "Keep-alive connections closed (after an answer, or while idle) because other "
         "connections were waiting for a worker thread.");
  sample("herald_http_connections_handed_over_total", load(handed_over_));
  family("herald_http_connections_active", "gauge",
         "HTTP connections being served, one worker thread each.");
  sample("herald_http_connections_active", std::to_string(now.connections.active));
  family("herald_http_connections_queued", "gauge",
         "HTTP connections accepted and waiting for a worker thread.");
  sample("herald_http_connections_queued", std::to_string(now.connections.queued));
  family("herald_http_connections_refused_total", "counter",
         "HTTP connections answered 503 and closed because gateway.http.max_queued connections "
         "were already waiting for a worker thread.");
  sample("herald_http_connections_refused_total", std::to_string(now.connections.refused));
  family("herald_events_appended_total", "counter", "Events appended by this process.");
  sample("herald_events_appended_total", load(events_appended_));
  family("herald_http_requests_waiting", "gauge",
         "Requests holding a worker thread while they wait: read-your-writes queries "
         "(min_position) and long polls of /v1/events (wait_ms).");
  sample("herald_http_requests_waiting", std::to_string(now.waiting));

  family("herald_command_duration_seconds", "histogram",
         "Time from a command's request to its answer (durable when 200), whatever the outcome.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kCommandBuckets.size(); ++i) {
    cumulative += command_buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < kCommandBuckets.size() ? number(kCommandBuckets[i]) : "+Inf";
    sample("herald_command_duration_seconds_bucket{le=\"" + le + "\"}", std::to_string(cumulative));
  }
  sample("herald_command_duration_seconds_sum",
         number(static_cast<double>(command_ns_.load(std::memory_order_relaxed)) / 1e9));
  sample("herald_command_duration_seconds_count", std::to_string(cumulative));

  if (now.head >= 0) {
    family("herald_store_head_position", "gauge", "Last position of the global log.");
    sample("herald_store_head_position", std::to_string(now.head));
  }

  if (now.projections.is_array() && !now.projections.empty()) {
    auto per_model = [&](const char* name, const char* help, auto value_of) {
      family(name, "gauge", help);
      for (const auto& p : now.projections) {
        sample(std::string(name) + "{projection=\"" + label_value(p.value("name", std::string())) +
                   "\"}",
               value_of(p));
      }
    };
    per_model("herald_projection_position", "Last global position the read model has applied.",
              [](const Json& p) { return std::to_string(p.value("position", std::uint64_t{0})); });
    per_model("herald_projection_lag_events",
              "Events in the global log the read model has not applied yet.",
              [](const Json& p) { return std::to_string(p.value("lag", std::uint64_t{0})); });
    per_model("herald_projection_failed",
              "1 when the read model's subscription has stopped on an event it could not apply "
              "(GET /v1/admin/subscriptions says which).",
              [](const Json& p) {
                return std::string(p.value("state", std::string()) == "failed" ? "1" : "0");
              });
  }
  return out;
}

}  // namespace herald::gateway
