// The event log file: opening and locking it, recovering it, appending to it.
//
// Who calls what: MemoryStore::open() calls open() once on the main thread,
// then preallocate(); after that only the LogWriter's thread calls
// write_all() and sync(), and MemoryStore::close() calls close() after that
// thread has stopped. The one lock here is between write_all() and the
// preallocation thread.
//
// Preallocation: fdatasync() of a write that makes the file longer must also
// commit the new size and block allocation to the filesystem's journal,
// which on ext4 makes it about half again as slow as one that overwrites
// blocks the file already has. So, as PostgreSQL does with its WAL
// segments, a thread (`herald-prealloc`) keeps the file filled with zeros a
// little ahead of the last record, in 1 MiB steps whose pages it writes out
// itself (sync_file_range), and records overwrite those zeros. The zeros are
// never relied on: replay stops at the first header that is not a record,
// and a zero tail ending on a step boundary is recognised as preallocated
// space. close() cuts the file back to its last record.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

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
  // record whose length runs past the end of the file, zeros where a header
  // should be, or a record whose header or payload checksum does not match
  // with no intact record anywhere after it — is cut off with a warning
  // naming the byte offset. Zeros after the last record up to a 1 MiB
  // boundary are unused preallocated space (herald stopped without
  // close()): cut off with an info line. A bad record with an intact one
  // after it fails open() with a status that names the file, both offsets
  // and the `truncate` that would keep the intact part: data is never
  // silently dropped.
  Status open(const std::string& path, spdlog::logger& logger, const RecordFn& on_record);

  // Main thread, after open(): keeps `ahead` bytes of zeros after the last
  // record (rounded up to whole steps) from now until close(); 0 keeps it
  // off. Write errors of the thread are logged once and stop it; the log's
  // own writes then meet the same error and report it.
  void preallocate(std::uint64_t ahead, std::shared_ptr<spdlog::logger> logger);

  // Writes all of `bytes` after the last record (pwrite(), no sync).
  Status write_all(std::string_view bytes);
  // fdatasync(): everything written so far is on disk when this returns ok.
  Status sync();
  void close();

  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }
  // Where the records end: during open() the file's size, then the header
  // and every record written. Preallocated zeros are not counted.
  std::uint64_t size() const { return size_; }

  // Preallocation works in steps of this many bytes, ending on multiples.
  static constexpr std::uint64_t kPreallocateStep = std::uint64_t{1} << 20;

 private:
  Status create_header(spdlog::logger& logger, bool had_partial_header);
  Status replay(spdlog::logger& logger, const RecordFn& on_record);
  Status io_error(const char* what, int err) const;
  void fill_ahead(spdlog::logger& logger);  // the preallocation thread
  void stop_preallocating();

  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;  // written by the writer thread only

  // Between write_all() and the preallocation thread.
  std::mutex extent_mu_;
  std::condition_variable extent_cv_;
  std::uint64_t allocated_ = 0;    // the file's size: records, then zeros
  std::uint64_t filling_end_ = 0;  // > allocated_ while zeros go to [allocated_, filling_end_)
  std::uint64_t records_end_ = 0;  // size_, as the preallocation thread may read it
  std::uint64_t ahead_ = 0;
  bool stop_filling_ = false;
  std::thread filler_;
};

}  // namespace herald::plugins::memory
