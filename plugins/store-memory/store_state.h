// StoreState: what the memory store knows — the global log, its indexes,
// snapshots, checkpoints and idempotency keys — and the rules that change
// it: placing an append, replaying a log record, answering reads.
//
// Not thread-safe by itself: MemoryStore guards it with one mutex. Replay
// (open(), main thread) and the sequencer (the log writer's thread) change
// it; readers read it. It holds every accepted event, durable or not; reads
// take a `head` (the durable position) and never go past it.
//
// Events are kept as their appends' encoded payloads (StoredBatch) and
// decoded when read. A StoredBatch never changes once added and lives as
// long as the store, so readers may decode an EventRef after letting go of
// the lock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "arena.h"
#include "herald/status.h"
#include "herald/store.h"
#include "id_index.h"
#include "log_format.h"

namespace herald::plugins::memory {

// One append as kept in memory: the payload of its log record. Once added
// to the state its payload and offsets live in the state's arena; before
// that (while the sequencer checks it) they view the caller's encoding.
struct StoredBatch {
  StreamId stream;
  Placement placement;  // set when the sequencer places it
  std::string_view payload;
  std::span<const std::uint32_t> event_offsets;  // where each event starts in payload

  std::string_view id(std::size_t i) const { return event_id_at(payload, event_offsets[i]); }
  std::string_view type(std::size_t i) const { return event_type_at(payload, event_offsets[i]); }
};

// One event: its append and its index there.
struct EventRef {
  const StoredBatch* batch = nullptr;
  std::uint32_t index = 0;

  Position position() const { return batch->placement.first_position + index; }
  Version version() const { return batch->placement.first_version + index; }
  // The full event; fails only if the payload does not decode (a bug: it
  // passed its checksum and was written by this code).
  Status materialize(RecordedEvent& out) const;
};

// Materializes `refs` in order; any thread, no lock needed.
Result<std::vector<RecordedEvent>> materialize(const std::vector<EventRef>& refs);

class StoreState {
 public:
  struct KeyEntry {
    std::string fingerprint;
    StreamId stream;
    TimestampUs expires_at = 0;  // 0: never
    Position first = 0;          // an append's events have consecutive positions
    std::size_t count = 0;
  };
  struct StreamState {
    std::vector<Position> positions;  // positions[v] holds version v
    Version version() const { return static_cast<Version>(positions.size()) - 1; }
  };

  // --- The log and its indexes -------------------------------------------------
  Position last_position() const { return log_.size(); }
  EventRef at(Position p) const { return log_[p - 1]; }
  std::size_t stream_count() const { return streams_.size(); }

  // The stream, or null when it has no events yet.
  StreamState* find_stream(const std::string& stream_key);
  // The stream's version counting only events at or before `head`.
  Version version(const std::string& stream_key, Position head) const;

  // Event ids. claim_ids() reserves the id of each event of `batch` for its
  // position (first + index) unless already held, in one hash probe each,
  // and returns how many were held, with their positions in `held`. When
  // any was held, or the append is refused later, release_ids() undoes the
  // claims.
  std::size_t claim_ids(const StoredBatch& batch, Position first, std::vector<Position>& held);
  void release_ids(const StoredBatch& batch, Position first);

  // Adds an append, placed and with its ids claimed: its first position is
  // last_position() + 1 and its first version follows the stream's.
  // `stream` is find_stream(stream key), looked up once by the caller (null
  // for a new stream). Copies the payload and offsets into the arena and
  // returns the batch where it now lives.
  const StoredBatch* add(StreamState* stream, const std::string& stream_key,
                         const StoredBatch& batch);

  // Timestamps for new events: now, but never before an earlier one.
  TimestampUs next_timestamp(TimestampUs now);

  // --- Reads (never past `head`) ---------------------------------------------
  void read_stream(const std::string& stream_key, Version from, std::size_t limit, Position head,
                   std::vector<EventRef>& out) const;
  // Returns next_after: the last event returned when `limit` stopped the
  // read, else max(after, head).
  Position read_all(Position after, std::size_t limit, const EventFilter& filter, Position head,
                    std::vector<EventRef>& out) const;

  // --- Idempotency keys -----------------------------------------------------
  // The key's entry if held and not expired at `now`.
  const KeyEntry* find_key(const std::string& key, TimestampUs now);
  void remember_key(std::string key, KeyEntry entry, TimestampUs now);
  std::size_t key_count() const { return keys_.size(); }

  // --- Snapshots and checkpoints ---------------------------------------------
  // A snapshot is "accepted" when the sequencer lets it into the log and
  // "durable" once it is on disk; only durable ones are loaded.
  std::optional<Version> accepted_snapshot_version(const std::string& stream_key) const;
  void accept_snapshot(const std::string& stream_key, Version version);
  void make_snapshot_durable(Snapshot snapshot);  // unless a newer one already is
  std::optional<Snapshot> snapshot(const std::string& stream_key) const;
  std::size_t snapshot_count() const { return snapshots_.size(); }

  void set_checkpoint(const std::string& name, Position position) { checkpoints_[name] = position; }
  Position checkpoint(const std::string& name) const;
  std::size_t checkpoint_count() const { return checkpoints_.size(); }

  // --- Replay -----------------------------------------------------------------
  // Applies one intact record read back from the log at `offset`. A record
  // that does not decode, or does not continue the log (a position or
  // version out of line, an event id held twice), fails with a message
  // naming `path` and the offset. The events' JSON is not parsed here.
  Status replay(const RecordHeader& header, std::string_view payload, std::uint64_t offset,
                const std::string& path, TimestampUs now);
  // Before a replay of `bytes` of log: sizes the id index for about as many
  // events as that holds, so that it does not grow again and again.
  void expect_log_bytes(std::uint64_t bytes);

 private:
  struct SnapshotSlot {
    std::optional<Version> accepted;
    std::optional<Snapshot> durable;
  };
  // Looks up type names by string_view without making a std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using PositionsByName =
      std::unordered_map<std::string, std::vector<Position>, NameHash, std::equal_to<>>;

  void expire_keys(TimestampUs now);
  std::vector<Position>& positions_of(PositionsByName& index, std::string_view name);

  Arena arena_;                      // every batch's payload and offsets
  std::deque<StoredBatch> batches_;  // a deque: batches never move
  std::deque<EventRef> log_;         // log_[p - 1] holds position p
  std::unordered_map<std::string, StreamState> streams_;
  PositionsByName by_event_type_;
  PositionsByName by_stream_type_;
  IdIndex by_event_id_;
  std::unordered_map<std::string, KeyEntry> keys_;
  using Expiry = std::pair<TimestampUs, std::string>;
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> key_expiry_;
  std::unordered_map<std::string, SnapshotSlot> snapshots_;
  std::unordered_map<std::string, Position> checkpoints_;
  TimestampUs last_timestamp_ = 0;
};

}  // namespace herald::plugins::memory
