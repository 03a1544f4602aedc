#include "id_index.h"

#include <bit>

namespace herald::plugins::memory {
namespace {

constexpr std::size_t kMinSlots = 1024;

}  // namespace

void IdIndex::reserve(std::size_t count) {
  std::size_t need = kMinSlots;
  while (too_full(count, need)) need *= 2;
  if (need > slots_.size()) grow(need);
}

void IdIndex::grow(std::size_t min_slots) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(std::bit_ceil(std::max(min_slots, kMinSlots)), Slot{});
  for (const Slot& s : old) {
    if (s.position == 0) continue;
    std::size_t i = home(s.hash);
    while (slots_[i].position != 0) i = next(i);
    slots_[i] = s;
  }
}

void IdIndex::erase(std::string_view id, Position position) {
  if (slots_.empty()) return;
  const std::size_t mask = slots_.size() - 1;
  const std::uint64_t h = hash_of(id);
  std::size_t i = home(h);
  for (;; i = (i + 1) & mask) {
    if (slots_[i].position == 0) return;
    if (slots_[i].hash == h && slots_[i].position == position) break;
  }
  // Backward-shift deletion: move later members of the probe run into the
  // hole so that lookups never stop early at it (no tombstones needed).
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask; slots_[j].position != 0; j = (j + 1) & mask) {
    const std::size_t want = home(slots_[j].hash);
    // Does j's home lie cyclically outside (hole, j]? Then it may move back.
    const bool movable = hole <= j ? (want <= hole || want > j) : (want <= hole && want > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

}  // namespace herald::plugins::memory
