#include "memory_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "crc32c.h"

namespace herald::plugins::memory {
namespace {

constexpr Position kProgressEveryEvents = 1'000'000;
constexpr std::chrono::seconds kProgressEvery{5};

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

Status conflict(const std::string& stream_key, Version current, const ExpectedVersion& expected) {
  return Status::conflict("stream " + stream_key + " is at version " + std::to_string(current) +
                          ", expected " + describe(expected));
}

AppendResult failed_append(Status status) {
  AppendResult r;
  r.status = std::move(status);
  return r;
}

// Request checks that need no state: done on the caller's thread.
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

// One append on its way through the writer. The caller fills in the request
// part; the sequencer the answer. Each calling thread reuses its jobs (see
// take_append_job()), so the encoding buffers keep their memory.
struct MemoryStore::AppendJob : Job {
  AppendJob() : Job(RecordType::kEventBatch) {}

  // Like new, keeping the buffers' memory.
  void reuse() {
    Job::reuse();
    stream_key.clear();
    expected = ExpectedVersion{};
    key.clear();
    fingerprint.clear();
    expires_at = 0;
    answer = Status::ok();
    current_version = kNoVersion;
    duplicate = false;
    first_events.clear();
    first_fingerprint.clear();
  }

  std::string stream_key;
  ExpectedVersion expected;
  std::string key;
  std::string fingerprint;
  TimestampUs expires_at = 0;
  // The encoded events, which `batch` views until the sequencer copies it
  // into the store's state.
  std::string encoded;
  std::vector<std::uint32_t> event_offsets;
  StoredBatch batch;

  Status answer;  // conflict or failed; ok otherwise
  Version current_version = kNoVersion;
  bool duplicate = false;
  std::vector<EventRef> first_events;  // on duplicate: the first append's events
  std::string first_fingerprint;       // on duplicate by key
};

struct MemoryStore::SnapshotJob : Job {
  SnapshotJob() : Job(RecordType::kSnapshot) {}
  Snapshot snapshot;
  std::string encoded;  // `payload` views it
};

struct MemoryStore::CheckpointJob : Job {
  CheckpointJob() : Job(RecordType::kCheckpoint) {}
  std::string name;
  Position position = 0;
  std::string encoded;  // `payload` views it
};

MemoryStore::MemoryStore(MemoryStoreOptions options, std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      logger_(logger ? std::move(logger) : spdlog::default_logger()),
      persistent_(!options_.path.empty()) {}

MemoryStore::~MemoryStore() {
  close();
}

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
  if (state_ == State::kClosed) {
    return Status::failed("the memory store was closed; make a new one");
  }

  if (!persistent_) {
    writer_ = std::make_unique<LogWriter>(nullptr, options_.fsync, 0,
                                          static_cast<Sequencer&>(*this), logger_);
    state_ = State::kOpen;
    logger_->info("memory store without a file (path is empty): nothing survives a restart");
    return Status::ok();
  }

  std::filesystem::path parent = std::filesystem::path(options_.path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::failed("cannot create the folder " + parent.string() + " for event log " +
                            options_.path + ": " + ec.message());
    }
  }

  const auto started = std::chrono::steady_clock::now();
  next_progress_events_ = kProgressEveryEvents;
  next_progress_time_ = started + kProgressEvery;
  const TimestampUs replay_now = now_us();
  Status status;
  {
    std::lock_guard lock(mu_);
    std::error_code size_error;
    const auto bytes = std::filesystem::file_size(options_.path, size_error);
    if (!size_error) data_.expect_log_bytes(bytes);
    status = file_.open(options_.path, *logger_,
                        [this, replay_now](const RecordHeader& header, std::string_view payload,
                                           std::uint64_t offset) {
                          ++replayed_records_;
                          Status s =
                              data_.replay(header, payload, offset, options_.path, replay_now);
                          // The clock is read every few thousand records only.
                          if (replayed_records_ % 4096 == 0) replay_progress(offset, false);
                          return s;
                        });
    if (!status.is_ok()) {
      data_ = StoreState();  // a later open() starts clean
      replayed_records_ = 0;
      return status;
    }
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  if (options_.fsync != FsyncMode::kNever) file_.preallocate(options_.preallocate_bytes, logger_);
  writer_ = std::make_unique<LogWriter>(&file_, options_.fsync, data_.last_position(),
                                        static_cast<Sequencer&>(*this), logger_);
  state_ = State::kOpen;
  logger_->info(
      "event log {}: {} events in {} streams, {} snapshots, {} checkpoints, {} idempotency keys; "
      "replayed {} records ({:.1f} MiB) in {} ms; fsync {}",
      options_.path, data_.last_position(), data_.stream_count(), data_.snapshot_count(),
      data_.checkpoint_count(), data_.key_count(), replayed_records_,
      static_cast<double>(file_.size()) / (1 << 20), took.count(), to_string(options_.fsync));
  return Status::ok();
}

void MemoryStore::replay_progress(std::uint64_t offset, bool force) {
  const auto now = std::chrono::steady_clock::now();
  const Position events = data_.last_position();
  if (!force && events < next_progress_events_ && now < next_progress_time_) return;
  next_progress_events_ = events + kProgressEveryEvents;
  next_progress_time_ = now + kProgressEvery;
  const double total = static_cast<double>(std::max<std::uint64_t>(file_.size(), 1));
  logger_->info("replaying event log {}: {} events so far, at byte {} of {} ({:.0f}%)",
                options_.path, events, offset, file_.size(), 100.0 * offset / total);
}

void MemoryStore::close() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (state_ != State::kOpen) return;
  state_ = State::kClosed;
  writer_->stop();
  file_.close();
  std::lock_guard lock(waiters_mu_);
  for (MatchingWaiter* w : waiters_) w->beacon.wake_all();
}

Status MemoryStore::health() {
  if (Status s = usable(); !s.is_ok()) return s;
  return writer_->health();
}

WriterStats MemoryStore::writer_stats() const {
  return writer_ ? writer_->stats() : WriterStats{};
}

Status MemoryStore::run(const JobPtr& job, const std::function<void()>& meanwhile) {
  if (writer_->failed()) return Status::retry(writer_->health().message());
  writer_->submit(job);
  if (meanwhile) meanwhile();
  if (Status s = writer_->wait(*job, options_.sync_timeout); !s.is_ok()) return s;
  return job->status;
}

// --- Sequencing (the writer thread) ----------------------------------------------

void MemoryStore::sequence(const std::vector<JobPtr>& batch) {
  std::lock_guard lock(mu_);
  const TimestampUs now = now_us();
  for (const JobPtr& job : batch) {
    switch (job->type) {
      case RecordType::kEventBatch: sequence_append(static_cast<AppendJob&>(*job), now); break;
      case RecordType::kSnapshot: {
        auto& j = static_cast<SnapshotJob&>(*job);
        const std::string key = j.snapshot.stream.key();
        auto accepted = data_.accepted_snapshot_version(key);
        // Older than the one held: a no-op, as the contract says.
        j.write = !accepted || j.snapshot.version >= *accepted;
        if (j.write) data_.accept_snapshot(key, j.snapshot.version);
        break;
      }
      case RecordType::kCheckpoint: job->write = true; break;
    }
  }
}

void MemoryStore::sequence_append(AppendJob& job, TimestampUs now) {
  // 1. The idempotency key comes first, whatever the expected version.
  if (!job.key.empty()) {
    if (const StoreState::KeyEntry* entry = data_.find_key(job.key, now)) {
      job.duplicate = true;
      job.first_fingerprint = entry->fingerprint;
      for (std::size_t i = 0; i < entry->count; ++i) {
        job.first_events.push_back(data_.at(entry->first + i));
      }
      // The first append may still be on its way to the disk: never answer
      // with events that are not durable.
      job.needs_durable = entry->first + entry->count - 1;
      return;
    }
  }

  // 2. Event ids already held: all of them is a retry, some of them a bug.
  // Claiming the ids now costs one hash probe per event; a refusal below
  // gives them back.
  const StoredBatch& batch = job.batch;
  const std::size_t count = batch.event_offsets.size();
  const Position first_position = data_.last_position() + 1;
  std::vector<Position> held;
  if (data_.claim_ids(batch, first_position, held) > 0) {
    data_.release_ids(batch, first_position);
    if (held.size() == count) {
      job.duplicate = true;
      for (Position p : held) {
        job.first_events.push_back(data_.at(p));
        job.needs_durable = std::max(job.needs_durable, p);
      }
      return;
    }
    const EventRef known = data_.at(held.front());
    job.answer = Status::failed(
        std::to_string(held.size()) + " of the append's " + std::to_string(count) +
        " event ids are already stored (" + std::string(known.batch->id(known.index)) +
        " at position " + std::to_string(known.position()) +
        "); an append must be all new events or an exact retry of an earlier one");
    return;
  }

  // 3. The expected version, against every accepted append.
  StoreState::StreamState* stream = data_.find_stream(job.stream_key);
  const Version current = stream == nullptr ? kNoVersion : stream->version();
  if (!satisfies(job.expected, current)) {
    data_.release_ids(batch, first_position);
    job.answer = conflict(job.stream_key, current, job.expected);
    job.current_version = current;
    return;
  }

  // 4. Place the events; they become visible to readers once durable.
  job.batch.placement = Placement{first_position, current + 1, data_.next_timestamp(now)};
  job.placement = batch.placement;
  const StoredBatch* placed = data_.add(stream, job.stream_key, batch);
  job.payload = placed->payload;  // lives in the state from now on
  if (!job.key.empty()) {
    data_.remember_key(job.key,
                       StoreState::KeyEntry{job.fingerprint, placed->stream, job.expires_at,
                                            first_position, count},
                       now);
  }
  job.write = true;
  job.needs_durable = first_position + count - 1;
  job.current_version = current + static_cast<Version>(count);
}

void MemoryStore::made_durable(const std::vector<JobPtr>& batch) {
  wake_matching(batch);
  // Only snapshots and checkpoints have something to publish; events are
  // published by the durable position alone.
  bool any = false;
  for (const JobPtr& job : batch) any = any || (job->write && job->type != RecordType::kEventBatch);
  if (!any) return;
  std::lock_guard lock(mu_);
  for (const JobPtr& job : batch) {
    if (!job->write) continue;
    if (job->type == RecordType::kSnapshot) {
      data_.make_snapshot_durable(static_cast<SnapshotJob&>(*job).snapshot);
    } else if (job->type == RecordType::kCheckpoint) {
      auto& j = static_cast<CheckpointJob&>(*job);
      data_.set_checkpoint(j.name, j.position);  // in log order: the latest save wins
    }
  }
}

// --- Appends -----------------------------------------------------------------

AppendResult MemoryStore::append(const AppendRequest& request) {
  if (Status s = usable(); !s.is_ok()) return failed_append(std::move(s));
  if (Status s = check_request(request); !s.is_ok()) return failed_append(std::move(s));

  if (request.events.empty()) {
    // Nothing to store: only the expected version is checked.
    const std::string stream_key = request.stream.key();
    std::lock_guard lock(mu_);
    const StoreState::StreamState* stream = data_.find_stream(stream_key);
    AppendResult r;
    r.current_version = stream == nullptr ? kNoVersion : stream->version();
    if (!satisfies(request.expected, r.current_version)) {
      r.status = conflict(stream_key, r.current_version, request.expected);
    }
    return r;
  }

  // Everything that needs no state is prepared here, on the caller's thread:
  // the encoded events (also what the store keeps) and their checksum.
  std::shared_ptr<AppendJob> job = take_append_job();
  job->stream_key = request.stream.key();
  job->expected = request.expected;
  job->key = request.idempotency_key;
  job->fingerprint = request.idempotency_fingerprint;
  job->expires_at = request.idempotency_expires_at;
  encode_event_batch(request, job->encoded, job->event_offsets);
  if (job->encoded.size() + kRecordHeaderSize > options_.max_record_bytes) {
    return failed_append(Status::failed("the append's " + std::to_string(request.events.size()) +
                                        " events take " + std::to_string(job->encoded.size()) +
                                        " bytes encoded, more than max_record_bytes (" +
                                        std::to_string(options_.max_record_bytes) + ")"));
  }
  if (persistent_) job->payload_crc = crc32c(job->encoded.data(), job->encoded.size());
  job->batch = StoredBatch{request.stream, Placement{}, job->encoded, job->event_offsets};

  // While the writer places, writes and syncs the record: the events as
  // recorded are the request's, where the sequencer puts them, so they are
  // copied then rather than after the wake-up, when this thread is on the
  // way to its next append (and other callers to theirs).
  AppendResult r;
  auto copy_events = [&] {
    r.events.reserve(request.events.size());
    for (const NewEvent& e : request.events) {
      r.events.push_back(RecordedEvent{e.id, request.stream, e.type, e.schema_version, 0, 0, 0,
                                       e.data, e.metadata});
    }
  };
  if (Status s = run(job, copy_events); !s.is_ok()) return failed_append(std::move(s));
  if (!job->answer.is_ok()) {
    r.events.clear();
    r.status = std::move(job->answer);
    r.current_version = job->current_version;
    return r;
  }
  if (job->duplicate) {
    auto first = materialize(job->first_events);
    if (!first.is_ok()) return failed_append(first.status());
    r.events = std::move(*first);
    r.duplicate = true;
    r.idempotency_fingerprint = std::move(job->first_fingerprint);
    r.current_version = r.events.back().version;
    return r;
  }
  const Placement& p = job->placement;
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    r.events[i].version = p.first_version + static_cast<Version>(i);
    r.events[i].position = p.first_position + i;
    r.events[i].timestamp = p.timestamp;
  }
  r.current_version = job->current_version;
  return r;
}

std::shared_ptr<MemoryStore::AppendJob> MemoryStore::take_append_job() {
  // A job is free again once the writer has let go of it: the writer keeps
  // its batch's jobs a moment after waking their callers, and a job whose
  // caller timed out until the writer is done with it. Two spares a thread
  // cover the first case; the rare rest gets a new job.
  thread_local std::shared_ptr<AppendJob> spares[2];
  thread_local unsigned next_spare = 0;
  for (auto& spare : spares) {
    if (spare && spare.use_count() == 1) {
      // Pairs with the release in the writer's reference drop: whatever it
      // did with the job happens before this thread changes it.
      std::atomic_thread_fence(std::memory_order_acquire);
      spare->reuse();
      return spare;
    }
  }
  auto& slot = spares[next_spare++ % 2];
  slot = std::make_shared<AppendJob>();
  return slot;
}

// --- Reads -------------------------------------------------------------------

Result<ReadSlice> MemoryStore::read_stream(const StreamId& stream, Version from,
                                           std::size_t limit) {
  if (Status s = usable(); !s.is_ok()) return s;
  const std::string key = stream.key();
  std::vector<EventRef> found;
  ReadSlice slice;
  {
    std::lock_guard lock(mu_);
    slice.head = writer_->durable_position();
    data_.read_stream(key, from, limit, slice.head, found);
  }
  auto events = materialize(found);
  if (!events.is_ok()) return events.status();
  slice.events = std::move(*events);
  slice.next_after = slice.events.empty() ? 0 : slice.events.back().position;
  return slice;
}

Result<Version> MemoryStore::stream_version(const StreamId& stream) {
  if (Status s = usable(); !s.is_ok()) return s;
  const std::string key = stream.key();
  std::lock_guard lock(mu_);
  return data_.version(key, writer_->durable_position());
}

Result<ReadSlice> MemoryStore::read_all(Position after, std::size_t limit,
                                        const EventFilter& filter) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::vector<EventRef> found;
  ReadSlice slice;
  {
    std::lock_guard lock(mu_);
    slice.head = writer_->durable_position();
    slice.next_after = data_.read_all(after, limit, filter, slice.head, found);
  }
  auto events = materialize(found);
  if (!events.is_ok()) return events.status();
  slice.events = std::move(*events);
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

namespace {

// For an event type, which the store holds as a view into the encoded
// record: the filter's set looks up only std::string keys.
bool holds(const std::set<std::string>& names, std::string_view name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

Result<Position> MemoryStore::wait_for_matching_events(Position after,
                                                       std::chrono::milliseconds timeout,
                                                       const EventFilter& filter) {
  if (filter.empty()) return wait_for_events(after, timeout);
  if (Status s = usable(); !s.is_ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::min<std::chrono::milliseconds>(timeout, std::chrono::hours(24));
  MatchingWaiter waiter;
  waiter.filter = &filter;
  // Registered before the first look: a round made durable after that look
  // finds the waiter and bumps its beacon; one made durable before it is
  // seen by the look (the writer publishes a round, then takes waiters_mu_).
  {
    std::lock_guard lock(waiters_mu_);
    waiters_.push_back(&waiter);
  }
  std::vector<EventRef> found;
  Position head = 0;
  for (;;) {
    const std::uint32_t seen = waiter.beacon.generation();
    {
      std::lock_guard lock(mu_);
      head = writer_->durable_position();
      data_.read_all(after, 1, filter, head, found);
    }
    if (!found.empty() || state_.load() != State::kOpen ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    waiter.beacon.wait(seen, deadline);
  }
  {
    std::lock_guard lock(waiters_mu_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  }
  return head;
}

void MemoryStore::wake_matching(const std::vector<JobPtr>& batch) {
  std::lock_guard lock(waiters_mu_);
  for (MatchingWaiter* w : waiters_) {
    const EventFilter& f = *w->filter;
    bool concerned = false;
    for (const JobPtr& job : batch) {
      if (!job->write || job->type != RecordType::kEventBatch) continue;
      // The caller's encoding, alive until the writer lets go of the job.
      const StoredBatch& b = static_cast<const AppendJob&>(*job).batch;
      if (!f.stream_types.empty() && f.stream_types.count(b.stream.type) == 0) continue;
      if (f.event_types.empty()) {
        concerned = true;
      } else {
        for (std::size_t i = 0; i < b.event_offsets.size() && !concerned; ++i) {
          concerned = holds(f.event_types, b.type(i));
        }
      }
      if (concerned) break;
    }
    if (concerned) w->beacon.wake_all();
  }
}

// --- Snapshots, checkpoints, idempotency ----------------------------------------

Status MemoryStore::save_snapshot(const Snapshot& snapshot) {
  if (Status s = usable(); !s.is_ok()) return s;
  if (snapshot.stream.type.empty() || snapshot.stream.id.empty()) {
    return Status::failed("a snapshot needs a stream type and a stream id");
  }
  auto job = std::make_shared<SnapshotJob>();
  job->snapshot = snapshot;
  if (job->snapshot.taken_at == 0) job->snapshot.taken_at = now_us();
  if (persistent_) {
    job->encoded = encode_snapshot(job->snapshot);
    job->payload = job->encoded;
    job->payload_crc = crc32c(job->payload.data(), job->payload.size());
    if (job->payload.size() + kRecordHeaderSize > options_.max_record_bytes) {
      return Status::failed("the snapshot of " + snapshot.stream.key() + " takes " +
                            std::to_string(job->payload.size()) +
                            " bytes encoded, more than max_record_bytes (" +
                            std::to_string(options_.max_record_bytes) + ")");
    }
  }
  return run(job);
}

Result<std::optional<Snapshot>> MemoryStore::load_snapshot(const StreamId& stream) {
  if (Status s = usable(); !s.is_ok()) return s;
  const std::string key = stream.key();
  std::lock_guard lock(mu_);
  return data_.snapshot(key);
}

Status MemoryStore::save_checkpoint(const std::string& name, Position position) {
  if (Status s = usable(); !s.is_ok()) return s;
  if (name.empty()) return Status::failed("a checkpoint needs a name");
  auto job = std::make_shared<CheckpointJob>();
  job->name = name;
  job->position = position;
  if (persistent_) {
    job->encoded = encode_checkpoint(name, position);
    job->payload = job->encoded;
    job->payload_crc = crc32c(job->payload.data(), job->payload.size());
  }
  return run(job);
}

Result<Position> MemoryStore::load_checkpoint(const std::string& name) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::lock_guard lock(mu_);
  return data_.checkpoint(name);
}

Result<std::optional<IdempotencyRecord>> MemoryStore::find_idempotency(const std::string& key) {
  if (Status s = usable(); !s.is_ok()) return s;
  std::vector<EventRef> found;
  IdempotencyRecord record;
  {
    std::lock_guard lock(mu_);
    const StoreState::KeyEntry* entry = data_.find_key(key, now_us());
    // A key whose append is still on its way to the disk is not held yet
    // for readers; an append with that key waits for it instead.
    if (entry == nullptr || entry->first + entry->count - 1 > writer_->durable_position()) {
      return std::optional<IdempotencyRecord>{};
    }
    record.key = key;
    record.fingerprint = entry->fingerprint;
    record.stream = entry->stream;
    record.expires_at = entry->expires_at;
    for (std::size_t i = 0; i < entry->count; ++i) found.push_back(data_.at(entry->first + i));
  }
  auto events = materialize(found);
  if (!events.is_ok()) return events.status();
  record.events = std::move(*events);
  return std::optional<IdempotencyRecord>(std::move(record));
}

}  // namespace herald::plugins::memory
