// Rebuild time of the seed's `users` read model (config/herald.yaml) over
// N events (default 1,000,000), next to the raw rate of reading the same log
// from the same store in the same run:
//   - baseline: read_all from position 0 to the head in pages, no work;
//   - start: a fresh gateway's catch-up from 0 (what every start does for an
//     in-memory model);
//   - live rebuild: POST .../rebuild's path, a second model built beside the
//     live one and swapped in.
// Usage: bench_projection_rebuild [EVENTS]
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "config/gateway_config.h"
#include "core/runtime.h"

using namespace herald;
using namespace herald::gateway;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

GatewayConfig bench_config() {
  GatewayConfig config = parse_gateway_config(
      ConfigDocument::from_file(std::string(HERALD_SOURCE_DIR) + "/config/herald.yaml"));
  config.plugin_dirs = {HERALD_PLUGIN_DIR};
  config.store.config = Json{{"path", ""}};  // memory only: measure the projection, not the disk
  std::erase_if(config.projections, [](const ProjectionSection& p) { return p.name != "users"; });
  return config;
}

void fill(EventStore& store, std::uint64_t events) {
  const std::uint64_t per_user = 4;  // created + 3 updates
  const std::uint64_t users = events / per_user;
  auto t0 = Clock::now();
  for (std::uint64_t u = 0; u < users; ++u) {
    AppendRequest r;
    r.stream = {"User", "u" + std::to_string(u)};
    r.expected = ExpectedVersion::no_stream();
    const std::string name = "User " + std::to_string(u);
    r.events.push_back(NewEvent{"c-" + std::to_string(u), "UserCreated", 1,
                                {{"name", name}, {"email", "u" + std::to_string(u) + "@example.com"}}, {}});
    for (int k = 1; k < static_cast<int>(per_user); ++k) {
      r.events.push_back(NewEvent{"u-" + std::to_string(u) + "-" + std::to_string(k), "UserUpdated", 1,
                                  {{"name", name + " v" + std::to_string(k)}}, {}});
    }
    if (!store.append(r).status.is_ok()) throw std::runtime_error("append failed");
    if ((u + 1) % (users / 10 == 0 ? 1 : users / 10) == 0) {
      std::fprintf(stderr, "  appended %llu/%llu events (%.1f s)\n",
                   static_cast<unsigned long long>((u + 1) * per_user),
                   static_cast<unsigned long long>(users * per_user), seconds_since(t0));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t events = argc > 1 ? std::stoull(argv[1]) : 1000000;
  spdlog::set_level(spdlog::level::warn);
  Runtime runtime(bench_config());
  runtime.build();
  if (!runtime.store().open().is_ok()) return 1;
  std::fprintf(stderr, "filling the store with %llu User events\n", static_cast<unsigned long long>(events));
  fill(runtime.store(), events);
  const Position head = *runtime.store().head();

  // Baseline: read the whole log, nothing else.
  auto t0 = Clock::now();
  Position at = 0;
  std::uint64_t read = 0;
  while (at < head) {
    auto slice = runtime.store().read_all(at, 512, {});
    read += slice->events.size();
    at = slice->next_after;
  }
  const double read_s = seconds_since(t0);

  // A start: the model catches up from 0.
  t0 = Clock::now();
  runtime.projections().start();
  auto live = runtime.projections().find("users");
  while (!live->subscription->wait_for(head, std::chrono::seconds(5))) {
    std::fprintf(stderr, "  catching up: position %llu of %llu\n",
                 static_cast<unsigned long long>(live->subscription->position()),
                 static_cast<unsigned long long>(head));
  }
  const double start_s = seconds_since(t0);

  // A live rebuild beside the live model, until swapped in.
  t0 = Clock::now();
  runtime.projections().rebuild("users");
  for (;;) {
    Json st = runtime.projections().status("users");
    if (!st.contains("rebuild")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double rebuild_s = seconds_since(t0);
  const auto docs = runtime.projections().find("users")->projection->query({})->total;
  runtime.projections().stop();
  runtime.store().close();

  std::printf("projection rebuild (users, %llu events, %llu documents):\n",
              static_cast<unsigned long long>(head), static_cast<unsigned long long>(docs));
  std::printf("  baseline read_all:  %.2f s  (%.0f events/s)\n", read_s, read / read_s);
  std::printf("  catch-up at start:  %.2f s  (%.0f events/s)  ratio to read %.2f\n", start_s,
              head / start_s, read_s / start_s);
  std::printf("  live rebuild:       %.2f s  (%.0f events/s)  ratio to read %.2f\n", rebuild_s,
              head / rebuild_s, read_s / rebuild_s);
  return 0;
}
