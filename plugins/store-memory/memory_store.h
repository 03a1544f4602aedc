// MemoryStore: the `memory` event store. Every event, index, snapshot,
// checkpoint and idempotency key lives in memory; an append-only,
// checksummed log file makes them durable and is replayed by open().
//
// Who calls what (see herald/store.h for the contract):
//   - open() and close() on the main thread, once each, before and after
//     everything else.
//   - Every other call from any thread, concurrently. One mutex guards the
//     in-memory state; it is held only to check and place (never while
//     encoding JSON, writing or syncing). Appends then wait, outside the
//     lock, for the LogWriter's thread to make their record durable, so
//     concurrent appends share one fdatasync (fsync: batch).
//   - Readers only ever see durable events: reads stop at the writer's
//     durable position. Version and idempotency checks of new appends see
//     every accepted append, including those still waiting for the disk.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "herald/store.h"
#include "log_file.h"
#include "log_writer.h"
#include "options.h"

namespace spdlog {
class logger;
}

namespace herald::plugins::memory {

class MemoryStore final : public EventStore {
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
  using EventPtr = std::shared_ptr<const RecordedEvent>;

  struct StreamState {
    std::vector<Position> positions;  // positions[v] holds version v
    Version version() const { return static_cast<Version>(positions.size()) - 1; }
  };
  struct IdempotencyEntry {
    std::string fingerprint;
    StreamId stream;
    TimestampUs expires_at = 0;  // 0: never
    Position first = 0;          // an append's events have consecutive positions
    std::size_t count = 0;
  };
  struct SnapshotSlot {
    std::optional<Version> accepted;  // newest accepted, durable or not
    std::optional<Snapshot> durable;  // what load_snapshot() answers
  };
  struct CheckpointSlot {
    std::uint64_t seq = 0;  // log sequence of the save; the latest save wins
    Position position = 0;
  };

  enum class State { kNew, kOpen, kClosed };

  Status usable() const;
  Status apply_record(RecordType type, std::string_view payload, std::uint64_t offset);
  // Adds an event to the log and every index. Lock held (or replaying).
  void place(EventPtr event, StreamState& stream, std::vector<Position>& stream_type_index);
  void remember_key(std::string key, IdempotencyEntry entry, TimestampUs now);
  void expire_keys(TimestampUs now);
  const EventPtr& at(Position p) const { return log_[p - 1]; }
  // Waits until `events` (already recorded) are durable, then answers with them.
  AppendResult duplicate(std::vector<EventPtr> events, std::string fingerprint);
  void log_progress(std::uint64_t offset, bool force);

  const MemoryStoreOptions options_;
  const std::shared_ptr<spdlog::logger> logger_;
  const bool persistent_;

  std::mutex lifecycle_mu_;  // open() and close()
  std::atomic<State> state_{State::kNew};
  LogFile file_;
  std::unique_ptr<LogWriter> writer_;

  mutable std::mutex mu_;  // everything below
  std::deque<EventPtr> log_;  // log_[p - 1] holds position p
  std::unordered_map<std::string, StreamState> streams_;
  std::unordered_map<std::string, std::vector<Position>> by_event_type_;
  std::unordered_map<std::string, std::vector<Position>> by_stream_type_;
  std::unordered_map<std::string_view, Position> by_event_id_;  // views into log_'s ids
  std::unordered_map<std::string, IdempotencyEntry> keys_;
  using Expiry = std::pair<TimestampUs, std::string>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> key_expiry_;
  std::unordered_map<std::string, SnapshotSlot> snapshots_;
  std::unordered_map<std::string, CheckpointSlot> checkpoints_;
  TimestampUs last_timestamp_ = 0;

  // Replay bookkeeping (open() only).
  std::uint64_t replayed_records_ = 0;
  std::uint64_t next_progress_events_ = 0;
  std::chrono::steady_clock::time_point next_progress_time_;
};

}  // namespace herald::plugins::memory
