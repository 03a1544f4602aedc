// An LRU cache of hot aggregate states, so a command does not replay its
// stream. Thread-safe (one mutex: entries are small and lookups short).
// States are shared and immutable: a hit costs a reference count, not a copy
// of the state document.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "herald/aggregate.h"

namespace herald::gateway {

class StateCache {
 public:
  explicit StateCache(std::size_t capacity) : capacity_(capacity) {}

  using StatePtr = std::shared_ptr<const AggregateState>;

  // The cached state, or null.
  StatePtr get(const std::string& key);
  // Keeps the entry only if it is newer than the one held: two commands that
  // finish out of order must not put an older state back.
  void put(const std::string& key, StatePtr state);
  void evict(const std::string& key);
  std::size_t size() const;

 private:
  using Entry = std::pair<std::string, StatePtr>;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace herald::gateway
