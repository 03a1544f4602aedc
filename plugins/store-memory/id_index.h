// IdIndex: event id -> global position, for every event the store holds.
//
// An open-addressing table of (64-bit hash, position) slots with linear
// probing. It keeps no copy of the ids: on a hash match the caller's
// resolver returns the id stored at that position, which is compared. Per
// event that is 16 bytes and one cache miss per probe, where a
// std::unordered_map<std::string_view, Position> costs a heap node, ~60
// bytes and two or three misses; this index is on the writer thread's path
// for every append and on replay's path for every event.
//
// Not thread-safe; StoreState's owner guards it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "herald/event.h"

namespace herald::plugins::memory {

class IdIndex {
 public:
  std::size_t size() const { return size_; }
  // Makes room for `count` ids without growing.
  void reserve(std::size_t count);

  // `resolve(position)` returns the id of the event at a position this
  // index holds (a template, not a std::function: it runs on every hit).

  // The position stored for `id`, or 0.
  template <typename Resolve>
  Position find(std::string_view id, const Resolve& resolve) const {
    if (slots_.empty()) return 0;
    const std::uint64_t h = hash_of(id);
    for (std::size_t i = home(h);; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.position == 0) return 0;
      if (s.hash == h && resolve(s.position) == id) return s.position;
    }
  }

  // Stores id -> position unless the id is held; returns the position held
  // then (0 when it inserted).
  template <typename Resolve>
  Position insert(std::string_view id, Position position, const Resolve& resolve) {
    if (slots_.empty() || too_full(size_ + 1, slots_.size())) grow(slots_.size() * 2);
    const std::uint64_t h = hash_of(id);
    std::size_t i = home(h);
    for (; slots_[i].position != 0; i = next(i)) {
      if (slots_[i].hash == h && resolve(slots_[i].position) == id) return slots_[i].position;
    }
    slots_[i] = Slot{h, position};
    ++size_;
    return 0;
  }

  // Removes `id` if it maps to `position`.
  void erase(std::string_view id, Position position);

 private:
  struct Slot {
    std::uint64_t hash = 0;
    Position position = 0;  // 0: empty (positions start at 1)
  };

  static std::uint64_t hash_of(std::string_view id) { return std::hash<std::string_view>{}(id); }
  // Keeps probe runs short (a successful lookup probes < 2 slots on average).
  static bool too_full(std::size_t size, std::size_t slots) { return size * 10 >= slots * 7; }
  std::size_t home(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void grow(std::size_t min_slots);

  std::vector<Slot> slots_;  // a power of two in size, at most 70% full
  std::size_t size_ = 0;
};

}  // namespace herald::plugins::memory
