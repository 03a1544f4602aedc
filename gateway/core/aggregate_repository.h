// Loads aggregate states: the latest snapshot plus the events after it, or a
// hot state from the LRU cache. Called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/state_cache.h"
#include "core/upcasting.h"
#include "herald/aggregate.h"
#include "herald/store.h"

namespace herald::gateway {

// Checks a command's data; returns every error in words for users (empty: ok).
using DataValidator = std::function<std::vector<std::string>(const Json& data)>;

struct CommandEntry {
  CommandSpec spec;
  DataValidator validate;  // may be empty: no schema
};

// One configured aggregate type and the plugin object behind it.
struct AggregateType {
  std::string type;
  std::shared_ptr<Aggregate> aggregate;
  std::int64_t snapshot_every = 0;
  std::map<std::string, CommandEntry> commands;
  // Event data checks from Aggregate::events(), by event type.
  std::map<std::string, DataValidator> event_validators;
};

class AggregateRepository {
 public:
  // `upcasters` may be null (none); it must outlive the repository.
  AggregateRepository(EventStore& store, std::size_t cache_size, const UpcasterChain* upcasters = nullptr);

  using StatePtr = StateCache::StatePtr;

  // The current state, shared with the cache: never modified. `fresh` skips
  // the cache (after a conflict). Errors: the store's status, or kFailed when
  // the aggregate cannot fold an event.
  Result<StatePtr> load(const AggregateType& type, const StreamId& stream, bool fresh = false);

  // Folds events just appended onto `decided_on` (the state they were
  // decided on), caches the result and saves a snapshot when the stream
  // crossed a multiple of snapshot_every. The caller must hold the stream's
  // turn (CommandRouter): then, once the cache lets go of the state, nobody
  // else can reach it, and it is folded in place instead of copied.
  Status advance(const AggregateType& type, const StreamId& stream, StatePtr decided_on,
                 const std::vector<RecordedEvent>& events);

  // The state as it was at `version` (folded from the start, or from a
  // snapshot at or before it; never cached): for looking back, not for
  // deciding. A stream shorter than that gives its latest state, whose
  // version says so; kLatest asks for that.
  static constexpr Version kLatest = INT64_MAX;
  Result<AggregateState> load_at(const AggregateType& type, const StreamId& stream,
                                 Version version);

  void forget(const StreamId& stream) { cache_.evict(stream.key()); }

  static constexpr std::size_t kPageSize = 4096;

 private:
  Status fold(const AggregateType& type, AggregateState& state, const RecordedEvent& event);

  EventStore& store_;
  const UpcasterChain* upcasters_;
  StateCache cache_;
};

}  // namespace herald::gateway
