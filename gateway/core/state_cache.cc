#include "core/state_cache.h"

#include <functional>
#include <utility>

namespace herald::gateway {

StateCache::StateCache(std::size_t capacity)
    : shards_(capacity >= kShardedFrom ? kShards : 1) {
  for (auto& s : shards_) s.capacity = (capacity + shards_.size() - 1) / shards_.size();
}

void StateCache::Shard::unlink(Node& n) {
  Slot& slot = n.second;
  (slot.newer ? slot.newer->second.older : newest) = slot.older;
  (slot.older ? slot.older->second.newer : oldest) = slot.newer;
  slot.newer = slot.older = nullptr;
}

void StateCache::Shard::push_newest(Node& n) {
  n.second.older = newest;
  n.second.newer = nullptr;
  (newest ? newest->second.newer : oldest) = &n;
  newest = &n;
}

void StateCache::Shard::touch(Node& n) {
  if (newest == &n) return;
  unlink(n);
  push_newest(n);
}

StateCache::Shard& StateCache::shard_for(const std::string& key) {
  if (shards_.size() == 1) return shards_.front();
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

StateCache::StatePtr StateCache::get(const std::string& key) {
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end() || !it->second.state) return nullptr;
  s.touch(*it);
  return it->second.state;
}

void StateCache::put(const std::string& key, StatePtr state) {
  Shard& s = shard_for(key);
  if (s.capacity == 0 || !state) return;
  StatePtr replaced;  // released after the lock
  std::lock_guard lock(s.mutex);
  auto [it, made] = s.index.try_emplace(key);
  Slot& slot = it->second;
  if (!made) {
    if (slot.state && slot.state->version > state->version) return;
    replaced = std::exchange(slot.state, std::move(state));
    s.touch(*it);
    return;
  }
  slot.state = std::move(state);
  s.push_newest(*it);
  if (s.index.size() > s.capacity) {
    Node& oldest = *s.oldest;
    s.unlink(oldest);
    replaced = std::move(oldest.second.state);
    s.index.erase(oldest.first);
  }
}

void StateCache::evict(const std::string& key) {
  Shard& s = shard_for(key);
  StatePtr dropped;  // released after the lock
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end()) return;
  dropped = std::move(it->second.state);
  s.unlink(*it);
  s.index.erase(it);
}

void StateCache::release(const std::string& key) {
  Shard& s = shard_for(key);
  StatePtr dropped;  // released after the lock
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it != s.index.end()) dropped = std::move(it->second.state);
}

std::size_t StateCache::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const Node& e : s.index) n += e.second.state ? 1 : 0;
  }
  return n;
}

}  // namespace herald::gateway
