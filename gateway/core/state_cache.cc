#include "core/state_cache.h"

#include <functional>
#include <utility>

namespace herald::gateway {

StateCache::StateCache(std::size_t capacity)
    : shards_(capacity >= kShardedFrom ? kShards : 1) {
  for (auto& s : shards_) s.capacity = (capacity + shards_.size() - 1) / shards_.size();
}

StateCache::Shard& StateCache::shard_for(const std::string& key) {
  if (shards_.size() == 1) return shards_.front();
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

StateCache::StatePtr StateCache::get(const std::string& key) {
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end() || !it->second->second) return nullptr;
  s.order.splice(s.order.begin(), s.order, it->second);
  return it->second->second;
}

void StateCache::put(const std::string& key, StatePtr state) {
  Shard& s = shard_for(key);
  if (s.capacity == 0 || !state) return;
  StatePtr replaced;  // released after the lock
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it != s.index.end()) {
    const StatePtr& held = it->second->second;
    if (held && held->version > state->version) return;
    replaced = std::exchange(it->second->second, std::move(state));
    s.order.splice(s.order.begin(), s.order, it->second);
    return;
  }
  s.order.emplace_front(key, std::move(state));
  s.index.emplace(key, s.order.begin());
  if (s.order.size() > s.capacity) {
    s.index.erase(s.order.back().first);
    replaced = std::move(s.order.back().second);
    s.order.pop_back();
  }
}

void StateCache::evict(const std::string& key) {
  Shard& s = shard_for(key);
  StatePtr dropped;  // released after the lock
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end()) return;
  dropped = std::move(it->second->second);
  s.order.erase(it->second);
  s.index.erase(it);
}

void StateCache::release(const std::string& key) {
  Shard& s = shard_for(key);
  StatePtr dropped;  // released after the lock
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it != s.index.end()) dropped = std::move(it->second->second);
}

std::size_t StateCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const Entry& e : s.order) n += e.second ? 1 : 0;
  }
  return n;
}

}  // namespace herald::gateway
