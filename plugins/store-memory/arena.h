// Arena: where the store keeps the bytes of every append for good. Copies
// land back to back in large chunks, so keeping an append costs no heap
// allocation of its own (and no malloc header), and the memory is never
// given back before the store goes: StoreState's batches live that long.
//
// Not thread-safe: StoreState's owner guards it (the sequencer and replay
// add to it, under the store's lock). What it returns stays valid and
// unchanged until the arena is destroyed, so readers may use it after
// letting go of the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::plugins::memory {

class Arena {
 public:
  Arena() = default;
  Arena(Arena&& other) noexcept { *this = std::move(other); }
  Arena& operator=(Arena&& other) noexcept {
    chunks_ = std::move(other.chunks_);
    other.chunks_.clear();
    next_ = std::exchange(other.next_, nullptr);
    left_ = std::exchange(other.left_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    return *this;
  }

  std::string_view copy(std::string_view bytes);
  std::span<const std::uint32_t> copy(std::span<const std::uint32_t> values);

  // Bytes taken from the system, for diagnostics.
  std::size_t reserved() const { return reserved_; }

 private:
  // `size` bytes aligned for `align`.
  char* take(std::size_t size, std::size_t align);

  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
  std::size_t reserved_ = 0;
};

}  // namespace herald::plugins::memory
