#include "log_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace herald::plugins::memory {
namespace {

using Clock = std::chrono::steady_clock;

// A batch waits for the callers of the previous one when commits are slow
// (the disk is the bottleneck: waiting a quarter of a commit to double a
// batch pays), and when the machine is CPU-bound (the writer waits for a CPU
// almost half its time or more: waiting half a commit for callers that are
// on their way makes batches about twice as big, and each sync's CPU then
// serves twice the commands). Otherwise it does not wait: with fast commits
// and idle CPUs, a commit overlaps its callers' work on the next one, and
// waiting would only take that away. Never longer than kMaxGather. The HTTP
// benchmark's writer waits for a CPU two thirds of its time, the store
// benchmark's (32 appenders in one process) a quarter at most.
constexpr std::chrono::microseconds kGatherAbove{500};
constexpr std::chrono::microseconds kMaxGather{2000};
constexpr std::chrono::milliseconds kCpuCheckEvery{50};
constexpr double kCpuBoundFrom = 0.45;   // run delay / wall time to enter
constexpr double kCpuBoundUntil = 0.30;  // and to leave (no flapping)

std::uint64_t nanos_since(Clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

}  // namespace

std::optional<std::uint64_t> thread_run_delay_ns() {
  const int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[128];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  unsigned long long on_cpu = 0, delay = 0;
  if (std::sscanf(buf, "%llu %llu", &on_cpu, &delay) != 2) return std::nullopt;
  return delay;
}

bool cpu_bound_after(bool was, double run_delay_share) {
  return was ? run_delay_share >= kCpuBoundUntil : run_delay_share >= kCpuBoundFrom;
}

const char* to_string(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::kAlways: return "always";
    case FsyncMode::kBatch: return "batch";
    case FsyncMode::kNever: return "never";
  }
  return "?";
}

LogWriter::LogWriter(LogFile* file, FsyncMode mode, Position durable_position, Sequencer& sequencer,
                     std::shared_ptr<spdlog::logger> logger)
    : file_(file),
      mode_(mode),
      sequencer_(sequencer),
      logger_(std::move(logger)),
      durable_position_(durable_position) {
  if (file_ != nullptr) {
    thread_ = std::thread([this] {
      // Named for perf and `perf sched timehist`.
      ::pthread_setname_np(::pthread_self(), "herald-log");
      run();
    });
  }
}

LogWriter::~LogWriter() {
  stop();
}

void LogWriter::submit(JobPtr job) {
  if (file_ == nullptr) {
    std::lock_guard lock(inline_mu_);
    job->round = 0;
    std::vector<JobPtr> batch{std::move(job)};
    sequencer_.sequence(batch);
    Position last = durable_position();
    for (const JobPtr& j : batch) {
      if (j->write) last = std::max(last, j->needs_durable);
    }
    publish(last);
    sequencer_.made_durable(batch);
    finish(batch, Status::ok(), done_[0]);
    return;
  }
  bool wake;
  {
    std::lock_guard lock(queue_mu_);
    job->round = round_;
    queue_.push_back(std::move(job));
    // Otherwise the writer is busy and looks at the queue when done.
    wake = queue_.size() == 1 || queue_.size() == gather_target_;
  }
  if (wake) queue_cv_.notify_one();
}

Status LogWriter::wait(const Job& job, std::chrono::milliseconds timeout) const {
  const Beacon& done = done_[job.round % 2];
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::uint32_t seen = done.generation();
    if (job.done.load(std::memory_order_acquire)) return Status::ok();
    if (Clock::now() >= deadline) {
      return Status::retry("the event log did not reach the disk within " +
                           std::to_string(timeout.count()) +
                           " ms; the write may still complete (a retry with the same idempotency "
                           "key or event ids is safe)");
    }
    done.wait(seen, deadline);
  }
}

Position LogWriter::wait_for_position(Position after, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::uint32_t seen = moved_.generation();
    const Position now = durable_position();
    if (now > after || stopped_.load() || Clock::now() >= deadline) return now;
    moved_.wait(seen, deadline);
  }
}

Status LogWriter::health() const {
  if (!failed()) return Status::ok();
  std::lock_guard lock(failure_mu_);
  return failure_;
}

WriterStats LogWriter::stats() const {
  return WriterStats{records_.load(), batches_.load(), syncs_.load(), bytes_.load(), io_ns_.load()};
}

void LogWriter::stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    thread_.join();
  }
  stopped_ = true;
  moved_.wake_all();
  done_[0].wake_all();
  done_[1].wake_all();
}

void LogWriter::run() {
  std::vector<JobPtr> batch;
  std::size_t last_batch = 0;
  for (;;) {
    std::uint32_t round;
    if (mode_ == FsyncMode::kBatch) check_cpu();
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and everything is written
      gather(lock, last_batch, std::chrono::nanoseconds(last_io_ns_));
      batch.swap(queue_);
      round = round_++;
    }
    process_or_fail(batch, done_[round % 2]);
    last_batch = batch.size();
    batch.clear();
  }
  // close() promises that everything acknowledged is on disk, even with
  // fsync: never.
  if (!failed() && mode_ == FsyncMode::kNever) {
    Status s = file_->sync();
    if (!s.is_ok()) fail(s);
  }
}

void LogWriter::check_cpu() {
  const auto now = Clock::now();
  if (now - last_cpu_check_ < kCpuCheckEvery) return;
  const auto delay = thread_run_delay_ns();
  if (!delay) return;  // no schedstat: never CPU-bound
  const double wall = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_cpu_check_).count());
  const double share = static_cast<double>(*delay - last_run_delay_ns_) / wall;
  if (last_cpu_check_ != Clock::time_point{}) {
    cpu_bound_ = cpu_bound_after(cpu_bound_, share);
  }
  last_cpu_check_ = now;
  last_run_delay_ns_ = *delay;
}

void LogWriter::gather(std::unique_lock<std::mutex>& lock, std::size_t last_batch,
                       std::chrono::nanoseconds last_io) {
  if (mode_ != FsyncMode::kBatch || stopping_) return;
  std::chrono::nanoseconds budget;
  if (last_io >= kGatherAbove) {
    budget = std::min<std::chrono::nanoseconds>(last_io / 4, kMaxGather);
  } else if (cpu_bound_) {
    budget = std::min<std::chrono::nanoseconds>(last_io / 2, kMaxGather);
  } else {
    return;
  }
  // The callers of the last batch were just woken and are on their way back
  // (they are still copying their results); those queued meanwhile are here.
  const std::size_t expected = last_batch + queue_.size();
  if (queue_.size() >= expected || last_batch <= 1) return;
  gather_target_ = expected;
  queue_cv_.wait_for(lock, budget, [&] { return queue_.size() >= expected || stopping_; });
  gather_target_ = 0;
}

void LogWriter::process_or_fail(std::vector<JobPtr>& batch, Beacon& done) {
  try {
    process(batch, done);
  } catch (const std::exception& e) {
    // Out of memory, most likely (the batch's buffer, the store's indexes),
    // with the store's state perhaps half changed: fail for good, as after a
    // failed write, and answer the batch's callers, rather than let the
    // exception leave the thread and end the process.
    fail(Status::failed(std::string("the log writer stopped on an exception: ") + e.what()));
    finish(batch, Status::retry(health().message()), done);
  }
}

void LogWriter::process(std::vector<JobPtr>& batch, Beacon& done) {
  if (failed()) return finish(batch, Status::retry(health().message()), done);

  sequencer_.sequence(batch);

  // Answers that need nothing new on disk (conflicts, duplicates of durable
  // appends, no-op snapshots) go out before this batch's sync.
  bool answered = false;
  const Position durable = durable_position();
  for (const JobPtr& j : batch) {
    if (!j->write && j->needs_durable <= durable) {
      j->done.store(true, std::memory_order_release);
      answered = true;
    }
  }
  if (answered) done.wake_all();

  if (mode_ == FsyncMode::kAlways) {
    std::vector<JobPtr> one(1);
    for (JobPtr& j : batch) {
      if (!j->write) continue;
      buffer_.clear();
      append_record(buffer_, j->type, j->placement, j->payload, j->payload_crc);
      if (Status s = write_out(buffer_, true, 1); !s.is_ok()) {
        fail(s);
        return finish(batch, Status::retry(health().message()), done);
      }
      publish(j->needs_durable);
      one[0] = j;
      sequencer_.made_durable(one);
      j->done.store(true, std::memory_order_release);
      done.wake_all();
    }
    return finish(batch, Status::ok(), done);  // duplicates of this batch's appends
  }

  buffer_.clear();
  Position last = durable;
  std::size_t records = 0;
  for (const JobPtr& j : batch) {
    if (!j->write) continue;
    append_record(buffer_, j->type, j->placement, j->payload, j->payload_crc);
    last = std::max(last, j->needs_durable);
    ++records;
  }
  if (records > 0) {
    if (Status s = write_out(buffer_, mode_ == FsyncMode::kBatch, records); !s.is_ok()) {
      fail(s);
      return finish(batch, Status::retry(health().message()), done);
    }
    // Keep a big buffer from one burst from pinning memory for good.
    if (buffer_.capacity() > (std::size_t{64} << 20)) std::string().swap(buffer_);
    publish(last);
    sequencer_.made_durable(batch);
  }
  finish(batch, Status::ok(), done);
}

Status LogWriter::write_out(const std::string& bytes, bool sync, std::size_t records) {
  const auto started = Clock::now();
  Status s = file_->write_all(bytes);
  if (s.is_ok() && sync) {
    s = file_->sync();
    syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  last_io_ns_ = nanos_since(started);
  io_ns_.fetch_add(last_io_ns_, std::memory_order_relaxed);
  if (s.is_ok()) {
    records_.fetch_add(records, std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(bytes.size(), std::memory_order_relaxed);
  }
  return s;
}

void LogWriter::finish(std::vector<JobPtr>& batch, const Status& status, Beacon& done) {
  bool any = false;
  for (const JobPtr& j : batch) {
    if (j->done.load(std::memory_order_relaxed)) continue;
    j->status = status;
    j->done.store(true, std::memory_order_release);
    any = true;
  }
  if (any) done.wake_all();
}

void LogWriter::publish(Position position) {
  if (position > durable_position_.load(std::memory_order_relaxed)) {
    durable_position_.store(position, std::memory_order_release);
    moved_.wake_all();
  }
}

void LogWriter::fail(const Status& status) {
  std::string message =
      "event store failed and refuses writes until herald is restarted: " + status.message();
  logger_->error("{}", message);
  {
    std::lock_guard lock(failure_mu_);
    failure_ = Status::failed(message);
  }
  failed_.store(true, std::memory_order_release);
}

}  // namespace herald::plugins::memory
