#include "arena.h"

#include <cstring>

namespace herald::plugins::memory {
namespace {

// 1 MiB: a few thousand small appends a chunk; an allocation this large is
// mmap()ed by glibc and its pages are touched only as they fill.
constexpr std::size_t kChunk = std::size_t{1} << 20;
// Larger copies get a chunk of their own rather than wasting the rest of
// the current one.
constexpr std::size_t kOwnChunkAbove = kChunk / 4;

}  // namespace

char* Arena::take(std::size_t size, std::size_t align) {
  if (size > kOwnChunkAbove) {
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    reserved_ += size;
    return chunks_.back().get();  // new[] aligns for any fundamental type
  }
  const std::size_t pad = (align - reinterpret_cast<std::uintptr_t>(next_) % align) % align;
  if (next_ == nullptr || pad + size > left_) {
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunk));
    reserved_ += kChunk;
    next_ = chunks_.back().get();
    left_ = kChunk;
    return take(size, align);
  }
  char* at = next_ + pad;
  next_ = at + size;
  left_ -= pad + size;
  return at;
}

std::string_view Arena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  char* at = take(bytes.size(), 1);
  std::memcpy(at, bytes.data(), bytes.size());
  return {at, bytes.size()};
}

std::span<const std::uint32_t> Arena::copy(std::span<const std::uint32_t> values) {
  if (values.empty()) return {};
  auto* at = reinterpret_cast<std::uint32_t*>(take(values.size_bytes(), alignof(std::uint32_t)));
  std::memcpy(at, values.data(), values.size_bytes());
  return {at, values.size()};
}

}  // namespace herald::plugins::memory
