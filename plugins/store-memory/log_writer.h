// Group commit: the one thread that writes the event log and tells waiting
// callers when their records are durable.
//
// Who calls what:
//   - MemoryStore calls submit() from any caller thread. Event batches are
//     submitted while the store's state lock is held, so the order of
//     records in the file is the order of global positions.
//   - Callers then block in wait_durable() (any thread) until the writer
//     has written — and, per fsync mode, synced — their record.
//   - Readers (any thread) ask durable_position(), and subscriptions block
//     in wait_for_position() instead of polling.
//   - MemoryStore::close() calls stop() on the main thread once.
//
// fsync modes:
//   always  one write() and one fdatasync() per record; no sharing.
//   batch   the writer takes everything queued, makes one write() and one
//           fdatasync() of it and wakes all of its waiters. Appends that
//           arrive during an fdatasync form the next batch, so concurrency
//           raises throughput instead of queueing on the disk.
//   never   write() per batch and no fdatasync: a crash of the process
//           loses nothing, a crash of the machine may.
//
// A failed write() or fdatasync() puts the writer in a failed state for
// good: after a failed fdatasync the kernel may have dropped the dirty
// pages, so a later successful one would prove nothing. Waiting and later
// callers get kRetry with the reason; health() reports it; nothing that did
// not reach the disk is ever reported durable.
//
// Without a file (memory-only store) submit() makes a record durable at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "herald/status.h"
#include "log_file.h"
#include "log_format.h"

namespace spdlog {
class logger;
}

namespace herald::plugins::memory {

enum class FsyncMode { kAlways, kBatch, kNever };

const char* to_string(FsyncMode mode);

// Counters since start, for benchmarks and diagnostics.
struct WriterStats {
  std::uint64_t records = 0;  // records written
  std::uint64_t batches = 0;  // write() calls of whole batches
  std::uint64_t syncs = 0;    // fdatasync() calls
  std::uint64_t bytes = 0;    // bytes written, headers included
};

class LogWriter {
 public:
  // `file` may be null (memory only); otherwise it is open and outlives the
  // writer. `durable_position` is the head after recovery.
  LogWriter(LogFile* file, FsyncMode mode, Position durable_position,
            std::shared_ptr<spdlog::logger> logger);
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  ~LogWriter();

  // Queues a record and returns its sequence number for wait_durable().
  // `last_position` is the highest global position the record holds (0 for
  // records without events).
  std::uint64_t submit(RecordType type, std::string payload, Position last_position);

  // Blocks until record `seq` is durable (ok), the writer failed (kRetry)
  // or `timeout` passed (kRetry; the record may still become durable).
  Status wait_durable(std::uint64_t seq, std::chrono::milliseconds timeout);
  // Blocks until durable_position() >= position; same answers as above.
  Status wait_position_durable(Position position, std::chrono::milliseconds timeout);

  // The highest global position that is durable: what readers may see.
  Position durable_position() const { return durable_position_.load(std::memory_order_acquire); }
  // Blocks until durable_position() > after, the timeout passes or the
  // writer stops; returns durable_position() then.
  Position wait_for_position(Position after, std::chrono::milliseconds timeout);

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // ok, or kFailed with the reason the writer stopped.
  Status health() const;

  // Writes and syncs everything queued (whatever the mode), then stops the
  // thread. Idempotent.
  void stop();

  WriterStats stats() const;

 private:
  struct Pending {
    RecordType type;
    std::string payload;
    std::uint64_t seq;
    Position last_position;
  };

  void run();
  void write_batch(std::vector<Pending>& batch);
  void publish(std::uint64_t seq, Position last_position);
  void fail(const Status& status);

  LogFile* file_;
  const FsyncMode mode_;
  std::shared_ptr<spdlog::logger> logger_;

  // Queue, filled by submit(), emptied by the writer thread.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Pending> queue_;
  std::uint64_t next_seq_ = 0;
  bool stopping_ = false;

  // What is durable; waiters sleep on durable_cv_.
  mutable std::mutex durable_mu_;
  std::condition_variable durable_cv_;
  std::uint64_t durable_seq_ = 0;
  std::atomic<Position> durable_position_;
  std::atomic<bool> failed_{false};
  Status failure_;
  bool stopped_ = false;

  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> bytes_{0};

  std::string buffer_;  // writer thread only
  std::thread thread_;
};

}  // namespace herald::plugins::memory
