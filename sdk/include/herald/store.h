// The event store: streams, the global log, snapshots, checkpoints and
// idempotency records.
//
// Who calls what:
//   - The gateway makes exactly one EventStore per process (from the `store:`
//     section), calls open() once on the main thread before anything else and
//     close() once after everything else has stopped.
//   - Every other call may come from any thread, concurrently: HTTP worker
//     threads (commands and queries), subscription threads (projections and
//     transport sinks), transport threads (commands from a broker). An
//     implementation is thread-safe and should let concurrent appends share
//     work (one fsync, one network round trip) where it can.
//   - Calls may block (disk, network) but must not block forever: a store
//     that cannot answer within its configured timeout returns kRetry.
//
// Nothing here assumes memory: a store may be a network service. Calls fail
// with kRetry when the backend is unreachable and the gateway answers 503.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "herald/event.h"
#include "herald/status.h"

namespace herald {

// What the writer believes about the stream before appending to it.
struct ExpectedVersion {
  enum class Kind {
    kAny,           // no check
    kNoStream,      // the stream must have no events
    kStreamExists,  // the stream must have at least one event
    kExact,         // the stream's last event must have exactly `version`
  };
  Kind kind = Kind::kAny;
  Version version = kNoVersion;

  static ExpectedVersion any() { return {Kind::kAny, kNoVersion}; }
  static ExpectedVersion no_stream() { return {Kind::kNoStream, kNoVersion}; }
  static ExpectedVersion stream_exists() { return {Kind::kStreamExists, kNoVersion}; }
  // exact(kNoVersion) is the same as no_stream().
  static ExpectedVersion exact(Version v) {
    return v == kNoVersion ? no_stream() : ExpectedVersion{Kind::kExact, v};
  }
};

struct AppendRequest {
  StreamId stream;
  ExpectedVersion expected;
  // All of them are appended, or none. Each carries a unique id; an append
  // whose event ids the store already holds (all of them) appends nothing
  // and answers with the events as first recorded (duplicate = true). Some
  // but not all ids already held is kFailed.
  std::vector<NewEvent> events;
  // Optional. When set, the store records the key atomically with the events
  // and keeps it until idempotency_expires_at. A later append with the same
  // key appends nothing and answers with the first append's events
  // (duplicate = true), whatever its expected version.
  std::string idempotency_key;
  // Tells apart two different requests that reuse one key; stored with it.
  std::string idempotency_fingerprint;
  TimestampUs idempotency_expires_at = 0;
};

struct AppendResult {
  // kOk, kConflict (see current_version), kRetry (backend unavailable) or
  // kFailed (the request cannot be stored; message says why).
  Status status;
  // On kOk: the events as recorded, with versions, positions and timestamps.
  std::vector<RecordedEvent> events;
  // The stream's version after the append on kOk; its actual version on
  // kConflict (kNoVersion when it has no events).
  Version current_version = kNoVersion;
  // True when nothing was appended because the key or the event ids were
  // already held; `events` are then the first append's events.
  bool duplicate = false;
  // On duplicate by key: the fingerprint stored with the key.
  std::string idempotency_fingerprint;
};

// Which events of the global log a reader wants. Empty sets mean "all".
struct EventFilter {
  std::set<std::string> event_types;
  std::set<std::string> stream_types;

  bool empty() const { return event_types.empty() && stream_types.empty(); }
  bool matches(const RecordedEvent& e) const {
    return (event_types.empty() || event_types.count(e.type) > 0) &&
           (stream_types.empty() || stream_types.count(e.stream.type) > 0);
  }
};

struct ReadSlice {
  std::vector<RecordedEvent> events;
  // The store's head (last durable global position) when the read was made.
  Position head = 0;
  // For read_all: the position the next read should continue after. It may be
  // past the last returned event when a filter skipped events.
  Position next_after = 0;
};

// An aggregate's state at a version, saved to shorten loading.
struct Snapshot {
  StreamId stream;
  Version version = kNoVersion;
  // The aggregate's state format when the snapshot was taken: a snapshot of
  // another format is ignored by the loader, never misread.
  int state_format = 1;
  Json state;
  TimestampUs taken_at = 0;
};

struct IdempotencyRecord {
  std::string key;
  std::string fingerprint;
  StreamId stream;
  TimestampUs expires_at = 0;
  // The events the first append recorded, in order.
  std::vector<RecordedEvent> events;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Main thread, once, before any other call. Opens files or connections and
  // recovers state. A non-ok status stops the gateway's start with its message.
  virtual Status open() = 0;
  // Main thread, once, after every other caller has stopped. Flushes and
  // makes durable everything acknowledged so far.
  virtual void close() = 0;

  // Appends atomically, checking the expected version atomically too. Returns
  // only when the events are as durable as the store's configuration says.
  virtual AppendResult append(const AppendRequest& request) = 0;

  // Events of one stream with version >= from, at most `limit`, in order.
  virtual Result<ReadSlice> read_stream(const StreamId& stream, Version from,
                                        std::size_t limit) = 0;
  // The stream's current version (kNoVersion when it has no events).
  virtual Result<Version> stream_version(const StreamId& stream) = 0;

  // Durable events of the global log with position > after that match the
  // filter, at most `limit`, in position order. A store should serve a filter
  // by event type from an index, not by scanning.
  virtual Result<ReadSlice> read_all(Position after, std::size_t limit,
                                     const EventFilter& filter) = 0;
  // The last durable position (0 when the log is empty).
  virtual Result<Position> head() = 0;
  // Blocks until head() > after or the timeout passes; returns the head then.
  // Subscriptions use it instead of polling. May return early (spuriously).
  virtual Result<Position> wait_for_events(Position after, std::chrono::milliseconds timeout) = 0;
  // Like wait_for_events, for a reader that only wants the events `filter`
  // matches (a subscription on some event or stream types): blocks until a
  // matching event is durable after `after`, or the timeout passes, and
  // returns the head then. Any thread. It may return early, spuriously or
  // on events the filter does not match; this default waits for any event.
  // A store that can tell which waiters an append concerns overrides it, so
  // that a reader on types nobody is writing sleeps through the appends of
  // the others (the memory store does). An empty filter matches everything.
  virtual Result<Position> wait_for_matching_events(Position after,
                                                    std::chrono::milliseconds timeout,
                                                    const EventFilter& filter) {
    (void)filter;
    return wait_for_events(after, timeout);
  }

  // Snapshots: the latest saved one wins; saving an older version than the
  // one held is a no-op.
  virtual Status save_snapshot(const Snapshot& snapshot) = 0;
  virtual Result<std::optional<Snapshot>> load_snapshot(const StreamId& stream) = 0;

  // Checkpoints of subscriptions (projections, transport sinks), by name.
  virtual Status save_checkpoint(const std::string& name, Position position) = 0;
  // 0 when the name has no checkpoint.
  virtual Result<Position> load_checkpoint(const std::string& name) = 0;

  // The record of an idempotency key, if held and not expired.
  virtual Result<std::optional<IdempotencyRecord>> find_idempotency(const std::string& key) = 0;

  // For /health/ready: ok when the store can serve calls.
  virtual Status health() = 0;
};

}  // namespace herald
