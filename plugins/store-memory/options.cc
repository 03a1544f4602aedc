#include "options.h"

namespace herald::plugins::memory {

ConfigSchema config_schema() {
  return {
      opt::string("path",
                  "The append-only event log file, replayed at start. Its folder is created if "
                  "missing. An empty string keeps events in memory only: nothing survives a "
                  "restart.")
          .def("./data/events.log"),
      opt::choice("fsync", {"always", "batch", "never"},
                  "When an append is acknowledged. batch: concurrent appends share one "
                  "fdatasync (group commit) and each returns once its events are on disk. "
                  "always: one fdatasync per append, no sharing. never: after write(), no "
                  "fdatasync; survives a crash of herald but not of the machine.")
          .def("batch"),
      opt::integer("max_record_bytes",
                   "Largest encoded append (all of its events) or snapshot the store accepts; "
                   "larger ones fail with a message. Bounds the memory one request can take.")
          .def(16 * 1024 * 1024)
          .min(1024)
          .max(1024.0 * 1024 * 1024),
      opt::integer("sync_timeout_ms",
                   "How long a call waits for its record to reach the disk before it answers "
                   "`retry` (the gateway then answers 503). The write may still complete; a "
                   "retry with the same idempotency key or event ids is safe.")
          .def(30000)
          .min(1)
          .max(3600000),  // an hour; far more overflowed the deadline (now + timeout)
      opt::integer("preallocate_mib",
                   "How far ahead of the last record the log file is kept filled with zeros, in "
                   "MiB (fsync always and batch). An fdatasync that overwrites zeros the file "
                   "already has skips the journal commit that growing the file needs (on ext4 "
                   "it took 56 instead of 85 µs). The zeros are cut off at a clean stop. 0 turns "
                   "it off: do so on copy-on-write filesystems (btrfs, ZFS), where it gains "
                   "nothing.")
          .def(4)
          .min(0)
          .max(1024),
  };
}

MemoryStoreOptions options_from_config(const Json& config) {
  MemoryStoreOptions o;
  if (!config.is_object()) return o;
  o.path = config.value("path", o.path);
  std::string fsync = config.value("fsync", std::string("batch"));
  if (fsync == "always") {
    o.fsync = FsyncMode::kAlways;
  } else if (fsync == "batch") {
    o.fsync = FsyncMode::kBatch;
  } else if (fsync == "never") {
    o.fsync = FsyncMode::kNever;
  } else {
    throw ConfigError("fsync", "fsync must be always, batch or never, not '" + fsync + "'");
  }
  o.max_record_bytes = config.value("max_record_bytes", o.max_record_bytes);
  o.sync_timeout =
      std::chrono::milliseconds(config.value("sync_timeout_ms", o.sync_timeout.count()));
  o.preallocate_bytes = config.value("preallocate_mib", o.preallocate_bytes >> 20) << 20;
  return o;
}

}  // namespace herald::plugins::memory
