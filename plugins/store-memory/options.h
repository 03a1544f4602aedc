// The memory store's options: its config schema (the one table the
// gateway's checks, defaults and `herald plugins describe memory` come from)
// and the typed options the factory makes from a checked config.
//
// Main thread, at start-up only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "herald/config_schema.h"
#include "log_writer.h"

namespace herald::plugins::memory {

struct MemoryStoreOptions {
  // The log file; empty keeps everything in memory only.
  std::string path = "./data/events.log";
  FsyncMode fsync = FsyncMode::kBatch;
  // Largest record (one append's events, or one snapshot) accepted.
  std::size_t max_record_bytes = std::size_t{16} << 20;
  // How long a call waits for its record to reach the disk before kRetry.
  std::chrono::milliseconds sync_timeout{30000};
  // Zeros kept ahead of the last record so that fdatasync() overwrites
  // rather than extends the file (fsync always and batch only); 0: off.
  std::uint64_t preallocate_bytes = std::uint64_t{4} << 20;
};

ConfigSchema config_schema();

// From a config checked against config_schema(); missing keys take their
// defaults. Throws ConfigError for values the schema cannot rule out.
MemoryStoreOptions options_from_config(const Json& config);

}  // namespace herald::plugins::memory
