// CRC-32C (Castagnoli), the checksum of every record in the event log.
//
// Pure function, safe from any thread. Table-driven (slicing-by-8) so it
// needs no CPU feature checks; it runs at well over a gigabyte a second,
// far faster than the disk it guards.
#pragma once

#include <cstddef>
#include <cstdint>

namespace herald::plugins::memory {

// Extends `crc` (0 to start) over `size` bytes. crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace herald::plugins::memory
