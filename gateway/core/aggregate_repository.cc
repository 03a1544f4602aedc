#include "core/aggregate_repository.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace herald::gateway {

AggregateRepository::AggregateRepository(EventStore& store, std::size_t cache_size,
                                         const UpcasterChain* upcasters)
    : store_(store), upcasters_(upcasters), cache_(cache_size) {}

Status AggregateRepository::fold(const AggregateType& type, AggregateState& state,
                                 const RecordedEvent& event) {
  Status s;
  try {
    s = type.aggregate->apply(state.state, event);
  } catch (const std::exception& e) {
    s = Status::failed(std::string("apply() threw: ") + e.what());
  }
  if (!s.is_ok()) {
    return Status::failed("aggregate " + type.type + " cannot fold event " + event.type +
                          " at stream " + event.stream.key() + " version " +
                          std::to_string(event.version) + ": " + s.message());
  }
  state.version = event.version;
  return Status::ok();
}

Result<AggregateRepository::StatePtr> AggregateRepository::load(const AggregateType& type,
                                                                const StreamId& stream, bool fresh) {
  const std::string key = stream.key();
  if (!fresh) {
    if (auto hit = cache_.get(key)) return hit;
  }
  auto state = load_at(type, stream, kLatest);
  if (!state.is_ok()) return state.status();
  // Not const underneath: advance() may fold it in place once it is the only
  // holder.
  StatePtr loaded = std::make_shared<AggregateState>(std::move(*state));
  cache_.put(key, loaded);
  return loaded;
}

Result<AggregateState> AggregateRepository::load_at(const AggregateType& type,
                                                    const StreamId& stream, Version until) {
  AggregateState state{kNoVersion, type.aggregate->initial_state()};
  if (type.snapshot_every > 0) {
    auto snap = store_.load_snapshot(stream);
    if (!snap.is_ok()) return snap.status();
    if (snap->has_value()) {
      const Snapshot& s = **snap;
      if (s.state_format != type.aggregate->state_format()) {
        spdlog::debug("ignoring snapshot of {} at version {}: state format {} != {}", stream.key(),
                      s.version, s.state_format, type.aggregate->state_format());
      } else if (s.version <= until) {  // else: past the version asked for
        state.version = s.version;
        state.state = s.state;
      }
    }
  }
  while (state.version < until) {
    // In unsigned arithmetic: until - version exceeds INT64_MAX for kLatest
    // from kNoVersion.
    const std::uint64_t left =
        static_cast<std::uint64_t>(until) - static_cast<std::uint64_t>(state.version);
    const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(kPageSize, left));
    auto page = store_.read_stream(stream, state.version + 1, wanted);
    if (!page.is_ok()) return page.status();
    if (upcasters_ != nullptr) {
      if (Status s = upcasters_->upcast(page->events); !s.is_ok()) return s;
    }
    for (const auto& event : page->events) {
      if (Status s = fold(type, state, event); !s.is_ok()) return s;
    }
    if (page->events.size() < wanted) break;
  }
  return state;
}

Status AggregateRepository::advance(const AggregateType& type, const StreamId& stream,
                                    StatePtr decided_on, const std::vector<RecordedEvent>& events) {
  const std::string key = stream.key();
  const Version before = decided_on->version;
  // Drop the cache's reference: if ours is then the last one (no reader of
  // GET /v1/aggregates holds it), nobody can reach the state any more and it
  // can change in place. Every state the cache holds was made non-const.
  // The entry stays for the put() below.
  cache_.release(key);
  std::shared_ptr<AggregateState> state;
  if (decided_on.use_count() == 1) {
    // Pairs with the release of the last other holder's reference: its reads
    // of the state happen before our writes.
    std::atomic_thread_fence(std::memory_order_acquire);
    state = std::const_pointer_cast<AggregateState>(std::move(decided_on));
  } else {
    state = std::make_shared<AggregateState>(*decided_on);
  }
  // Folded as a cold load folds them (load_at upcasts what it reads), so
  // that the cached state and a load agree even when an aggregate still
  // writes a version an upcaster upgrades.
  const bool upcasting = upcasters_ != nullptr && !upcasters_->empty();
  for (const auto& event : events) {
    Status s;
    if (upcasting) {
      RecordedEvent upcast = event;
      s = upcasters_->upcast(upcast);
      if (s.is_ok()) s = fold(type, *state, upcast);
    } else {
      s = fold(type, *state, event);
    }
    if (!s.is_ok()) return s;  // not cached
  }
  cache_.put(key, state);
  if (type.snapshot_every > 0 &&
      (state->version + 1) / type.snapshot_every > (before + 1) / type.snapshot_every) {
    Snapshot snap{stream, state->version, type.aggregate->state_format(), state->state, now_us()};
    if (Status s = store_.save_snapshot(snap); !s.is_ok()) {
      // A missing snapshot only makes the next cold load longer.
      spdlog::warn("snapshot of {} at version {} not saved: {}", stream.key(), state->version,
                   s.message());
    }
  }
  return Status::ok();
}

}  // namespace herald::gateway
