// bench_projection_apply: how fast the document projection keeps up with the
// log, and how fast it answers.
//
//   apply     the users read model (the README's example) applies N User
//             events (a quarter UserCreated, then UserUpdated, UserDeactivated
//             and UserActivated at random) into a fresh projection.
//   baseline  reading the same N events from the memory store (memory only,
//             path "") with read_all(from: [User]) in pages of 1,000, as the
//             subscription does: the rate the projection is fed at.
// Each round measures both; the result is the median of the rounds' rates
// and the ratio apply / read (1.0: applying costs as much as reading).
//
// Then query latency on D documents (p50 / p99 over S calls each), next to
// the bare data-structure work for the same answer, and the ratio:
//   get by id          baseline: std::map find + copy, no lock
//   list page by id    limit 50 at a random offset < 1,000; baseline: walk a
//                      std::map to the offset and copy 50
//   list page by name  the configured default sort; baseline: partial_sort
//                      of the names alone (bytewise) and copy 50
//   search q=charlie   case-insensitive over name and email; baseline: the
//                      same scan lower-casing both fields per query
//   filter active=true limit 50; baseline: map walk comparing the bool
//
// Usage: bench_projection_apply [--events N] [--rounds R] [--documents D] [--samples S]
//   N events (200000), R rounds (5), D documents (100000), S samples of each
//   scanning query (200; get by id takes 50 x S).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "document_config.h"
#include "document_projection.h"
#include "memory_store.h"
#include "users_config.h"  // tests/plugins/projection-document

namespace {

using herald::Json;
using herald::Query;
using herald::RecordedEvent;
using herald::plugins::document::DocumentConfig;
using herald::plugins::document::DocumentProjection;
using herald::plugins::document::testing::kUsersConfig;
using Clock = std::chrono::steady_clock;

const char* kFirst[] = {"Alice", "Bob",   "Charlie", "Dana", "Erik",  "Fatima", "Gus",  "Hana",
                        "Ivan",  "Julia", "Kofi",    "Lena", "Mateo", "Nora",   "Omar", "Priya"};
const char* kLast[] = {"Brown", "Smith", "Jansen", "Okafor", "Novak",  "Silva",
                       "Kim",   "Meyer", "Rossi",  "Haddad", "Larsen", "Tanaka"};

struct Args {
  std::size_t events = 200000;
  int rounds = 5;
  std::size_t documents = 100000;
  std::size_t samples = 200;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    long long v = std::atoll(argv[i + 1]);
    if (key == "--events") {
      a.events = static_cast<std::size_t>(v);
    } else if (key == "--rounds") {
      a.rounds = static_cast<int>(v);
    } else if (key == "--documents") {
      a.documents = static_cast<std::size_t>(v);
    } else if (key == "--samples") {
      a.samples = static_cast<std::size_t>(v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

std::string user_id(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user-%07zu", i);
  return buf;
}

Json user_data(std::size_t i, std::mt19937_64& rng) {
  std::string first = kFirst[rng() % std::size(kFirst)];
  std::string last = kLast[rng() % std::size(kLast)];
  std::string name = first + " " + last + " " + std::to_string(i);
  std::string email = first + "." + last + std::to_string(i) + "@example.com";
  for (char& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {{"name", name}, {"email", email}};
}

// User events: users created first, then changes at random.
std::vector<herald::NewEvent> make_user_events(std::size_t count, std::size_t users,
                                               std::vector<std::string>& streams) {
  std::mt19937_64 rng(42);
  std::vector<herald::NewEvent> out;
  streams.clear();
  for (std::size_t i = 0; i < count; ++i) {
    herald::NewEvent e;
    char id[48];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zx", i);
    e.id = id;
    std::size_t user = i < users ? i : rng() % users;
    if (i < users) {
      e.type = "UserCreated";
      e.data = user_data(user, rng);
    } else {
      int pick = static_cast<int>(rng() % 10);
      if (pick < 6) {
        e.type = "UserUpdated";
        e.data = rng() % 2 ? Json{{"name", user_data(user, rng)["name"]}} : user_data(user, rng);
      } else if (pick < 8) {
        e.type = "UserDeactivated";
        e.data = {{"reason", "bench"}};
      } else {
        e.type = "UserActivated";
      }
    }
    e.metadata.correlation_id = e.id;
    streams.push_back(user_id(user));
    out.push_back(std::move(e));
  }
  return out;
}

std::shared_ptr<const DocumentConfig> users_config() {
  return std::make_shared<const DocumentConfig>(
      herald::plugins::document::compile_config(Json::parse(kUsersConfig)));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double>& sorted, double p) {
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

struct Latency {
  double p50 = 0;
  double p99 = 0;
};

// Microseconds per call of `a` and of `b` over `n` calls each. The two take
// turns call by call, so both see the same load on a shared machine.
template <typename A, typename B>
std::pair<Latency, Latency> measure(std::size_t n, A&& a, B&& b) {
  std::vector<double> us_a;
  std::vector<double> us_b;
  us_a.reserve(n);
  us_b.reserve(n);
  auto time = [](auto& fn) {
    auto start = Clock::now();
    fn();
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  };
  for (std::size_t i = 0; i < n; ++i) {
    us_a.push_back(time(a));
    us_b.push_back(time(b));
  }
  std::sort(us_a.begin(), us_a.end());
  std::sort(us_b.begin(), us_b.end());
  return {{percentile(us_a, 0.50), percentile(us_a, 0.99)},
          {percentile(us_b, 0.50), percentile(us_b, 0.99)}};
}

// Keeps results alive so the optimizer cannot drop the work.
std::size_t g_sink = 0;

void print_latency(const char* what, std::pair<Latency, Latency> r) {
  const Latency& got = r.first;
  const Latency& base = r.second;
  std::printf("  %-20s p50 %9.1f  p99 %9.1f   baseline p50 %9.1f  p99 %9.1f   ratio p50 %.3g\n",
              what, got.p50, got.p99, base.p50, base.p99, base.p50 > 0 ? got.p50 / base.p50 : 0.0);
}

void bench_apply(const Args& args) {
  std::printf("generating %zu User events (%zu users)...\n", args.events, args.events / 4);
  std::fflush(stdout);
  std::vector<std::string> streams;
  auto events = make_user_events(args.events, std::max<std::size_t>(1, args.events / 4), streams);

  herald::plugins::memory::MemoryStoreOptions options;
  options.path = "";  // memory only: the baseline is reading, not the disk
  herald::plugins::memory::MemoryStore store(options, nullptr);
  if (auto s = store.open(); !s.is_ok()) {
    std::fprintf(stderr, "store open failed: %s\n", s.message().c_str());
    std::exit(1);
  }
  auto start = Clock::now();
  for (std::size_t i = 0; i < events.size(); ++i) {
    herald::AppendRequest r;
    r.stream = {"User", streams[i]};
    r.events.push_back(std::move(events[i]));
    auto result = store.append(r);
    if (!result.status.is_ok()) {
      std::fprintf(stderr, "append failed: %s\n", result.status.message().c_str());
      std::exit(1);
    }
    if ((i + 1) % 50000 == 0) {
      std::printf("  appended %zu / %zu\n", i + 1, events.size());
      std::fflush(stdout);
    }
  }
  std::printf("appended %zu events in %.2f s\n", events.size(), seconds_since(start));

  herald::EventFilter filter;
  filter.stream_types = {"User"};
  // Reads the whole log as the subscription does: pages of 1,000 after the
  // last position, copied out of the store.
  auto read_all = [&] {
    std::vector<RecordedEvent> read;
    read.reserve(args.events);
    herald::Position after = 0;
    while (true) {
      auto slice = store.read_all(after, 1000, filter);
      if (!slice.is_ok()) {
        std::fprintf(stderr, "read failed: %s\n", slice.status().message().c_str());
        std::exit(1);
      }
      if (slice->next_after == after) break;
      after = slice->next_after;
      for (auto& e : slice->events) read.push_back(std::move(e));
    }
    return read;
  };
  const std::vector<RecordedEvent> events_read = read_all();
  auto config = users_config();
  std::vector<double> read_rates;
  std::vector<double> apply_rates;
  for (int round = 1; round <= args.rounds; ++round) {
    double read_s = 0;
    double apply_s = 0;
    std::size_t documents = 0;
    auto time_read = [&] {
      auto t = Clock::now();
      std::vector<RecordedEvent> read = read_all();
      read_s = seconds_since(t);
      if (read.size() != events_read.size()) std::exit(1);
    };
    auto time_apply = [&] {
      DocumentProjection projection(config, nullptr);
      auto t = Clock::now();
      for (const auto& e : events_read) {
        if (!projection.apply(e).is_ok()) {
          std::fprintf(stderr, "apply failed at %llu\n",
                       static_cast<unsigned long long>(e.position));
          std::exit(1);
        }
      }
      apply_s = seconds_since(t);
      documents = projection.size();
    };
    // Who goes first alternates, so a burst of load on the shared machine
    // does not always fall on the same side.
    if (round % 2) {
      time_read();
      time_apply();
    } else {
      time_apply();
      time_read();
    }
    const auto n = static_cast<double>(events_read.size());
    read_rates.push_back(n / read_s);
    apply_rates.push_back(n / apply_s);
    std::printf("round %d/%d: read %zu events %.0f ev/s, applied into %zu documents %.0f ev/s\n",
                round, args.rounds, events_read.size(), read_rates.back(), documents,
                apply_rates.back());
    std::fflush(stdout);
  }
  double read_rate = median(read_rates);
  double apply_rate = median(apply_rates);
  std::printf("\napply: median %.0f events/s into the users projection\n", apply_rate);
  std::printf("read:  median %.0f events/s from the memory store (baseline)\n", read_rate);
  std::printf("ratio apply / read: %.2f\n\n", apply_rate / read_rate);
  store.close();
}

void bench_queries(const Args& args) {
  std::printf("building %zu documents...\n", args.documents);
  std::fflush(stdout);
  std::mt19937_64 rng(7);
  DocumentProjection projection(users_config(), nullptr);
  std::map<std::string, Json> bare;  // the baseline's copy of the same documents
  for (std::size_t i = 0; i < args.documents; ++i) {
    RecordedEvent e;
    e.id = "e" + std::to_string(i);
    e.stream = {"User", user_id(i)};
    e.type = "UserCreated";
    e.position = i + 1;
    e.timestamp = herald::now_us();
    e.data = user_data(i, rng);
    projection.apply(e);
    bare[e.stream.id] = *projection.get(e.stream.id).value();
    if ((i + 1) % 25000 == 0) {
      std::printf("  %zu / %zu\n", i + 1, args.documents);
      std::fflush(stdout);
    }
  }
  // A third deactivated, so the filter has something to drop.
  herald::Position position = args.documents;
  for (std::size_t i = 0; i < args.documents; i += 3) {
    RecordedEvent e;
    e.id = "d" + std::to_string(i);
    e.stream = {"User", user_id(i)};
    e.type = "UserDeactivated";
    e.position = ++position;
    projection.apply(e);
    bare[e.stream.id]["active"] = false;
  }

  const std::size_t n = args.samples;
  const std::size_t offsets = std::min<std::size_t>(1000, args.documents);
  std::uniform_int_distribution<std::size_t> any_doc(0, args.documents - 1);
  std::uniform_int_distribution<std::size_t> any_offset(0, offsets - 1);
  std::printf(
      "query latency on %zu documents, microseconds (p50 / p99); ratio = projection / "
      "baseline:\n",
      projection.size());

  auto r = measure(
      n * 50, [&] { g_sink += projection.get(user_id(any_doc(rng)))->has_value(); },
      [&] {
        auto it = bare.find(user_id(any_doc(rng)));
        Json copy = it->second;
        g_sink += copy.size();
      });
  print_latency("get by id", r);

  r = measure(
      n,
      [&] {
        Query q;
        q.sort = "id";
        q.offset = any_offset(rng);
        g_sink += projection.query(q)->items.size();
      },
      [&] {
        auto it = bare.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(any_offset(rng)));
        std::vector<Json> page;
        for (int k = 0; k < 50 && it != bare.end(); ++k, ++it) page.push_back(it->second);
        g_sink += page.size();
      });
  print_latency("list page by id", r);

  r = measure(
      n,
      [&] {
        Query q;  // the configured sort: name
        q.offset = any_offset(rng);
        g_sink += projection.query(q)->items.size();
      },
      [&] {
        std::size_t offset = any_offset(rng);
        std::vector<std::pair<const std::string*, const Json*>> names;
        names.reserve(bare.size());
        for (const auto& [id, d] : bare)
          names.push_back({&d["name"].get_ref<const std::string&>(), &d});
        std::size_t end = std::min(names.size(), offset + 50);
        std::partial_sort(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(end),
                          names.end(),
                          [](const auto& a, const auto& b) { return *a.first < *b.first; });
        std::vector<Json> page;
        for (std::size_t k = offset; k < end; ++k) page.push_back(*names[k].second);
        g_sink += page.size();
      });
  print_latency("list page by name", r);

  r = measure(
      n,
      [&] {
        Query q;
        q.text = "charlie";
        q.sort = "id";
        g_sink += projection.query(q)->total;
      },
      [&] {
        std::size_t total = 0;
        std::vector<Json> page;
        for (const auto& [id, d] : bare) {
          bool hit = false;
          for (const char* field : {"name", "email"}) {
            std::string s = d[field].get<std::string>();
            for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            hit = hit || s.find("charlie") != std::string::npos;
          }
          if (hit && total++ < 50) page.push_back(d);
        }
        g_sink += total + page.size();
      });
  print_latency("search q=charlie", r);

  r = measure(
      n,
      [&] {
        Query q;
        q.sort = "id";
        q.equals = {{"active", "true"}};
        g_sink += projection.query(q)->total;
      },
      [&] {
        std::size_t total = 0;
        std::vector<Json> page;
        for (const auto& [id, d] : bare) {
          if (d["active"] == true && total++ < 50) page.push_back(d);
        }
        g_sink += total + page.size();
      });
  print_latency("filter active=true", r);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  Args args = parse_args(argc, argv);
  bench_apply(args);
  bench_queries(args);
  std::printf("(sink %zu)\n", g_sink);
  return 0;
}
