// bench_aggregate_decide: commands per second through the gateway's command
// path (CommandRouter: schema check, state cache, decide, event schema check,
// append, fold) for the User aggregate of the default config against the
// compiled C++ `order` example as the baseline, in one run.
//
//   baseline  Order (plugin `order`, C++): CreateOrder {user_id, 3 items},
//             PayOrder {payment_id}, ShipOrder {carrier, tracking}
//   measured  User (the plugin config/herald.yaml names: `user` at first,
//             `declarative` once it describes User in YAML): CreateUser
//             {name, email}, UpdateUser {name}, DeactivateUser {reason}
//   also      when the config's User is not the C++ `user` plugin and that
//             plugin is built: the same User commands through it, as type
//             UserCompiled, so the declarative plugin is also compared with
//             compiled code doing exactly the same work
//
// All run in one process through one Runtime built from the config (memory
// store kept in memory only, so the disk is not what is measured), on one
// thread. A shared machine's speed swings within seconds, so the sides do
// not run one after the other: each round alternates chunks of aggregates
// between them (who starts rotates too), and a side's rate is its commands
// over its own time. The result is the median of the rounds and the ratio
// User / Order (goal for the declarative plugin: >= 0.50).
//
// Usage: bench_aggregate_decide [--instances N] [--rounds R] [--chunk C]
//                               [--config FILE] [--plugin-dir DIR]
//   N aggregates a side per round (3000; three commands each), R rounds (7),
//   C aggregates per chunk (250).

#include "bench_runtime.h"

namespace {

using namespace herald;
using herald::bench::Clock;

struct Args {
  int instances = 3000;
  int rounds = 7;
  int chunk = 250;
  bench::RuntimeOptions runtime;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::parse_flags(argc, argv,
                     "usage: bench_aggregate_decide [--instances N] [--rounds R] [--chunk C] "
                     "[--config FILE] [--plugin-dir DIR]",
                     a.runtime, [&](std::string_view flag, const char* value) {
                       if (flag == "--instances")
                         a.instances = std::atoi(value);
                       else if (flag == "--rounds")
                         a.rounds = std::atoi(value);
                       else if (flag == "--chunk")
                         a.chunk = std::atoi(value);
                       else
                         return false;
                       return true;
                     });
  if (a.instances < 1 || a.rounds < 1 || a.chunk < 1) {
    std::fprintf(stderr, "--instances, --rounds and --chunk must be positive\n");
    std::exit(2);
  }
  return a;
}

constexpr int kCommandsPerInstance = 3;
const std::string kCompiledUser = "UserCompiled";

using Lifecycle = std::vector<CommandRequest> (*)(const std::string& type, const std::string& id,
                                                  int n);

// One side: an aggregate type and the three commands of one instance's life.
struct Side {
  std::string type;
  std::string plugin;
  Lifecycle lifecycle;
  std::vector<double> rates;  // commands/s, one per round
  double seconds = 0;         // this round
  long commands = 0;
};

std::vector<CommandRequest> order_lifecycle(const std::string& type, const std::string& id,
                                            int n) {
  Json items = Json::array();
  for (int i = 0; i < 3; ++i) {
    items.push_back({{"product_id", "sku-" + std::to_string((n + i) % 97)},
                     {"quantity", 1 + (n + i) % 4},
                     {"price", 4.99 + i}});
  }
  return {bench::request(type, id, "CreateOrder",
                         {{"user_id", "user-" + std::to_string(n)}, {"items", std::move(items)}}),
          bench::request(type, id, "PayOrder", {{"payment_id", "pay-" + id}}),
          bench::request(type, id, "ShipOrder", {{"carrier", "DHL"}, {"tracking", "T" + id}})};
}

std::vector<CommandRequest> user_lifecycle(const std::string& type, const std::string& id,
                                           int n) {
  const std::string name = "User " + std::to_string(n);
  return {bench::request(type, id, "CreateUser",
                         {{"name", name}, {"email", "user" + std::to_string(n) + "@example.com"}}),
          bench::request(type, id, "UpdateUser", {{"name", name + " Renamed"}}),
          bench::request(type, id, "DeactivateUser", {{"reason", "benchmark"}})};
}

// Runs aggregates [first, last) of `side` phase by phase (every create, then
// every second command, ...), as a stream of clients would, and adds the
// time and commands to the side's account. Requests are made before the
// clock starts: only the gateway's work is timed.
void run_chunk(CommandDispatcher& router, Side& side, const std::string& prefix, int first,
               int last) {
  std::vector<std::vector<CommandRequest>> lives;
  lives.reserve(last - first);
  for (int n = first; n < last; ++n) {
    lives.push_back(side.lifecycle(side.type, prefix + std::to_string(n), n));
  }
  const auto start = Clock::now();
  for (int step = 0; step < kCommandsPerInstance; ++step) {
    for (const auto& life : lives) bench::must_dispatch(router, life[step]);
  }
  side.seconds += bench::seconds_since(start);
  side.commands += static_cast<long>(lives.size()) * kCommandsPerInstance;
}

// One round: every side, in chunks, the side that starts a chunk rotating
// from `start`. Returns each side's commands/s in this round.
std::vector<double> run_round(CommandDispatcher& router, std::vector<Side>& sides,
                              const std::string& tag, int instances, int chunk, std::size_t start) {
  for (auto& side : sides) {
    side.seconds = 0;
    side.commands = 0;
  }
  for (int first = 0; first < instances; first += chunk, ++start) {
    const int last = std::min(instances, first + chunk);
    for (std::size_t i = 0; i < sides.size(); ++i) {
      run_chunk(router, sides[(start + i) % sides.size()], tag + "-", first, last);
    }
  }
  std::vector<double> rates;
  for (const auto& side : sides) rates.push_back(side.commands / side.seconds);
  return rates;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  // The same User commands through compiled code, when the config's User is
  // something else and the C++ plugin is there to compare with.
  const std::string user_plugin = bench::configured_plugin(args.runtime, "User");
  const bool compare_compiled = !user_plugin.empty() && user_plugin != "user" &&
                                bench::plugin_built(args.runtime, "user");
  if (compare_compiled) args.runtime.extra_aggregates.push_back({kCompiledUser, "user"});

  auto runtime = bench::build_runtime(args.runtime);
  auto& router = runtime->router();
  if (router.find("User") == nullptr) {
    std::fprintf(stderr, "%s has no User aggregate\n", args.runtime.config_file.c_str());
    return 2;
  }

  std::vector<Side> sides;
  sides.push_back({"Order", bench::plugin_of(*runtime, "Order"), order_lifecycle, {}});
  sides.push_back({"User", bench::plugin_of(*runtime, "User"), user_lifecycle, {}});
  if (compare_compiled) sides.push_back({kCompiledUser, "user", user_lifecycle, {}});
  const Side& order = sides[0];
  const Side& user = sides[1];

  std::printf("bench_aggregate_decide: config %s\n", args.runtime.config_file.c_str());
  std::printf("  %-12s -> plugin '%s' (C++ baseline)\n", order.type.c_str(), order.plugin.c_str());
  std::printf("  %-12s -> plugin '%s' (measured)\n", user.type.c_str(), user.plugin.c_str());
  if (compare_compiled) {
    std::printf("  %-12s -> plugin 'user' (the same User commands, compiled C++)\n",
                kCompiledUser.c_str());
  }
  std::printf("each round: %d aggregates a side x %d commands, sides taking turns in chunks of %d; "
              "one thread; memory-only store\n",
              args.instances, kCommandsPerInstance, args.chunk);
  std::fflush(stdout);

  // Warm-up: first-touch allocations, the loader's lazy symbol binding.
  run_round(router, sides, "warm", std::min(args.instances, 500), args.chunk, 0);

  for (int r = 0; r < args.rounds; ++r) {
    auto rates = run_round(router, sides, "r" + std::to_string(r), args.instances, args.chunk,
                           static_cast<std::size_t>(r));
    std::printf("round %d/%d ", r + 1, args.rounds);
    for (std::size_t i = 0; i < sides.size(); ++i) {
      sides[i].rates.push_back(rates[i]);
      std::printf("  %s %7.0f/s", sides[i].type.c_str(), rates[i]);
    }
    std::printf("   User/Order %.2f\n", rates[1] / rates[0]);
    std::fflush(stdout);
  }

  std::printf("\nmedian commands/s over %d rounds\n", args.rounds);
  for (const auto& side : sides) {
    std::printf("  %-12s %8.0f  (plugin '%s')\n", side.type.c_str(), bench::median(side.rates),
                side.plugin.c_str());
  }
  const double ratio = bench::median(user.rates) / bench::median(order.rates);
  std::printf("ratio User/Order %.2f  (goal >= 0.50 for the declarative plugin)  %s\n", ratio,
              ratio >= 0.50 ? "ok" : "BELOW GOAL");
  if (compare_compiled) {
    std::printf("ratio User/%s %.2f  (the same commands: '%s' against compiled C++)\n",
                kCompiledUser.c_str(),
                bench::median(user.rates) / bench::median(sides[2].rates), user.plugin.c_str());
  }
  if (user.plugin != "declarative") {
    std::printf("note: the config's User runs plugin '%s', not 'declarative'; the goal is about "
                "the declarative plugin\n",
                user.plugin.c_str());
  }
  runtime->close();
  return 0;
}
