// bench_store_append: how close the memory store's group commit comes to the
// disk's own limit.
//
//   store     N writer threads append one small User event per call to their
//             own streams (exact expected versions), fsync: batch.
//   baseline  N threads hand a record of the same size (the store's bytes per
//             record, header included, measured at start) to one writer
//             thread, which takes everything queued, makes one write() and one
//             fdatasync() of it and wakes the waiters: group commit with
//             nothing else, waking threads the same way the store does
//             (futex, one beacon per batch parity). Its batches form the way the store's do (N
//             threads, one record outstanding each, a batch cut by the
//             fdatasync in progress), so batch sizes mirror each other; both
//             are printed.
//
// The store keeps its log file filled with zeros ahead of the last record
// (preallocate_mib), so its fdatasync() overwrites blocks instead of growing
// the file; the baseline, as the goal defines it, grows its file with
// write(). --preallocated-baseline makes the baseline overwrite a file
// zero-filled beforehand too, which shows the store's own CPU overhead
// like for like.
//
// A shared disk's fdatasync latency swings tenfold within seconds when other
// work flushes, so the two sides do not run one after the other: in each
// round they take turns in 200 ms slices (who goes first alternates), and
// each side's rate is its appends over its own time. The result is the
// median of the rounds' rates and the ratio store / baseline (goal >= 0.80).
//
// Usage: bench_store_append [--seconds S] [--rounds R] [--threads N] [--dir D]
//                           [--preallocated-baseline]
//   S seconds of each side per round (2), R rounds (5), N writer threads
//   (32), D the folder for the files (., must be on the disk to measure).
#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "beacon.h"
#include "memory_store.h"

namespace {

using herald::plugins::memory::Beacon;
using herald::plugins::memory::FsyncMode;
using herald::plugins::memory::MemoryStore;
using herald::plugins::memory::MemoryStoreOptions;
using Clock = std::chrono::steady_clock;

constexpr long kTmpfsMagic = 0x01021994;
constexpr std::chrono::milliseconds kSlice{200};

struct Args {
  double seconds = 2.0;
  int rounds = 5;
  int threads = 32;
  int streams_per_thread = 4;
  std::string dir = ".";
  bool preallocated_baseline = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_store_append: %s\n"
               "usage: bench_store_append [--seconds S (2)] [--rounds R (5)] [--threads N (32)] "
               "[--dir D (.)] [--preallocated-baseline]\n",
               why);
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--help" || key == "-h") usage("measures memory store appends/s against a baseline");
    if (key == "--preallocated-baseline") {
      a.preallocated_baseline = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value for " + key).c_str());
    std::string value = argv[++i];
    try {
      if (key == "--seconds") {
        a.seconds = std::stod(value);
      } else if (key == "--rounds")
        a.rounds = std::stoi(value);
      else if (key == "--threads")
        a.threads = std::stoi(value);
      else if (key == "--dir")
        a.dir = value;
      else
        usage(("unknown option " + key).c_str());
    } catch (const std::exception&) {
      usage(("bad value for " + key).c_str());
    }
  }
  if (a.seconds <= 0 || a.rounds < 1 || a.threads < 1) usage("values must be positive");
  return a;
}

std::shared_ptr<spdlog::logger> quiet_logger() {
  static auto logger = [] {
    auto l = spdlog::default_logger()->clone("bench");
    l->set_level(spdlog::level::warn);
    return l;
  }();
  return logger;
}

std::unique_ptr<MemoryStore> open_store(const std::string& path, FsyncMode fsync) {
  MemoryStoreOptions options;
  options.path = path;
  options.fsync = fsync;
  auto store = std::make_unique<MemoryStore>(options, quiet_logger());
  if (auto s = store->open(); !s.is_ok()) {
    std::fprintf(stderr, "open failed: %s\n", s.message().c_str());
    std::exit(1);
  }
  return store;
}

// One store writer thread: like a gateway's RenameUser command, one small
// event per append, to a few streams of its own, exact expected versions.
class StoreWriter {
 public:
  StoreWriter(int index, int streams) : index_(index), versions_(streams, herald::kNoVersion) {
    request_.stream.type = "User";
    herald::NewEvent e;
    e.type = "UserRenamed";
    e.data = herald::Json{{"name", "User " + std::to_string(index)},
                          {"email", "user" + std::to_string(index) + "@example.org"},
                          {"active", true}};
    e.metadata.correlation_id = "8b0f3c1e-5d2a-4c8e-9f1b-" + std::to_string(100000000000 + index);
    e.metadata.source = "bench";
    request_.events.push_back(e);
  }

  void append(MemoryStore& store) {
    const std::size_t k = n_ % versions_.size();
    request_.stream.id = "bench-" + std::to_string(index_) + "-" + std::to_string(k);
    request_.expected = herald::ExpectedVersion::exact(versions_[k]);
    char id[48];
    std::snprintf(id, sizeof id, "00000000-%04x-4000-8000-%012llx", index_,
                  static_cast<unsigned long long>(n_));
    request_.events[0].id = id;
    herald::AppendResult r = store.append(request_);
    if (!r.status.is_ok()) {
      std::fprintf(stderr, "append failed: %s\n", r.status.message().c_str());
      std::exit(1);
    }
    versions_[k] = r.current_version;
    ++n_;
  }

 private:
  int index_;
  herald::AppendRequest request_;
  std::vector<herald::Version> versions_;
  std::uint64_t n_ = 0;
};

// Group commit and nothing else: the floor the store is measured against.
// It wakes its callers the way the store's LogWriter does (a futex Beacon
// per batch parity), so the ratio measures what the store does on top of
// moving bytes, not a difference in how threads are woken.
class BaselineLog {
 public:
  // `zero_fill` > 0: that many zero bytes are written and synced first, and
  // records overwrite them (then grow the file past them).
  BaselineLog(const std::string& path, std::uint64_t zero_fill) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      std::perror("baseline open");
      std::exit(1);
    }
    const std::string zeros(std::size_t{1} << 20, '\0');
    for (std::uint64_t at = 0; at < zero_fill; at += zeros.size()) {
      if (::pwrite(fd_, zeros.data(), zeros.size(), static_cast<off_t>(at)) < 0) {
        std::perror("baseline zero fill");
        std::exit(1);
      }
    }
    ::fdatasync(fd_);
    writer_ = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "baseline-log");
      run();
    });
  }
  ~BaselineLog() {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_.join();
    ::close(fd_);
  }

  // Blocks until `record` is on disk.
  void append(const std::string& record) {
    std::uint64_t seq;
    std::uint32_t round;
    bool wake;
    {
      std::lock_guard lock(queue_mu_);
      seq = ++next_seq_;
      round = round_;
      wake = queue_.empty();
      queue_.push_back(&record);
    }
    if (wake) queue_cv_.notify_one();
    const Beacon& done = done_[round % 2];
    for (;;) {
      const std::uint32_t seen = done.generation();
      if (done_seq_.load(std::memory_order_acquire) >= seq) return;
      done.wait(seen, Clock::now() + std::chrono::seconds(10));
    }
  }

  std::uint64_t records() const { return records_; }
  std::uint64_t batches() const { return batches_; }
  std::uint64_t io_ns() const { return io_ns_; }

 private:
  void run() {
    std::vector<const std::string*> batch;
    std::string buffer;
    for (;;) {
      std::uint64_t last;
      std::uint32_t round;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;
        batch.swap(queue_);
        last = next_seq_;
        round = round_++;
      }
      buffer.clear();
      for (const std::string* r : batch) buffer.append(*r);
      auto io_started = Clock::now();
      if (::pwrite(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset_)) !=
              static_cast<ssize_t>(buffer.size()) ||
          ::fdatasync(fd_) != 0) {
        std::perror("baseline write");
        std::exit(1);
      }
      io_ns_ += static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - io_started).count());
      offset_ += buffer.size();
      records_ += batch.size();
      ++batches_;
      batch.clear();
      done_seq_.store(last, std::memory_order_release);
      done_[round % 2].wake_all();
    }
  }

  int fd_ = -1;
  std::uint64_t offset_ = 0;  // writer thread only: where the next batch goes
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<const std::string*> queue_;
  std::uint64_t next_seq_ = 0;
  std::uint32_t round_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> done_seq_{0};
  Beacon done_[2];
  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> io_ns_{0};
  std::thread writer_;
};

// Two pools of N threads, one a side, that take turns: run_slice() lets one
// side append for a slice, then waits for its in-flight appends to finish.
class Alternator {
 public:
  static constexpr int kStore = 0;
  static constexpr int kBaseline = 1;

  // `step(side, thread)` makes one append of that side.
  template <typename Step>
  Alternator(int threads, Step step) {
    for (int side = 0; side < 2; ++side) {
      for (int t = 0; t < threads; ++t) pool_.emplace_back([=, this] { run(side, t, step); });
    }
  }
  ~Alternator() {
    {
      std::lock_guard lock(mu_);
      phase_ = kEnd;
    }
    cv_.notify_all();
    for (auto& th : pool_) th.join();
  }

  void run_slice(int side, std::chrono::milliseconds slice) {
    const double cpu_started = process_cpu_seconds();
    auto started = Clock::now();
    {
      std::lock_guard lock(mu_);
      phase_ = side;
    }
    cv_.notify_all();
    std::this_thread::sleep_for(slice);
    std::unique_lock lock(mu_);
    phase_ = kPaused;
    idle_cv_.wait(lock, [&] { return running_ == 0; });
    seconds_[side] += std::chrono::duration<double>(Clock::now() - started).count();
    cpu_seconds_[side] += process_cpu_seconds() - cpu_started;
  }

  double rate(int side) const { return static_cast<double>(appends_[side]) / seconds_[side]; }
  double seconds(int side) const { return seconds_[side]; }
  // CPU time (user + system, all threads) per append: what a side costs,
  // whatever else the machine is doing.
  double cpu_us_per_append(int side) const {
    return 1e6 * cpu_seconds_[side] /
           static_cast<double>(std::max<std::uint64_t>(appends_[side], 1));
  }

 private:
  static double process_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }

  static constexpr int kPaused = -1;
  static constexpr int kEnd = -2;

  template <typename Step>
  void run(int side, int t, Step step) {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return phase_ == side || phase_ == kEnd; });
        if (phase_ == kEnd) return;
        ++running_;
      }
      std::uint64_t done = 0;
      do {
        step(side, t);
        ++done;
      } while (phase_.load(std::memory_order_relaxed) == side);
      std::lock_guard lock(mu_);
      appends_[side] += done;
      if (--running_ == 0) idle_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::atomic<int> phase_{kPaused};
  int running_ = 0;
  std::uint64_t appends_[2] = {0, 0};
  double seconds_[2] = {0, 0};
  double cpu_seconds_[2] = {0, 0};
  std::vector<std::thread> pool_;
};

struct SideResult {
  double per_second = 0;
  double average_batch = 0;
  double syncs_per_second = 0;
  double bytes_per_record = 0;
  double us_per_sync = 0;  // write() + fdatasync() of one batch
  double disk_busy = 0;    // share of the side's time spent in write() + fdatasync()
  double cpu_us = 0;       // process CPU time per append
};

struct RoundResult {
  SideResult store;
  SideResult baseline;
};

// The store's bytes per record, header included, from a short warm-up.
std::size_t measure_record_bytes(const Args& args, const std::string& path) {
  auto store = open_store(path, FsyncMode::kNever);
  StoreWriter w(0, args.streams_per_thread);
  for (int i = 0; i < 1000; ++i) w.append(*store);
  store->close();
  auto stats = store->writer_stats();
  return static_cast<std::size_t>(static_cast<double>(stats.bytes) / stats.records + 0.5);
}

RoundResult run_round(const Args& args, const std::filesystem::path& work, int round,
                      std::size_t record_bytes) {
  const std::string store_file = (work / ("store-" + std::to_string(round) + ".log")).string();
  const std::string base_file = (work / ("baseline-" + std::to_string(round) + ".log")).string();
  RoundResult out;
  {
    auto store = open_store(store_file, FsyncMode::kBatch);
    // Enough zeros for the baseline's appends at 250,000/s.
    const std::uint64_t zero_fill =
        args.preallocated_baseline
            ? static_cast<std::uint64_t>(args.seconds * 250'000 * static_cast<double>(record_bytes))
            : 0;
    BaselineLog baseline(base_file, zero_fill);
    std::vector<StoreWriter> writers;
    std::vector<std::string> records;
    for (int t = 0; t < args.threads; ++t) {
      writers.emplace_back(t, args.streams_per_thread);
      records.emplace_back(record_bytes, static_cast<char>('a' + t % 26));
    }
    double seconds[2];
    {
      Alternator alt(args.threads, [&](int side, int t) {
        if (side == Alternator::kStore) {
          writers[t].append(*store);
        } else {
          baseline.append(records[t]);
        }
      });
      const int slices = std::max(1, static_cast<int>(args.seconds * 1000 / kSlice.count() + 0.5));
      for (int i = 0; i < slices; ++i) {
        const int first = i % 2;
        alt.run_slice(first, kSlice);
        alt.run_slice(1 - first, kSlice);
      }
      out.store.per_second = alt.rate(Alternator::kStore);
      out.baseline.per_second = alt.rate(Alternator::kBaseline);
      out.store.cpu_us = alt.cpu_us_per_append(Alternator::kStore);
      out.baseline.cpu_us = alt.cpu_us_per_append(Alternator::kBaseline);
      seconds[0] = alt.seconds(Alternator::kStore);
      seconds[1] = alt.seconds(Alternator::kBaseline);
    }
    store->close();
    auto stats = store->writer_stats();
    out.store.average_batch =
        static_cast<double>(stats.records) / std::max<std::uint64_t>(stats.batches, 1);
    out.store.syncs_per_second = static_cast<double>(stats.syncs) / seconds[0];
    out.store.bytes_per_record =
        static_cast<double>(stats.bytes) / std::max<std::uint64_t>(stats.records, 1);
    out.store.us_per_sync = stats.io_ns / 1e3 / std::max<std::uint64_t>(stats.syncs, 1);
    out.store.disk_busy = stats.io_ns / 1e9 / seconds[0];
    out.baseline.average_batch =
        static_cast<double>(baseline.records()) / std::max<std::uint64_t>(baseline.batches(), 1);
    out.baseline.syncs_per_second = static_cast<double>(baseline.batches()) / seconds[1];
    out.baseline.bytes_per_record = static_cast<double>(record_bytes);
    out.baseline.us_per_sync =
        baseline.io_ns() / 1e3 / std::max<std::uint64_t>(baseline.batches(), 1);
    out.baseline.disk_busy = baseline.io_ns() / 1e9 / seconds[1];
  }
  std::filesystem::remove(store_file);
  std::filesystem::remove(base_file);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void print_side(int round, int rounds, const char* what, const SideResult& r) {
  std::printf(
      "round %d/%d  %-8s %8.0f appends/s  batch %4.1f  %5.0f fsyncs/s  %5.0f us/fsync  "
      "disk busy %3.0f%%  cpu %5.1f us/append\n",
      round, rounds, what, r.per_second, r.average_batch, r.syncs_per_second, r.us_per_sync,
      100 * r.disk_busy, r.cpu_us);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  std::filesystem::create_directories(args.dir);
  std::string pattern = (std::filesystem::path(args.dir) / "bench-store-append-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path work = pattern;
  struct statfs fs {};
  if (::statfs(work.c_str(), &fs) == 0 && fs.f_type == kTmpfsMagic) {
    std::printf("warning: %s is on tmpfs, where fdatasync costs nothing; use --dir on a disk\n",
                work.c_str());
  }
  std::printf(
      "bench_store_append: %d writer threads a side, %d rounds of %.1f s a side, "
      "alternating in %lld ms slices, in %s\n",
      args.threads, args.rounds, args.seconds, static_cast<long long>(kSlice.count()),
      work.c_str());
  const std::size_t record_bytes = measure_record_bytes(args, (work / "warm-up.log").string());
  std::filesystem::remove(work / "warm-up.log");
  std::printf("store records are %zu bytes each, header included; the baseline writes as many\n",
              record_bytes);
  std::printf(args.preallocated_baseline
                  ? "the baseline overwrites a zero-filled file, as the store does "
                    "(--preallocated-baseline)\n"
                  : "the baseline grows its file with each write(); the store overwrites zeros "
                    "it keeps ahead (preallocate_mib)\n");
  std::fflush(stdout);

  std::vector<double> store_rates;
  std::vector<double> baseline_rates;
  for (int round = 1; round <= args.rounds; ++round) {
    RoundResult r = run_round(args, work, round, record_bytes);
    print_side(round, args.rounds, "store", r.store);
    print_side(round, args.rounds, "baseline", r.baseline);
    store_rates.push_back(r.store.per_second);
    baseline_rates.push_back(r.baseline.per_second);
  }
  std::filesystem::remove_all(work);

  const double store = median(store_rates);
  const double baseline = median(baseline_rates);
  const double ratio = store / baseline;
  std::printf(
      "\nmedian appends/s  store (fsync: batch) %.0f   baseline (%s + fdatasync group "
      "commit) %.0f\n",
      store, args.preallocated_baseline ? "overwriting zeros" : "write", baseline);
  std::printf("ratio store/baseline %.2f  (goal >= 0.80)  %s\n", ratio,
              ratio >= 0.80 ? "ok" : "BELOW GOAL");
  return 0;
}
