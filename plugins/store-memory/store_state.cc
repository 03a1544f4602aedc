#include "store_state.h"

#include <algorithm>

namespace herald::plugins::memory {
namespace {

bool expired(TimestampUs expires_at, TimestampUs now) {
  return expires_at != 0 && expires_at <= now;
}

}  // namespace

Status EventRef::materialize(RecordedEvent& out) const {
  const Placement& p = batch->placement;
  if (std::string error = decode_event_at(batch->payload, batch->event_offsets[index], out);
      !error.empty()) {
    return Status::failed("the event at position " + std::to_string(position()) +
                          " cannot be decoded: " + error);
  }
  out.stream = batch->stream;
  out.version = p.first_version + index;
  out.position = p.first_position + index;
  out.timestamp = p.timestamp;
  return Status::ok();
}

Result<std::vector<RecordedEvent>> materialize(const std::vector<EventRef>& refs) {
  std::vector<RecordedEvent> out(refs.size());
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (Status s = refs[i].materialize(out[i]); !s.is_ok()) return s;
  }
  return out;
}

StoreState::StreamState* StoreState::find_stream(const std::string& stream_key) {
  auto it = streams_.find(stream_key);
  return it == streams_.end() ? nullptr : &it->second;
}

Version StoreState::version(const std::string& stream_key, Position head) const {
  auto it = streams_.find(stream_key);
  if (it == streams_.end()) return kNoVersion;
  const auto& positions = it->second.positions;
  // Usually every event is durable; otherwise count those that are.
  if (positions.empty() || positions.back() <= head)
    return static_cast<Version>(positions.size()) - 1;
  return static_cast<Version>(std::upper_bound(positions.begin(), positions.end(), head) -
                              positions.begin()) -
         1;
}

std::size_t StoreState::claim_ids(const StoredBatch& batch, Position first,
                                  std::vector<Position>& held) {
  // Positions up to last_position() are in the log; the others are this
  // append's own, claimed a moment ago.
  auto id_at = [&](Position p) -> std::string_view {
    return p <= last_position() ? at(p).batch->id(at(p).index) : batch.id(p - first);
  };
  std::size_t count = 0;
  for (std::size_t i = 0; i < batch.event_offsets.size(); ++i) {
    if (Position p = by_event_id_.insert(batch.id(i), first + i, id_at); p != 0) {
      ++count;
      held.push_back(p);
    }
  }
  return count;
}

void StoreState::release_ids(const StoredBatch& batch, Position first) {
  for (std::size_t i = 0; i < batch.event_offsets.size(); ++i) {
    by_event_id_.erase(batch.id(i), first + i);
  }
}

void StoreState::expect_log_bytes(std::uint64_t bytes) {
  // A small event takes ~200 bytes of log; reserving for a few more than
  // there are costs 16 bytes a slot.
  by_event_id_.reserve(static_cast<std::size_t>(bytes / 160));
}

std::vector<Position>& StoreState::positions_of(PositionsByName& index, std::string_view name) {
  auto it = index.find(name);
  if (it == index.end()) it = index.emplace(std::string(name), std::vector<Position>{}).first;
  return it->second;
}

const StoredBatch* StoreState::add(StreamState* known, const std::string& stream_key,
                                   const StoredBatch& batch) {
  const StoredBatch* b = &batches_.emplace_back(StoredBatch{
      batch.stream, batch.placement, arena_.copy(batch.payload), arena_.copy(batch.event_offsets)});
  auto& stream = (known != nullptr ? *known : streams_[stream_key]).positions;
  auto& by_stream_type = positions_of(by_stream_type_, b->stream.type);
  // Consecutive events mostly share a type: look its list up once per run.
  std::string_view type;
  std::vector<Position>* by_type = nullptr;
  const Position first = b->placement.first_position;
  for (std::uint32_t i = 0; i < b->event_offsets.size(); ++i) {
    const Position p = first + i;
    if (std::string_view t = b->type(i); by_type == nullptr || t != type) {
      type = t;
      by_type = &positions_of(by_event_type_, t);
    }
    stream.push_back(p);
    by_stream_type.push_back(p);
    by_type->push_back(p);
    log_.push_back(EventRef{b, i});
  }
  return b;
}

TimestampUs StoreState::next_timestamp(TimestampUs now) {
  last_timestamp_ = std::max(now, last_timestamp_);
  return last_timestamp_;
}

void StoreState::read_stream(const std::string& stream_key, Version from, std::size_t limit,
                             Position head, std::vector<EventRef>& out) const {
  auto it = streams_.find(stream_key);
  if (it == streams_.end()) return;
  const auto& positions = it->second.positions;
  for (auto v = static_cast<std::size_t>(std::max<Version>(from, 0));
       v < positions.size() && out.size() < limit && positions[v] <= head; ++v) {
    out.push_back(at(positions[v]));
  }
}

Position StoreState::read_all(Position after, std::size_t limit, const EventFilter& filter,
                              Position head, std::vector<EventRef>& out) const {
  // Also keeps `after + 1` from wrapping round to position 0 at UINT64_MAX.
  if (limit == 0 || after >= head) return after;
  if (filter.empty()) {
    for (Position p = after + 1; p <= head && out.size() < limit; ++p) out.push_back(at(p));
    return out.size() == limit ? out.back().position() : std::max(after, head);
  }
  // Served from an index: the per-event-type lists when types are asked for
  // (stream types then checked per event), else the per-stream-type lists.
  // Several lists are merged in position order.
  const bool by_type = !filter.event_types.empty();
  const auto& index = by_type ? by_event_type_ : by_stream_type_;
  const auto& wanted = by_type ? filter.event_types : filter.stream_types;
  struct Cursor {
    std::vector<Position>::const_iterator it, end;
  };
  std::vector<Cursor> cursors;
  for (const std::string& name : wanted) {
    auto found = index.find(name);
    if (found == index.end()) continue;
    const auto& list = found->second;
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
    const EventRef e = at(p);
    if (check_stream_type && filter.stream_types.count(e.batch->stream.type) == 0) continue;
    out.push_back(e);
    if (out.size() == limit) return p;
  }
  return std::max(after, head);
}

const StoreState::KeyEntry* StoreState::find_key(const std::string& key, TimestampUs now) {
  expire_keys(now);
  auto it = keys_.find(key);
  if (it == keys_.end() || expired(it->second.expires_at, now)) return nullptr;
  return &it->second;
}

void StoreState::remember_key(std::string key, KeyEntry entry, TimestampUs now) {
  if (entry.expires_at != 0) key_expiry_.emplace(entry.expires_at, key);
  keys_.insert_or_assign(std::move(key), std::move(entry));
  expire_keys(now);
}

void StoreState::expire_keys(TimestampUs now) {
  while (!key_expiry_.empty() && key_expiry_.top().first <= now) {
    auto it = keys_.find(key_expiry_.top().second);
    // A key reused after it expired has a later expiry: leave that one be.
    if (it != keys_.end() && expired(it->second.expires_at, now)) keys_.erase(it);
    key_expiry_.pop();
  }
}

std::optional<Version> StoreState::accepted_snapshot_version(const std::string& stream_key) const {
  auto it = snapshots_.find(stream_key);
  return it == snapshots_.end() ? std::nullopt : it->second.accepted;
}

void StoreState::accept_snapshot(const std::string& stream_key, Version version) {
  snapshots_[stream_key].accepted = version;
}

void StoreState::make_snapshot_durable(Snapshot snapshot) {
  SnapshotSlot& slot = snapshots_[snapshot.stream.key()];
  if (!slot.durable || slot.durable->version <= snapshot.version) {
    slot.durable = std::move(snapshot);
  }
}

std::optional<Snapshot> StoreState::snapshot(const std::string& stream_key) const {
  auto it = snapshots_.find(stream_key);
  return it == snapshots_.end() ? std::nullopt : it->second.durable;
}

Position StoreState::checkpoint(const std::string& name) const {
  auto it = checkpoints_.find(name);
  return it == checkpoints_.end() ? 0 : it->second;
}

Status StoreState::replay(const RecordHeader& header, std::string_view payload,
                          std::uint64_t offset, const std::string& path, TimestampUs now) {
  const auto type = static_cast<RecordType>(header.type);
  auto malformed = [&](const std::string& why) {
    return Status::failed("event log " + path + ": the " + to_string(type) + " record at byte " +
                          std::to_string(offset) + " has a valid checksum but cannot be used (" +
                          why + "); it was written by another herald build or the log is damaged");
  };
  switch (type) {
    case RecordType::kEventBatch: {
      BatchLayout layout;
      if (std::string error = scan_event_batch(payload, layout); !error.empty()) {
        return malformed(error);
      }
      const Placement& placement = header.placement;
      if (placement.first_position != last_position() + 1) {
        return malformed("it starts at position " + std::to_string(placement.first_position) +
                         " where position " + std::to_string(last_position() + 1) +
                         " was expected");
      }
      const std::string stream_key = layout.stream.key();
      StreamState* stream = find_stream(stream_key);
      const Version current = stream == nullptr ? kNoVersion : stream->version();
      if (placement.first_version != current + 1) {
        return malformed("stream " + stream_key + " continues at version " +
                         std::to_string(placement.first_version) + " where version " +
                         std::to_string(current + 1) + " was expected");
      }
      const StoredBatch batch{layout.stream, placement, payload, layout.event_offsets};
      std::vector<Position> held;
      if (claim_ids(batch, placement.first_position, held) > 0) {
        release_ids(batch, placement.first_position);
        const Position p = held.front();
        const std::string_view id = p <= last_position() ? at(p).batch->id(at(p).index)
                                                         : batch.id(p - placement.first_position);
        return malformed("event id " + std::string(id) + " is stored twice");
      }
      last_timestamp_ = std::max(last_timestamp_, placement.timestamp);
      const std::size_t count = batch.event_offsets.size();
      add(stream, stream_key, batch);
      // Keys that expired meanwhile are not brought back.
      if (!layout.idempotency_key.empty() && !expired(layout.idempotency_expires_at, now)) {
        remember_key(std::move(layout.idempotency_key),
                     KeyEntry{std::move(layout.idempotency_fingerprint), layout.stream,
                              layout.idempotency_expires_at, placement.first_position, count},
                     now);
      }
      return Status::ok();
    }
    case RecordType::kSnapshot: {
      Snapshot snapshot;
      std::string error = decode_snapshot(payload, snapshot);
      if (!error.empty()) return malformed(error);
      const std::string key = snapshot.stream.key();
      auto accepted = accepted_snapshot_version(key);
      if (!accepted || snapshot.version >= *accepted) accept_snapshot(key, snapshot.version);
      make_snapshot_durable(std::move(snapshot));
      return Status::ok();
    }
    case RecordType::kCheckpoint: {
      std::string name;
      Position position = 0;
      std::string error = decode_checkpoint(payload, name, position);
      if (!error.empty()) return malformed(error);
      set_checkpoint(name, position);  // the last one in the file wins
      return Status::ok();
    }
  }
  return malformed("unknown record type");
}

}  // namespace herald::plugins::memory
