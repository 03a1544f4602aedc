// An LRU cache of hot aggregate states, so a command does not replay its
// stream. Thread-safe: a large cache is split into shards by key, each with
// its own mutex and LRU order, so 64 HTTP workers do not queue on one lock.
// States are shared and immutable: a hit costs a reference count, not a copy
// of the state document.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "herald/aggregate.h"

namespace herald::gateway {

class StateCache {
 public:
  using StatePtr = std::shared_ptr<const AggregateState>;

  explicit StateCache(std::size_t capacity);

  // The cached state, or null.
  StatePtr get(const std::string& key);
  // Keeps the entry only if it is newer than the one held: two commands that
  // finish out of order must not put an older state back.
  void put(const std::string& key, StatePtr state);
  void evict(const std::string& key);
  // Drops the cache's reference to the key's state but keeps the entry's
  // place, which the next put() of the key fills without making an entry
  // anew (a command's advance: release, fold in place, put). get() misses
  // meanwhile. Entries made so cost a list node and a map node less each.
  void release(const std::string& key);
  // Entries that hold a state.
  std::size_t size() const;

  // Caches at least this large are sharded (smaller ones keep one exact LRU).
  static constexpr std::size_t kShardedFrom = 1024;
  static constexpr std::size_t kShards = 16;

 private:
  // One node per key: the index's own node carries the LRU links (no list
  // node and no second copy of the key beside it), so a hit touches one
  // node and its two neighbours.
  struct Slot;
  using Node = std::pair<const std::string, Slot>;  // the index's value type
  struct Slot {
    StatePtr state;  // null: released
    Node* newer = nullptr;
    Node* older = nullptr;
  };
  using Index = std::unordered_map<std::string, Slot>;
  struct Shard {
    std::size_t capacity = 0;
    mutable std::mutex mutex;
    Index index;
    Node* newest = nullptr;
    Node* oldest = nullptr;

    void unlink(Node& n);
    void push_newest(Node& n);
    void touch(Node& n);  // now the most recently used
  };

  Shard& shard_for(const std::string& key);

  std::vector<Shard> shards_;
};

}  // namespace herald::gateway
