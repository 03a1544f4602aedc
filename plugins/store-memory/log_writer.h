// Group commit: the one thread that orders, writes and syncs the event log,
// and tells waiting callers when their answers are ready.
//
// Who calls what:
//   - MemoryStore's calls (any thread) submit() a Job holding an encoded
//     record, then block in wait() until the job is done.
//   - The writer thread takes everything queued as one batch and hands it
//     to the Sequencer (MemoryStore), which decides each job in order under
//     the store's lock: an append gets its positions and versions, or a
//     conflict, or is found to be a duplicate. So appenders never contend
//     for the store's lock; the one thread that places events also writes
//     them, and file order is position order.
//   - The writer then frames and writes the batch, syncs it per fsync mode,
//     publishes the new durable position (what readers may see), calls
//     Sequencer::made_durable() and marks the jobs done.
//   - Readers (any thread) ask durable_position(); subscriptions block in
//     wait_for_position().
//   - MemoryStore::close() calls stop() on the main thread once.
//
// fsync modes:
//   always  one write() and one fdatasync() per record; no sharing.
//   batch   one write() and one fdatasync() per batch: appends that arrive
//           during an fdatasync form the next batch, so concurrency raises
//           throughput instead of queueing on the disk. When commits are
//           slow (≥ 0.5 ms) and the writer finds fewer jobs queued than the
//           last batch's callers plus those already waiting, it waits for
//           the rest — at most a quarter of the last commit and 2 ms.
//           Without that, callers still busy with their results when the
//           writer looks split into two cohorts that commit in turn, each
//           with half the batch (the reason for PostgreSQL's commit_delay
//           and MySQL's binlog_group_commit_sync_delay, which adapt less).
//           It waits the same way, up to half a commit, when commits are
//           fast but the machine is CPU-bound: the writer itself waited
//           for a CPU 45% of the time or more (until below 30%; measured
//           every 50 ms from its run delay in /proc/thread-self/schedstat).
//           Then a sync's CPU (file system, block layer, waking the
//           callers' CPUs) is what bounds throughput, and a batch twice as
//           big halves it per command; when CPUs are free, waiting would
//           only stop a commit from overlapping its callers' next work.
//   never   one write() per batch and no fdatasync: a crash of the process
//           loses nothing, a crash of the machine may.
//
// A failed write() or fdatasync() puts the writer in a failed state for
// good: after a failed fdatasync the kernel may have dropped the dirty
// pages, so a later successful one would prove nothing. Waiting and later
// jobs are answered kRetry with the reason; health() reports it; nothing
// that did not reach the disk is ever reported durable.
//
// Without a file (a memory-only store) submit() sequences the job on the
// calling thread and it is done at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "beacon.h"
#include "herald/status.h"
#include "log_file.h"
#include "log_format.h"

namespace spdlog {
class logger;
}

namespace herald::plugins::memory {

enum class FsyncMode { kAlways, kBatch, kNever };

const char* to_string(FsyncMode mode);

// One call's record on its way to the log. MemoryStore derives a job type
// per record type (see `type`).
struct Job {
  explicit Job(RecordType t) : type(t) {}
  virtual ~Job() = default;

  // Makes a job that is done, and that the writer has let go of, like new
  // for another submit().
  void reuse() {
    payload = {};
    payload_crc = 0;
    write = false;
    placement = Placement{};
    needs_durable = 0;
    round = 0;
    status = Status::ok();
    done.store(false, std::memory_order_relaxed);
  }

  // Set by the caller before submit() (appends: by the sequencer, when the
  // payload has moved into the store's state). Whatever it views outlives
  // the job's time in the writer.
  const RecordType type;
  std::string_view payload;  // the encoded record
  std::uint32_t payload_crc = 0;

  // Set by the sequencer, on the writer thread.
  bool write = false;          // whether the record goes into the log
  Placement placement;         // appends: where their events went
  Position needs_durable = 0;  // the answer may go out once this position is durable

  // Set by submit(): the batch the job is collected into (see done_).
  std::uint32_t round = 0;

  // Set by the writer before `done`; the caller reads it after seeing `done`.
  Status status;  // kRetry when the log failed before the job was done
  std::atomic<bool> done{false};
};
using JobPtr = std::shared_ptr<Job>;

class Sequencer {
 public:
  virtual ~Sequencer() = default;
  // Writer thread, batch after batch in submission order: decides each job
  // (sets `write` and `needs_durable`, and the job's own answer).
  virtual void sequence(const std::vector<JobPtr>& batch) = 0;
  // Writer thread: the written jobs of `batch` are durable and the durable
  // position is published; make visible what readers may now see.
  virtual void made_durable(const std::vector<JobPtr>& batch) = 0;
};

// Counters since start, for benchmarks and diagnostics.
struct WriterStats {
  std::uint64_t records = 0;  // records written
  std::uint64_t batches = 0;  // write() calls of whole batches
  std::uint64_t syncs = 0;    // fdatasync() calls
  std::uint64_t bytes = 0;    // bytes written, headers included
  std::uint64_t io_ns = 0;    // time spent in write() and fdatasync()
};

// This thread's run delay (ns it was runnable but waited for a CPU), from
// /proc/thread-self/schedstat; nothing when the kernel does not keep it.
std::optional<std::uint64_t> thread_run_delay_ns();
// Whether the writer takes the machine for CPU-bound after a look that found
// it waited for a CPU `run_delay_share` of the time since the last one,
// having taken it for CPU-bound (`was`) or not: in from 0.45, out below 0.30.
bool cpu_bound_after(bool was, double run_delay_share);

class LogWriter {
 public:
  // `file` may be null (memory only); otherwise it is open and outlives the
  // writer, as does `sequencer`. `durable_position` is the head after
  // recovery.
  LogWriter(LogFile* file, FsyncMode mode, Position durable_position, Sequencer& sequencer,
            std::shared_ptr<spdlog::logger> logger);
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  ~LogWriter();

  void submit(JobPtr job);
  // Blocks until `job` is done (ok: read job.status and the job's answer)
  // or `timeout` passes (kRetry; the job may still complete later).
  Status wait(const Job& job, std::chrono::milliseconds timeout) const;

  // The highest global position that is durable: what readers may see.
  Position durable_position() const { return durable_position_.load(std::memory_order_acquire); }
  // Blocks until durable_position() > after, the timeout passes or the
  // writer stops; returns durable_position() then.
  Position wait_for_position(Position after, std::chrono::milliseconds timeout) const;

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // ok, or kFailed with the reason the writer stopped.
  Status health() const;

  // Writes and syncs everything queued (whatever the mode), then stops the
  // thread. Idempotent.
  void stop();

  WriterStats stats() const;

 private:
  void run();
  // Writer thread, queue lock held, queue not empty: the group commit wait
  // described above.
  void gather(std::unique_lock<std::mutex>& lock, std::size_t last_batch,
              std::chrono::nanoseconds last_io);
  // Writer thread: every kCpuCheckEvery, whether the writer waits for a CPU
  // much of the time (its run delay in /proc/thread-self/schedstat): the
  // machine is CPU-bound, and bigger batches save the CPU of their syncs.
  void check_cpu();
  void process(std::vector<JobPtr>& batch, Beacon& done);
  // process(), failing the writer for good when it throws.
  void process_or_fail(std::vector<JobPtr>& batch, Beacon& done);
  // Marks every job of `batch` that is not done yet as done with `status`
  // and wakes their callers.
  void finish(std::vector<JobPtr>& batch, const Status& status, Beacon& done);
  void publish(Position position);
  void fail(const Status& status);
  Status write_out(const std::string& bytes, bool sync, std::size_t records);

  LogFile* file_;
  const FsyncMode mode_;
  Sequencer& sequencer_;
  std::shared_ptr<spdlog::logger> logger_;

  // Queue, filled by submit(), emptied by the writer thread.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<JobPtr> queue_;
  std::uint32_t round_ = 0;        // the batch being collected
  std::size_t gather_target_ = 0;  // queue size the writer waits for (0: none)
  bool stopping_ = false;

  // check_cpu()'s state (writer thread only).
  bool cpu_bound_ = false;
  std::chrono::steady_clock::time_point last_cpu_check_{};
  std::uint64_t last_run_delay_ns_ = 0;

  std::mutex inline_mu_;  // memory only: one submit() at a time

  // Callers of batch r sleep on done_[r % 2]: waking them after a commit
  // does not wake the callers already queued for the next batch, which
  // would only go back to sleep.
  Beacon done_[2];
  Beacon moved_;  // the durable position moved, or the writer stopped
  std::atomic<Position> durable_position_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> stopped_{false};
  mutable std::mutex failure_mu_;
  Status failure_;

  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> io_ns_{0};

  std::string buffer_;            // writer thread only
  std::uint64_t last_io_ns_ = 0;  // writer thread only: the last write() + fdatasync()
  std::thread thread_;
};

}  // namespace herald::plugins::memory
