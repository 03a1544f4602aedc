#include "core/state_cache.h"

#include <utility>

namespace herald::gateway {

StateCache::StatePtr StateCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void StateCache::put(const std::string& key, StatePtr state) {
  if (capacity_ == 0 || !state) return;
  StatePtr replaced;  // released after the lock
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    if (it->second->second->version > state->version) return;
    replaced = std::exchange(it->second->second, std::move(state));
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  order_.emplace_front(key, std::move(state));
  index_.emplace(key, order_.begin());
  if (order_.size() > capacity_) {
    index_.erase(order_.back().first);
    replaced = std::move(order_.back().second);
    order_.pop_back();
  }
}

void StateCache::evict(const std::string& key) {
  StatePtr dropped;  // released after the lock
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return;
  dropped = std::move(it->second->second);
  order_.erase(it->second);
  index_.erase(it);
}

std::size_t StateCache::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

}  // namespace herald::gateway
