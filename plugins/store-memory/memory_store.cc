#include "memory_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <unordered_set>

namespace herald::plugins::memory {
namespace {

constexpr std::uint64_t kProgressEveryEvents = 1'000'000;
constexpr std::chrono::seconds kProgressEvery{5};

bool expired(TimestampUs expires_at, TimestampUs now) { return expires_at != 0 && expires_at <= now; }

std::string describe(const ExpectedVersion& e) {
  switch (e.kind) {
    case ExpectedVersion::Kind::kAny: return "any version";
    case ExpectedVersion::Kind::kNoStream: return "no stream";
    case ExpectedVersion::Kind::kStreamExists: return "an existing stream";
    case ExpectedVersion::Kind::kExact: return "version " + std::to_string(e.version);
  }
  return "?";
}

bool satisfies(const ExpectedVersion& e, Version current) {
  switch (e.kind) {
    case ExpectedVersion::Kind::kAny: return true;
    case ExpectedVersion::Kind::kNoStream: return current == kNoVersion;
    case ExpectedVersion::Kind::kStreamExists: return current != kNoVersion;
    case ExpectedVersion::Kind::kExact: return current == e.version;
  }
  return false;
}

AppendResult failed_append(Status status) {
  AppendResult r;
  r.status = std::move(status);
  return r;
}

// Request checks that need no state: done before the lock is taken.
Status check_request(const AppendRequest& request) {
  if (request.stream.type.empty() || request.stream.id.empty()) {
    return Status::failed("an append needs a stream type and a stream id");
  }
  const auto& events = request.events;
  for (const NewEvent& e : events) {
    if (e.id.empty()) return Status::failed("every event needs an id (a UUID)");
    if (e.type.empty()) return Status::failed("event " + e.id + " has no type");
  }
  if (events.size() > 1) {
    std::unordered_set<std::string_view> seen;
    seen.reserve(events.size());
    for (const NewEvent& e : events) {
      if (!seen.insert(e.id).second) {
        return Status::failed("event id " + e.id + " appears twice in one append");
      }
    }
  }
  return Status::ok();
}

}  // namespace

MemoryStore::MemoryStore(MemoryStoreOptions options, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      logger_(logger ? std::move(logger) : spdlog::default_logger()),
      persistent_(!options_.path.empty()) {}

MemoryStore::~MemoryStore() { close(); }

Status MemoryStore::usable() const {
  switch (state_.load(std::memory_order_acquire)) {
    case State::kOpen: return Status::ok();
    case State::kNew: return Status::failed("the memory store is not open yet");
    case State::kClosed: return Status::failed("the memory store is closed");
  }
  return Status::failed("?");
}

// --- Lifecycle ---------------------------------------------------------------

Status MemoryStore::open() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (state_ == State::kOpen) return Status::ok();
  if (state_ == State::kClosed) return Status::failed("the memory store was closed; make a new one");

  if (!persistent_) {
    writer_ = std::make_unique<LogWriter>(nullptr, options_.fsync, 0, logger_);
    state_ = State::kOpen;
    logger_->info("memory store without a file (path is empty): nothing survives a restart");
    return Status::ok();
  }

  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(options_.path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::failed("cannot create the folder " + parent.string() + " for event log " +
                            options_.path + ": " + ec.message());
    }
  }

  auto started = std::chrono::steady_clock::now();
  next_progress_events_ = kProgressEveryEvents;
  next_progress_time_ = started + kProgressEvery;
  Status status;
  {
    std::lock_guard lock(mu_);
    status = file_.open(options_.path, *logger_,
                        [this](RecordType type, std::string_view payload, std::uint64_t offset) {
                          return apply_record(type, payload, offset);
                        });
  }
  if (!status.is_ok()) {
    // Leave nothing half-replayed behind; a new open() starts clean.
    std::lock_guard lock(mu_);
    log_.clear();
    streams_.clear();
    by_event_type_.clear();
    by_stream_type_.clear();
    by_event_id_.clear();
    keys_.clear();
    key_expiry_ = {};
    snapshots_.clear();
    checkpoints_.clear();
    replayed_records_ = 0;
    return status;
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  writer_ = std::make_unique<LogWriter>(&file_, options_.fsync, log_.size(), logger_);
  state_ = State::kOpen;
  logger_->info(
      "event log {}: {} events in {} streams, {} snapshots, {} checkpoints, {} idempotency keys; "
      "replayed {} records ({:.1f} MiB) in {} ms; fsync {}",
      options_.path, log_.size(), streams_.size(), snapshots_.size(), checkpoints_.size(),
      keys_.size(), replayed_records_, static_cast<double>(file_.size()) / (1 << 20), took.count(),
      to_string(options_.fsync));
  return Status::ok();
}

void MemoryStore::close() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (state_ != State::kOpen) return;
  state_ = State::kClosed;
  writer_->stop();
  file_.close();
}

Status MemoryStore::health() {
  Status s = usable();
  if (!s.is_ok()) return s;
  return writer_->health();
}

WriterStats MemoryStore::writer_stats() const {
  return writer_ ? writer_->stats() : WriterStats{};
}

// --- Replay ------------------------------------------------------------------

void MemoryStore::log_progress(std::uint64_t offset, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && log_.size() < next_progress_events_ && now < next_progress_time_) return;
  next_progress_events_ = log_.size() + kProgressEveryEvents;
  next_progress_time_ = now + kProgressEvery;
  double total = static_cast<double>(std::max<std::uint64_t>(file_.size(), 1));
  logger_->info("replaying event log {}: {} events so far, at byte {} of {} ({:.0f}%)",
                options_.path, log_.size(), offset, file_.size(), 100.0 * offset / total);
}

Status MemoryStore::apply_record(RecordType type, std::string_view payload, std::uint64_t offset) {
  ++replayed_records_;
  auto malformed = [&](const std::string& why) {
    return Status::failed("event log " + options_.path + ": the " + to_string(type) +
                          " record at byte " + std::to_string(offset) +
                          " has a valid checksum but cannot be read (" + why +
                          "); it was written by another herald build or the log is damaged");
  };

  switch (type) {
    case RecordType::kEventBatch: {
      DecodedBatch batch;
      std::string error = decode_event_batch(payload, batch);
      if (!error.empty()) return malformed(error);
      const RecordedEvent& first = batch.events.front();
      if (first.position != log_.size() + 1) {
        return malformed("it starts at position " + std::to_string(first.position) +
                         " where position " + std::to_string(log_.size() + 1) + " was expected");
      }
      StreamState& stream = streams_[batch.stream.key()];
      if (first.version != stream.version() + 1) {
        return malformed("stream " + batch.stream.key() + " continues at version " +
                         std::to_string(first.version) + " where version " +
                         std::to_string(stream.version() + 1) + " was expected");
      }
      std::vector<Position>& stream_type_index = by_stream_type_[batch.stream.type];
      last_timestamp_ = std::max(last_timestamp_, first.timestamp);
      const std::size_t count = batch.events.size();
      for (RecordedEvent& e : batch.events) {
        if (by_event_id_.count(e.id) > 0) return malformed("event id " + e.id + " is stored twice");
        place(std::make_shared<const RecordedEvent>(std::move(e)), stream, stream_type_index);
      }
      TimestampUs now = now_us();
      // Expired keys are not brought back; ones that expire later are.
      if (!batch.idempotency_key.empty() && !expired(batch.idempotency_expires_at, now)) {
        remember_key(std::move(batch.idempotency_key),
                     IdempotencyEntry{std::move(batch.idempotency_fingerprint), batch.stream,
                                      batch.idempotency_expires_at, log_.size() - count + 1, count},
                     now);
      }
      log_progress(offset, false);
      return Status::ok();
    }
    case RecordType::kSnapshot: {
      Snapshot snapshot;
      std::string error = decode_snapshot(payload, snapshot);
      if (!error.empty()) return malformed(error);
      SnapshotSlot& slot = snapshots_[snapshot.stream.key()];
      if (!slot.accepted || snapshot.version >= *slot.accepted) {
        slot.accepted = snapshot.version;
        slot.durable = std::move(snapshot);
      }
      return Status::ok();
    }
    case RecordType::kCheckpoint: {
      std::string name;
      Position position = 0;
      std::string error = decode_checkpoint(payload, name, position);
      if (!error.empty()) return malformed(error);
      // seq 0: every save after this open() (seq >= 1) replaces it.
      checkpoints_[name] = CheckpointSlot{0, position};
      return Status::ok();
    }
  }
  return malformed("unknown record type");
}

// --- Appends -----------------------------------------------------------------

void MemoryStore::place(EventPtr event, StreamState& stream,
                        std::vector<Position>& stream_type_index) {
  const Position p = event->position;
  stream.positions.push_back(p);
  stream_type_index.push_back(p);
  by_event_type_[event->type].push_back(p);
  by_event_id_.emplace(event->id, p);  // the view lives as long as log_ holds the event
  log_.push_back(std::move(event));
}

void MemoryStore::remember_key(std::string key, IdempotencyEntry entry, TimestampUs now) {
  if (entry.expires_at != 0) key_expiry_.emplace(entry.expires_at, key);
  keys_.insert_or_assign(std::move(key), std::move(entry));
  expire_keys(now);
}

void MemoryStore::expire_keys(TimestampUs now) {
  while (!key_expiry_.empty() && key_expiry_.top().first <= now) {
    auto it = keys_.find(key_expiry_.top().second);
    // A key reused after it expired has a later expiry: leave that one be.
    if (it != keys_.end() && expired(it->second.expires_at, now)) keys_.erase(it);
    key_expiry_.pop();
  }
}

AppendResult MemoryStore::duplicate(std::vector<EventPtr> events, std::string fingerprint) {
  Position last = 0;
  for (const EventPtr& e : events) last = std::max(last, e->position);
  // The first append may still be waiting for the disk: never answer with
  // events that are not durable.
  Status s = writer_->wait_position_durable(last, options_.sync_timeout);
  if (!s.is_ok()) return failed_append(std::move(s));
  AppendResult r;
  r.duplicate = true;
  r.idempotency_fingerprint = std::move(fingerprint);
  r.events.reserve(events.size());
  for (const EventPtr& e : events) r.events.push_back(*e);
  r.current_version = r.events.empty() ? kNoVersion : r.events.back().version;
  return r;
}

AppendResult MemoryStore::append(const AppendRequest& request) {
  if (Status s = usable(); !s.is_ok()) return failed_append(std::move(s));
  if (Status s = check_request(request); !s.is_ok()) return failed_append(std::move(s));
  const std::string stream_key = request.stream.key();
  const std::size_t count = request.events.size();

  if (count == 0) {
    // Nothing to store: only the expected version is checked.
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream_key);
    Version current = it == streams_.end() ? kNoVersion : it->second.version();
    AppendResult r;
    r.current_version = current;
    if (!satisfies(request.expected, current)) {
      r.status = Status::conflict("stream " + stream_key + " is at version " +
                                  std::to_string(current) + ", expected " +
                                  describe(request.expected));
    }
    return r;
  }

  // Everything that needs no state is prepared before taking the lock: the
  // events as they will be recorded and the encoded log record.
  std::vector<std::shared_ptr<RecordedEvent>> fresh;
  fresh.reserve(count);
  for (const NewEvent& e : request.events) {
    auto r = std::make_shared<RecordedEvent>();
    r->id = e.id;
    r->stream = request.stream;
    r->type = e.type;
    r->schema_version = e.schema_version;
    r->data = e.data;
    r->metadata = e.metadata;
    fresh.push_back(std::move(r));
  }
  std::string payload;
  if (persistent_) {
    payload = encode_event_batch(request);
    if (payload.size() + kRecordHeaderSize > options_.max_record_bytes) {
      return failed_append(Status::failed(
          "the append's " + std::to_string(count) + " events take " +
          std::to_string(payload.size()) + " bytes encoded, more than max_record_bytes (" +
          std::to_string(options_.max_record_bytes) + ")"));
    }
  }

  std::unique_lock lock(mu_);
  if (writer_->failed()) return failed_append(Status::retry(writer_->health().message()));
  const TimestampUs now = now_us();

  // 1. The idempotency key comes first, whatever the expected version.
  if (!request.idempotency_key.empty()) {
    expire_keys(now);
    auto it = keys_.find(request.idempotency_key);
    if (it != keys_.end() && !expired(it->second.expires_at, now)) {
      const IdempotencyEntry& entry = it->second;
      std::vector<EventPtr> first;
      first.reserve(entry.count);
      for (std::size_t i = 0; i < entry.count; ++i) first.push_back(at(entry.first + i));
      std::string fingerprint = entry.fingerprint;
      lock.unlock();
      return duplicate(std::move(first), std::move(fingerprint));
    }
  }

  // 2. Event ids already held: all of them is a retry, some of them a bug.
  std::size_t held = 0;
  std::vector<EventPtr> known;
  for (const NewEvent& e : request.events) {
    auto it = by_event_id_.find(e.id);
    if (it != by_event_id_.end()) {
      ++held;
      known.push_back(at(it->second));
    }
  }
  if (held == count) {
    lock.unlock();
    return duplicate(std::move(known), {});
  }
  if (held > 0) {
    return failed_append(Status::failed(
        std::to_string(held) + " of the append's " + std::to_string(count) +
        " event ids are already stored (" + known.front()->id +
        " at position " + std::to_string(known.front()->position) +
        "); an append must be all new events or an exact retry of an earlier one"));
  }

  // 3. The expected version, against every accepted append.
  auto stream_it = streams_.find(stream_key);
  const Version current = stream_it == streams_.end() ? kNoVersion : stream_it->second.version();
  if (!satisfies(request.expected, current)) {
    AppendResult r;
    r.status = Status::conflict("stream " + stream_key + " is at version " +
                                std::to_string(current) + ", expected " +
                                describe(request.expected));
    r.current_version = current;
    return r;
  }

  // 4. Place the events. Timestamps never go backwards, even if the clock does.
  const TimestampUs timestamp = std::max(now, last_timestamp_);
  last_timestamp_ = timestamp;
  const Position first_position = log_.size() + 1;
  const Version first_version = current + 1;
  if (persistent_) place_event_batch(payload, first_position, first_version, timestamp);
  if (stream_it == streams_.end()) stream_it = streams_.try_emplace(stream_key).first;
  std::vector<Position>& stream_type_index = by_stream_type_[request.stream.type];
  for (std::size_t i = 0; i < count; ++i) {
    fresh[i]->version = first_version + static_cast<Version>(i);
    fresh[i]->position = first_position + i;
    fresh[i]->timestamp = timestamp;
    place(fresh[i], stream_it->second, stream_type_index);
  }
  if (!request.idempotency_key.empty()) {
    remember_key(request.idempotency_key,
                 IdempotencyEntry{request.idempotency_fingerprint, request.stream,
                                  request.idempotency_expires_at, first_position, count},
                 now);
  }
  const Position last_position = first_position + count - 1;
  std::uint64_t seq = writer_->submit(RecordType::kEventBatch, std::move(payload), last_position);
  lock.unlock();

  // 5. Wait for the disk, outside the lock, sharing the sync with others.
  Status s = writer_->wait_durable(seq, options_.sync_timeout);
  if (!s.is_ok()) return failed_append(std::move(s));
  AppendResult r;
  r.events.reserve(count);
  for (const auto& e : fresh) r.events.push_back(*e);
  r.current_version = first_version + static_cast<Version>(count) - 1;
  return r;
}

// --- Reads -------------------------------------------------------------------

Result<ReadSlice> MemoryStore::read_stream(const StreamId& stream, Version from,
                                           std::size_t limit) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::vector<EventPtr> found;
  ReadSlice slice;
  {
    std::lock_guard lock(mu_);
    slice.head = writer_->durable_position();
    auto it = streams_.find(stream.key());
    if (it != streams_.end()) {
      const auto& positions = it->second.positions;
      for (auto v = static_cast<std::size_t>(std::max<Version>(from, 0));
           v < positions.size() && found.size() < limit && positions[v] <= slice.head; ++v) {
        found.push_back(at(positions[v]));
      }
    }
  }
  slice.events.reserve(found.size());
  for (const EventPtr& e : found) slice.events.push_back(*e);
  slice.next_after = slice.events.empty() ? 0 : slice.events.back().position;
  return slice;
}

Result<Version> MemoryStore::stream_version(const StreamId& stream) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream.key());
  if (it == streams_.end()) return kNoVersion;
  const auto& positions = it->second.positions;
  const Position head = writer_->durable_position();
  // Usually every event is durable; otherwise count those that are.
  if (positions.empty() || positions.back() <= head) return it->second.version();
  return static_cast<Version>(std::upper_bound(positions.begin(), positions.end(), head) -
                              positions.begin()) -
         1;
}

Result<ReadSlice> MemoryStore::read_all(Position after, std::size_t limit,
                                        const EventFilter& filter) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::vector<EventPtr> found;
  ReadSlice slice;
  {
    std::lock_guard lock(mu_);
    const Position head = writer_->durable_position();
    slice.head = head;
    // Where the scan got to: the last event returned when `limit` stopped
    // it, else the head (everything up to it was looked at).
    Position scanned = std::max(after, head);

    if (limit == 0) {
      scanned = after;
    } else if (filter.empty()) {
      for (Position p = after + 1; p <= head && found.size() < limit; ++p) found.push_back(at(p));
      if (found.size() == limit) scanned = found.back()->position;
    } else {
      // Served from an index: the per-event-type lists when types are asked
      // for (stream types then checked per event), else the per-stream-type
      // lists. Several lists are merged in position order.
      const bool by_type = !filter.event_types.empty();
      const auto& index = by_type ? by_event_type_ : by_stream_type_;
      const auto& wanted = by_type ? filter.event_types : filter.stream_types;
      struct Cursor {
        std::vector<Position>::const_iterator it, end;
      };
      std::vector<Cursor> cursors;
      for (const std::string& name : wanted) {
        auto found_list = index.find(name);
        if (found_list == index.end()) continue;
        const auto& list = found_list->second;
        cursors.push_back({std::upper_bound(list.begin(), list.end(), after), list.end()});
      }
      const bool check_stream_type = by_type && !filter.stream_types.empty();
      for (;;) {
        Cursor* next = nullptr;
        for (Cursor& c : cursors) {
          if (c.it != c.end && (next == nullptr || *c.it < *next->it)) next = &c;
        }
        if (next == nullptr || *next->it > head) break;
        const Position p = *next->it++;
        const EventPtr& e = at(p);
        if (check_stream_type && filter.stream_types.count(e->stream.type) == 0) continue;
        found.push_back(e);
        if (found.size() == limit) {
          scanned = p;
          break;
        }
      }
    }
    slice.next_after = scanned;
  }
  slice.events.reserve(found.size());
  for (const EventPtr& e : found) slice.events.push_back(*e);
  return slice;
}

Result<Position> MemoryStore::head() {
  if (Status s = usable(); !s.is_ok()) return s;
  return writer_->durable_position();
}

Result<Position> MemoryStore::wait_for_events(Position after, std::chrono::milliseconds timeout) {
  if (Status s = usable(); !s.is_ok()) return s;
  return writer_->wait_for_position(after, timeout);
}

// --- Snapshots, checkpoints, idempotency ----------------------------------------

Status MemoryStore::save_snapshot(const Snapshot& snapshot) {
  if (Status s = usable(); !s.is_ok()) return s;
  if (snapshot.stream.type.empty() || snapshot.stream.id.empty()) {
    return Status::failed("a snapshot needs a stream type and a stream id");
  }
  Snapshot copy = snapshot;
  if (copy.taken_at == 0) copy.taken_at = now_us();
  std::string payload;
  if (persistent_) {
    payload = encode_snapshot(copy);
    if (payload.size() + kRecordHeaderSize > options_.max_record_bytes) {
      return Status::failed("the snapshot of " + copy.stream.key() + " takes " +
                            std::to_string(payload.size()) +
                            " bytes encoded, more than max_record_bytes (" +
                            std::to_string(options_.max_record_bytes) + ")");
    }
  }
  const std::string key = copy.stream.key();
  std::uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (writer_->failed()) return Status::retry(writer_->health().message());
    SnapshotSlot& slot = snapshots_[key];
    if (slot.accepted && copy.version < *slot.accepted) return Status::ok();  // older: no-op
    slot.accepted = copy.version;
    seq = writer_->submit(RecordType::kSnapshot, std::move(payload), 0);
  }
  if (Status s = writer_->wait_durable(seq, options_.sync_timeout); !s.is_ok()) return s;
  std::lock_guard lock(mu_);
  SnapshotSlot& slot = snapshots_[key];
  // Another save of a newer version may have become durable meanwhile.
  if (!slot.durable || slot.durable->version <= copy.version) slot.durable = std::move(copy);
  return Status::ok();
}

Result<std::optional<Snapshot>> MemoryStore::load_snapshot(const StreamId& stream) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::lock_guard lock(mu_);
  auto it = snapshots_.find(stream.key());
  if (it == snapshots_.end()) return std::optional<Snapshot>{};
  return it->second.durable;
}

Status MemoryStore::save_checkpoint(const std::string& name, Position position) {
  if (Status s = usable(); !s.is_ok()) return s;
  if (name.empty()) return Status::failed("a checkpoint needs a name");
  std::string payload = persistent_ ? encode_checkpoint(name, position) : std::string();
  std::uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (writer_->failed()) return Status::retry(writer_->health().message());
    seq = writer_->submit(RecordType::kCheckpoint, std::move(payload), 0);
  }
  if (Status s = writer_->wait_durable(seq, options_.sync_timeout); !s.is_ok()) return s;
  std::lock_guard lock(mu_);
  // Saves can finish out of order; the one written last wins, as on replay.
  CheckpointSlot& slot = checkpoints_[name];
  if (seq > slot.seq) slot = CheckpointSlot{seq, position};
  return Status::ok();
}

Result<Position> MemoryStore::load_checkpoint(const std::string& name) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::lock_guard lock(mu_);
  auto it = checkpoints_.find(name);
  return it == checkpoints_.end() ? Position{0} : it->second.position;
}

Result<std::optional<IdempotencyRecord>> MemoryStore::find_idempotency(const std::string& key) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::vector<EventPtr> events;
  IdempotencyRecord record;
  {
    std::lock_guard lock(mu_);
    auto it = keys_.find(key);
    if (it == keys_.end() || expired(it->second.expires_at, now_us())) {
      return std::optional<IdempotencyRecord>{};
    }
    const IdempotencyEntry& entry = it->second;
    // A key whose append is still on its way to the disk is not held yet
    // for readers; an append with that key waits for it instead.
    if (entry.first + entry.count - 1 > writer_->durable_position()) {
      return std::optional<IdempotencyRecord>{};
    }
    record.key = key;
    record.fingerprint = entry.fingerprint;
    record.stream = entry.stream;
    record.expires_at = entry.expires_at;
    for (std::size_t i = 0; i < entry.count; ++i) events.push_back(at(entry.first + i));
  }
  record.events.reserve(events.size());
  for (const EventPtr& e : events) record.events.push_back(*e);
  return std::optional<IdempotencyRecord>(std::move(record));
}

}  // namespace herald::plugins::memory
