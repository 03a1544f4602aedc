#include "core/state_cache.h"

namespace herald::gateway {

std::optional<AggregateState> StateCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void StateCache::put(const std::string& key, const AggregateState& state) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    if (it->second->second.version > state.version) return;
    it->second->second = state;
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  order_.emplace_front(key, state);
  index_.emplace(key, order_.begin());
  if (order_.size() > capacity_) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
}

void StateCache::evict(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

std::size_t StateCache::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

}  // namespace herald::gateway
