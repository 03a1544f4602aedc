// CRC-32C (Castagnoli), the checksum of every record in the event log.
//
// Pure functions, safe from any thread. Uses the CPU's crc32 instruction
// when there is one (SSE4.2), else a table-driven slicing-by-8 version;
// both give the same result.
#pragma once

#include <cstddef>
#include <cstdint>

namespace herald::plugins::memory {

// Extends `crc` (0 to start) over `size` bytes. crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

// The table-driven version alone, for tests that compare the two.
std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace herald::plugins::memory
