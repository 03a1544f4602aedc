// Identifiers the gateway makes: command, event and correlation ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::gateway {

// A random (version 4) UUID, lower-case with dashes. Thread-safe; each thread
// has its own generator seeded from std::random_device.
std::string make_uuid();

// FNV-1a, 64 bits: a hash that is the same in every process and build, for
// values that are stored (idempotency fingerprints).
std::uint64_t stable_hash(std::string_view bytes);

}  // namespace herald::gateway
