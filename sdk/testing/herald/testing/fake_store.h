// A small, correct, in-memory EventStore for tests: no files, no background
// threads, every call under one mutex. Plugin authors use it to run their
// aggregates and projections against real store semantics; the gateway's
// tests use it with fail_next() to see how store errors surface.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>

#include "herald/store.h"

namespace herald::testing {

class FakeEventStore : public EventStore {
 public:
  Status open() override { return Status::ok(); }
  void close() override {}

  // The next `count` calls that touch data answer `status` (e.g. kRetry).
  void fail_next(Status status, int count = 1) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(status);
    failures_left_ = count;
  }
  // What health() answers from now on (ok at first): a store in a failed
  // state, as the memory store is after a disk error, reports kFailed.
  void set_health(Status status) {
    std::lock_guard lock(mutex_);
    health_ = std::move(status);
  }
  std::size_t append_calls() const {
    std::lock_guard lock(mutex_);
    return append_calls_;
  }

  AppendResult append(const AppendRequest& r) override {
    std::unique_lock lock(mutex_);
    ++append_calls_;
    AppendResult out;
    if (Status f = take_failure(); !f.is_ok()) {
      out.status = f;
      return out;
    }
    if (!r.idempotency_key.empty()) {
      auto it = keys_.find(r.idempotency_key);
      if (it != keys_.end() && it->second.expires_at > now_us()) {
        out.duplicate = true;
        out.events = it->second.events;
        out.idempotency_fingerprint = it->second.fingerprint;
        out.current_version = out.events.empty() ? kNoVersion : out.events.back().version;
        return out;
      }
    }
    if (!r.events.empty() && ids_.count(r.events.front().id)) {
      for (const auto& e : r.events) {
        if (!ids_.count(e.id)) {
          out.status = Status::failed("some but not all event ids are already stored");
          return out;
        }
        out.events.push_back(log_[ids_[e.id] - 1]);
      }
      out.duplicate = true;
      out.current_version = out.events.back().version;
      return out;
    }
    Version current = version_of(r.stream);
    bool ok = true;
    switch (r.expected.kind) {
      case ExpectedVersion::Kind::kAny: break;
      case ExpectedVersion::Kind::kNoStream: ok = current == kNoVersion; break;
      case ExpectedVersion::Kind::kStreamExists: ok = current != kNoVersion; break;
      case ExpectedVersion::Kind::kExact: ok = current == r.expected.version; break;
    }
    if (!ok) {
      out.status = Status::conflict("stream " + r.stream.key() + " is at version " +
                                    std::to_string(current));
      out.current_version = current;
      return out;
    }
    auto& positions = streams_[r.stream.key()];
    for (const auto& e : r.events) {
      RecordedEvent rec{e.id, r.stream, e.type, e.schema_version, ++current,
                        log_.size() + 1, now_us(), e.data, e.metadata};
      log_.push_back(rec);
      positions.push_back(rec.position);
      ids_[rec.id] = rec.position;
      out.events.push_back(std::move(rec));
    }
    out.current_version = current;
    if (!r.idempotency_key.empty()) {
      keys_[r.idempotency_key] = IdempotencyRecord{r.idempotency_key, r.idempotency_fingerprint,
                                                   r.stream, r.idempotency_expires_at, out.events};
    }
    lock.unlock();
    cv_.notify_all();
    return out;
  }

  Result<ReadSlice> read_stream(const StreamId& s, Version from, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    if (Status f = take_failure(); !f.is_ok()) return f;
    ReadSlice slice;
    slice.head = log_.size();
    auto it = streams_.find(s.key());
    if (it != streams_.end()) {
      for (std::size_t v = static_cast<std::size_t>(std::max<Version>(from, 0));
           v < it->second.size() && slice.events.size() < limit; ++v) {
        slice.events.push_back(log_[it->second[v] - 1]);
      }
    }
    return slice;
  }

  Result<Version> stream_version(const StreamId& s) override {
    std::lock_guard lock(mutex_);
    if (Status f = take_failure(); !f.is_ok()) return f;
    return version_of(s);
  }

  Result<ReadSlice> read_all(Position after, std::size_t limit, const EventFilter& filter) override {
    std::lock_guard lock(mutex_);
    if (Status f = take_failure(); !f.is_ok()) return f;
    ReadSlice slice;
    slice.head = log_.size();
    slice.next_after = after;
    // `p > after` stops `after + 1` from wrapping round at UINT64_MAX.
    for (Position p = after + 1; p > after && p <= log_.size() && slice.events.size() < limit;
         ++p) {
      slice.next_after = p;
      if (filter.matches(log_[p - 1])) slice.events.push_back(log_[p - 1]);
    }
    return slice;
  }

  Result<Position> head() override {
    std::lock_guard lock(mutex_);
    return static_cast<Position>(log_.size());
  }

  Result<Position> wait_for_events(Position after, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return log_.size() > after; });
    return static_cast<Position>(log_.size());
  }

  // Like a store that knows what each append concerns: sleeps through
  // events the filter does not match.
  Result<Position> wait_for_matching_events(Position after, std::chrono::milliseconds timeout,
                                            const EventFilter& filter) override {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] {
      for (std::size_t i = after; i < log_.size(); ++i) {
        if (filter.matches(log_[i])) return true;
      }
      return false;
    });
    return static_cast<Position>(log_.size());
  }

  Status save_snapshot(const Snapshot& s) override {
    std::lock_guard lock(mutex_);
    auto& held = snapshots_[s.stream.key()];
    if (!held || held->version <= s.version) held = s;
    return Status::ok();
  }
  Result<std::optional<Snapshot>> load_snapshot(const StreamId& s) override {
    std::lock_guard lock(mutex_);
    auto it = snapshots_.find(s.key());
    if (it == snapshots_.end()) return std::optional<Snapshot>();
    return it->second;
  }
  Status save_checkpoint(const std::string& name, Position p) override {
    std::lock_guard lock(mutex_);
    checkpoints_[name] = p;
    return Status::ok();
  }
  Result<Position> load_checkpoint(const std::string& name) override {
    std::lock_guard lock(mutex_);
    auto it = checkpoints_.find(name);
    return it == checkpoints_.end() ? Position{0} : it->second;
  }
  Result<std::optional<IdempotencyRecord>> find_idempotency(const std::string& key) override {
    std::lock_guard lock(mutex_);
    if (Status f = take_failure(); !f.is_ok()) return f;
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.expires_at <= now_us()) return std::optional<IdempotencyRecord>();
    return std::optional<IdempotencyRecord>(it->second);
  }
  Status health() override {
    std::lock_guard lock(mutex_);
    return health_;
  }

 private:
  Version version_of(const StreamId& s) const {
    auto it = streams_.find(s.key());
    return it == streams_.end() ? kNoVersion : static_cast<Version>(it->second.size()) - 1;
  }
  Status take_failure() {
    if (failures_left_ <= 0) return Status::ok();
    --failures_left_;
    return failure_;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<RecordedEvent> log_;
  std::map<std::string, std::vector<Position>> streams_;
  std::map<std::string, Position> ids_;
  std::map<std::string, std::optional<Snapshot>> snapshots_;
  std::map<std::string, Position> checkpoints_;
  std::map<std::string, IdempotencyRecord> keys_;
  Status failure_;
  Status health_;
  int failures_left_ = 0;
  std::size_t append_calls_ = 0;
};

}  // namespace herald::testing
