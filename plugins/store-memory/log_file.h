// The event log file: opening and locking it, recovering it, appending to it.
//
// Who calls what: MemoryStore::open() calls open() once on the main thread;
// after that only the LogWriter's thread calls write_all() and sync(), and
// MemoryStore::close() calls close() after that thread has stopped. So no
// call here needs a lock.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "herald/status.h"
#include "log_format.h"

namespace spdlog {
class logger;
}

namespace herald::plugins::memory {

class LogFile {
 public:
  // Called for each intact record of a known type, in file order, while
  // open() replays the file. `offset` is where the record starts. A non-ok
  // status stops open() with that status.
  using RecordFn = std::function<Status(const RecordHeader& header, std::string_view payload,
                                        std::uint64_t offset)>;

  LogFile() = default;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile();

  // Opens or creates `path` (the folder must exist), takes an exclusive
  // lock on it so that a second process cannot write the same log, and
  // replays every record through `on_record`.
  //
  // A torn tail — an unfinished last write: a partial record header, a
  // record whose length runs past the end of the file, a bad checksum on the
  // very last record, or zeros where a header should be — is cut off with a
  // warning naming the byte offset. Any other damage fails with a status
  // that names the file and the offset: data is never silently dropped.
  Status open(const std::string& path, spdlog::logger& logger, const RecordFn& on_record);

  // Appends all of `bytes` at the end of the file (write(), no sync).
  Status write_all(std::string_view bytes);
  // fdatasync(): everything written so far is on disk when this returns ok.
  Status sync();
  void close();

  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }
  // The file's size: during open() the size found, then all bytes written.
  std::uint64_t size() const { return size_; }

 private:
  Status create_header(spdlog::logger& logger, bool had_partial_header);
  Status replay(spdlog::logger& logger, const RecordFn& on_record);
  Status io_error(const char* what, int err) const;

  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
};

}  // namespace herald::plugins::memory
