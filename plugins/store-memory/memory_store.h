// MemoryStore: the `memory` event store. Every event, index, snapshot,
// checkpoint and idempotency key lives in memory (StoreState); an
// append-only, checksummed log file makes them durable and is replayed by
// open() (LogFile); one writer thread orders, writes and syncs the log with
// group commit (LogWriter).
//
// Who calls what (see herald/store.h for the contract):
//   - open() and close() on the main thread, once each, before and after
//     everything else.
//   - Every other call from any thread, concurrently. A write (append,
//     snapshot, checkpoint) encodes its record on the calling thread (for
//     an append that encoding is also what the store keeps) and hands it to
//     the writer thread, which checks and places it under the state lock
//     (MemoryStore::sequence), writes and syncs it together with everything
//     else queued, and wakes the caller. Reads take the state lock briefly
//     to collect event references, and decode the events after letting go.
//   - Readers only ever see durable events: reads stop at the writer's
//     durable position. Version and idempotency checks of new appends see
//     every accepted append, including those still on their way to disk.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "beacon.h"
#include "herald/store.h"
#include "log_file.h"
#include "log_writer.h"
#include "options.h"
#include "store_state.h"

namespace spdlog {
class logger;
}

namespace herald::plugins::memory {

class MemoryStore final : public EventStore, private Sequencer {
 public:
  // `logger` may be null: spdlog's default logger is used then.
  MemoryStore(MemoryStoreOptions options, std::shared_ptr<spdlog::logger> logger);
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;
  ~MemoryStore() override;  // close()

  Status open() override;
  void close() override;

  AppendResult append(const AppendRequest& request) override;
  Result<ReadSlice> read_stream(const StreamId& stream, Version from, std::size_t limit) override;
  Result<Version> stream_version(const StreamId& stream) override;
  Result<ReadSlice> read_all(Position after, std::size_t limit, const EventFilter& filter) override;
  Result<Position> head() override;
  Result<Position> wait_for_events(Position after, std::chrono::milliseconds timeout) override;
  // Sleeps through appends the filter does not match: the writer wakes a
  // waiter only for a round that made a matching event durable.
  Result<Position> wait_for_matching_events(Position after, std::chrono::milliseconds timeout,
                                            const EventFilter& filter) override;

  Status save_snapshot(const Snapshot& snapshot) override;
  Result<std::optional<Snapshot>> load_snapshot(const StreamId& stream) override;
  Status save_checkpoint(const std::string& name, Position position) override;
  Result<Position> load_checkpoint(const std::string& name) override;
  Result<std::optional<IdempotencyRecord>> find_idempotency(const std::string& key) override;

  Status health() override;

  // What the log writer has done since open(); any thread.
  WriterStats writer_stats() const;
  const MemoryStoreOptions& options() const { return options_; }

 private:
  struct AppendJob;
  struct SnapshotJob;
  struct CheckpointJob;
  enum class State { kNew, kOpen, kClosed };

  // Sequencer: the writer thread, batch by batch.
  void sequence(const std::vector<JobPtr>& batch) override;
  void made_durable(const std::vector<JobPtr>& batch) override;
  void sequence_append(AppendJob& job, TimestampUs now);
  // Wakes the matching waiters that `batch` (just made durable) concerns.
  void wake_matching(const std::vector<JobPtr>& batch);

  // A job for an append on this thread, reused when the writer is done with
  // it.
  static std::shared_ptr<AppendJob> take_append_job();

  Status usable() const;
  // Submits a job and waits for its answer: ok, or why there is none.
  // `meanwhile`, if given, runs on the calling thread after the job is
  // submitted and before the wait: work that overlaps the writer's.
  Status run(const JobPtr& job, const std::function<void()>& meanwhile = {});
  void replay_progress(std::uint64_t offset, bool force);

  const MemoryStoreOptions options_;
  const std::shared_ptr<spdlog::logger> logger_;
  const bool persistent_;

  std::mutex lifecycle_mu_;  // open() and close()
  std::atomic<State> state_{State::kNew};
  LogFile file_;
  std::unique_ptr<LogWriter> writer_;

  mutable std::mutex mu_;  // guards data_
  StoreState data_;

  // Readers in wait_for_matching_events, each on its own beacon.
  struct MatchingWaiter {
    const EventFilter* filter = nullptr;
    Beacon beacon;
  };
  std::mutex waiters_mu_;
  std::vector<MatchingWaiter*> waiters_;

  // Replay progress (open() only).
  std::uint64_t replayed_records_ = 0;
  Position next_progress_events_ = 0;
  std::chrono::steady_clock::time_point next_progress_time_;
};

}  // namespace herald::plugins::memory
