// bench_aggregate_load: what snapshots buy when an aggregate with a long
// history is loaded cold (a gateway just started, or the state fell out of
// the cache).
//
//   baseline  snapshot_every 0: the loader folds every event of the stream
//   measured  snapshot_every S: the loader takes the latest snapshot and folds
//             only the events after it
//
// The stream is one User (the plugin config/herald.yaml names) with N events:
// CreateUser, then UpdateUser N-1 times, written through the gateway's command
// router with snapshot_every S so the snapshots are the ones the gateway
// itself saves. The last S-1 events are written without snapshots, so the
// latest snapshot is S events behind the head: the worst case, not the
// flattering one where a snapshot sits exactly at the head. Each load is a
// cold one: a new CommandRouter (empty state cache) per load, the two
// variants taking turns, who goes first alternating. Both must give the same
// state. The result is the median load time of each and the ratio
// baseline / measured (how many times faster).
//
// Usage: bench_aggregate_load [--events N] [--snapshot-every S] [--rounds R]
//                             [--config FILE] [--plugin-dir DIR]
//   N events (100000), S (100), R rounds (7).

#include "bench_runtime.h"

namespace {

using namespace herald;
using herald::bench::Clock;

struct Args {
  long events = 100000;
  long snapshot_every = 100;
  int rounds = 7;
  bench::RuntimeOptions runtime;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::parse_flags(argc, argv,
                     "usage: bench_aggregate_load [--events N] [--snapshot-every S] [--rounds R] "
                     "[--config FILE] [--plugin-dir DIR]",
                     a.runtime, [&](std::string_view flag, const char* value) {
                       if (flag == "--events")
                         a.events = std::atol(value);
                       else if (flag == "--snapshot-every")
                         a.snapshot_every = std::atol(value);
                       else if (flag == "--rounds")
                         a.rounds = std::atoi(value);
                       else
                         return false;
                       return true;
                     });
  if (a.events < 2 || a.snapshot_every < 1 || a.snapshot_every >= a.events || a.rounds < 1) {
    std::fprintf(stderr, "--events must be >= 2, --snapshot-every in [1, events), --rounds >= 1\n");
    std::exit(2);
  }
  return a;
}

const std::string kStreamId = "long-history";

// A cold load: a fresh router, so nothing is cached. Returns seconds and the
// answer (state and version).
std::pair<double, Json> cold_load(EventStore& store, const gateway::LimitsConfig& limits,
                                  const gateway::AggregateType& type) {
  gateway::CommandRouter router(store, limits);
  router.add(type);
  const auto start = Clock::now();
  CommandOutcome out = router.get_state("User", kStreamId);
  const double seconds = bench::seconds_since(start);
  if (!out.ok()) {
    std::fprintf(stderr, "load failed (%d): %s\n", http_status(out.kind), out.body.dump().c_str());
    std::exit(1);
  }
  return {seconds, std::move(out.body)};
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  auto runtime = bench::build_runtime(args.runtime);
  EventStore& store = runtime->store();
  const gateway::LimitsConfig limits = runtime->config().limits;

  gateway::AggregateType with = bench::aggregate_type(*runtime, "User");
  with.snapshot_every = args.snapshot_every;
  gateway::AggregateType without = with;
  without.snapshot_every = 0;

  std::printf("bench_aggregate_load: config %s, User -> plugin '%s'\n",
              args.runtime.config_file.c_str(), bench::plugin_of(*runtime, "User").c_str());
  std::printf("one User stream of %ld events; cold loads with snapshot_every %ld vs 0; %d rounds\n",
              args.events, args.snapshot_every, args.rounds);
  std::fflush(stdout);

  // The history, written the way the gateway writes it (and snapshots it),
  // the last S-1 events by a router that saves no snapshots.
  {
    gateway::CommandRouter writer(store, limits);
    writer.add(with);
    gateway::CommandRouter tail_writer(store, limits);
    tail_writer.add(without);
    const long tail_from = args.events - (args.snapshot_every - 1);
    const auto start = Clock::now();
    bench::must_dispatch(writer, bench::request("User", kStreamId, "CreateUser",
                                                {{"name", "Long History"},
                                                 {"email", "long@example.com"}}));
    const long step = std::max(1L, args.events / 10);
    for (long v = 1; v < args.events; ++v) {
      bench::must_dispatch(v < tail_from ? writer : tail_writer,
                           bench::request("User", kStreamId, "UpdateUser",
                                          {{"name", "Name " + std::to_string(v)}}));
      if ((v + 1) % step == 0) {
        std::printf("  writing: %ld/%ld events (%.1f s)\n", v + 1, args.events,
                    bench::seconds_since(start));
        std::fflush(stdout);
      }
    }
  }
  auto snapshot = store.load_snapshot({"User", kStreamId});
  if (!snapshot.is_ok() || !snapshot->has_value()) {
    std::fprintf(stderr, "no snapshot was saved\n");
    return 1;
  }
  const Version last = args.events - 1;
  std::printf("latest snapshot at version %lld: a cold load folds %lld events with it, %ld "
              "without\n",
              static_cast<long long>((*snapshot)->version),
              static_cast<long long>(last - (*snapshot)->version), args.events);
  std::fflush(stdout);

  std::vector<double> with_ms, without_ms;
  for (int r = 0; r < args.rounds; ++r) {
    const bool snapshot_first = r % 2 == 0;
    std::pair<double, Json> a, b;
    if (snapshot_first) {
      a = cold_load(store, limits, with);
      b = cold_load(store, limits, without);
    } else {
      b = cold_load(store, limits, without);
      a = cold_load(store, limits, with);
    }
    if (a.second != b.second || a.second["version"] != last) {
      std::fprintf(stderr, "the loads disagree:\n  with snapshots %s\n  without %s\n",
                   a.second.dump().c_str(), b.second.dump().c_str());
      return 1;
    }
    with_ms.push_back(a.first * 1000);
    without_ms.push_back(b.first * 1000);
    std::printf("round %d/%d  with snapshots %9.3f ms   without %9.3f ms   ratio %.0f\n", r + 1,
                args.rounds, with_ms.back(), without_ms.back(), without_ms.back() / with_ms.back());
    std::fflush(stdout);
  }

  const double w = bench::median(with_ms);
  const double wo = bench::median(without_ms);
  std::printf("\nmedian cold load of %ld events  with snapshots (every %ld) %.3f ms   "
              "without %.3f ms\n",
              args.events, args.snapshot_every, w, wo);
  std::printf("ratio without/with %.0f  (snapshots make this cold load %.0fx faster)\n", wo / w,
              wo / w);
  runtime->close();
  return 0;
}
