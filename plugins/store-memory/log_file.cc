#include "log_file.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crc32c.h"

namespace herald::plugins::memory {
namespace {

bool all_zero(const unsigned char* p, std::size_t n) {
  return std::all_of(p, p + n, [](unsigned char c) { return c == 0; });
}

// A new file's directory entry is only durable once the folder is synced.
void sync_parent_folder(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  ::fsync(dir);
  ::close(dir);
}

// The offset of the first intact record (header and payload checksums
// match) that starts at or after `from`; 0 if there is none.
std::uint64_t next_intact_record(const unsigned char* data, std::uint64_t from,
                                 std::uint64_t size) {
  for (std::uint64_t o = from; o + kRecordHeaderSize <= size; ++o) {
    const unsigned char* p = data + o;
    // A known type byte and three zero bytes first: cheap, and false on zeros.
    if (!is_known(p[4]) || p[5] != 0 || p[6] != 0 || p[7] != 0) continue;
    RecordHeader header;
    if (!parse_record_header(p, header)) continue;
    if (header.length > size - o - kRecordHeaderSize) continue;
    if (crc32c(p + kRecordHeaderSize, header.length) != header.payload_crc) continue;
    return o;
  }
  return 0;
}

class Mapping {
 public:
  Mapping(int fd, std::size_t size) : size_(size) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<const unsigned char*>(p);
      ::madvise(p, size, MADV_SEQUENTIAL);
    }
  }
  ~Mapping() {
    if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  const unsigned char* data() const { return data_; }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_;
};

}  // namespace

LogFile::~LogFile() {
  close();
}

Status LogFile::io_error(const char* what, int err) const {
  return Status::failed(std::string(what) + " event log " + path_ + ": " + std::strerror(err));
}

Status LogFile::open(const std::string& path, spdlog::logger& logger, const RecordFn& on_record) {
  close();
  path_ = path;
  allocated_ = records_end_ = 0;
  filling_end_ = 0;
  ahead_ = 0;
  stop_filling_ = false;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("cannot open", errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close();
    if (err == EWOULDBLOCK) {
      return Status::failed("event log " + path +
                            " is in use by another process (is another herald running with the "
                            "same store path?)");
    }
    return io_error("cannot lock", err);
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return io_error("cannot stat", errno);
  if (!S_ISREG(st.st_mode)) {
    close();
    return Status::failed("event log " + path + " is not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);

  Status status;
  unsigned char head[kFileHeaderSize] = {};
  const auto have = static_cast<std::size_t>(std::min<std::uint64_t>(size_, kFileHeaderSize));
  if (have > 0 && ::pread(fd_, head, have, 0) != static_cast<ssize_t>(have)) {
    return io_error("cannot read", errno);
  }
  // A file of a header's size that holds only zeros: its size reached the
  // disk and its bytes did not (a crash in the first start, before the
  // header's fdatasync). It never held a record.
  if (size_ < kFileHeaderSize || (size_ == kFileHeaderSize && all_zero(head, have))) {
    // Nothing or part of a header: a file created by a start that stopped
    // before its header reached the disk. Anything else is not ours.
    std::string expected = encode_file_header();
    bool ours = all_zero(head, have) || std::memcmp(head, expected.data(), have) == 0;
    if (!ours) {
      close();
      return Status::failed(
          "event log " + path + " is not a herald event log (it has " + std::to_string(st.st_size) +
          " bytes that are not a log header); move it away or choose another path");
    }
    status = create_header(logger, size_ > 0);
  } else {
    status = replay(logger, on_record);
  }
  if (!status.is_ok()) {
    close();
    return status;
  }
  allocated_ = records_end_ = size_;
  return Status::ok();
}

Status LogFile::create_header(spdlog::logger& logger, bool had_partial_header) {
  if (had_partial_header) {
    logger.warn(
        "event log {}: its file header did not reach the disk whole ({} bytes of it, or zeros); "
        "rewriting the header",
        path_, size_);
  }
  if (::ftruncate(fd_, 0) != 0) return io_error("cannot truncate", errno);
  size_ = 0;
  std::string header = encode_file_header();
  if (::pwrite(fd_, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    return io_error("cannot write the header of", errno);
  }
  if (::fdatasync(fd_) != 0) return io_error("cannot sync", errno);
  sync_parent_folder(path_);
  size_ = header.size();
  return Status::ok();
}

Status LogFile::replay(spdlog::logger& logger, const RecordFn& on_record) {
  const std::uint64_t size = size_;
  Mapping map(fd_, size);
  const unsigned char* data = map.data();
  if (data == nullptr) return io_error("cannot map", errno);

  std::string why_not = check_file_header(data);
  if (!why_not.empty()) {
    return Status::failed("event log " + path_ + " cannot be read: " + why_not);
  }

  std::uint64_t offset = kFileHeaderSize;
  std::string torn;           // why the tail from `offset` is an unfinished write
  bool preallocated = false;  // the tail from `offset` is unused preallocated zeros
  // A bad record with an intact one after it is damage; without one, it is
  // the unfinished write that ended the file (pages of one write reach the
  // disk in any order, and preallocated zeros may follow).
  auto damaged = [&](const std::string& why, std::uint64_t intact) {
    return Status::failed(
        "event log " + path_ + " is damaged at byte " + std::to_string(offset) + ": " + why +
        ", and an intact record follows at byte " + std::to_string(intact) +
        ", so this is not an unfinished write at the end of the file. herald does "
        "not start on a damaged log, so that nothing after the damage is silently dropped. "
        "Restore the file from a backup, or keep the intact part with `truncate -s " +
        std::to_string(offset) + " " + path_ + "` (this discards every record from byte " +
        std::to_string(offset) + " on)");
  };

  while (offset < size) {
    const std::uint64_t remaining = size - offset;
    const unsigned char* at = data + offset;
    if (remaining < kRecordHeaderSize) {
      torn = "a partial record header (" + std::to_string(remaining) + " bytes)";
      break;
    }
    RecordHeader header;
    if (!parse_record_header(at, header)) {
      if (all_zero(at, remaining)) {
        // Preallocation ends its steps on multiples of kPreallocateStep.
        preallocated = size % kPreallocateStep == 0;
        torn = std::to_string(remaining) + " zero bytes where a record should start";
        break;
      }
      if (auto intact = next_intact_record(data, offset + 1, size)) {
        return damaged("the record header's checksum does not match", intact);
      }
      torn = "a record header that does not check out, and no intact record after it";
      break;
    }
    const std::uint64_t end = offset + kRecordHeaderSize + header.length;
    if (end > size) {
      torn =
          "a record of " + std::to_string(header.length) + " bytes runs past the end of the file";
      break;
    }
    std::string_view payload(reinterpret_cast<const char*>(at + kRecordHeaderSize), header.length);
    if (crc32c(payload.data(), payload.size()) != header.payload_crc) {
      if (auto intact = next_intact_record(data, end, size)) {
        return damaged("the record's checksum does not match", intact);
      }
      torn = "the last record's checksum does not match";
      break;
    }
    if (!is_known(header.type)) {
      return Status::failed("event log " + path_ + " has a record of unknown type " +
                            std::to_string(header.type) + " at byte " + std::to_string(offset) +
                            " (was it written by a newer herald?)");
    }
    Status s = on_record(header, payload, offset);
    if (!s.is_ok()) return s;
    offset = end;
  }

  if (preallocated) {
    logger.info(
        "event log {}: {} bytes of preallocated zeros after the last record (herald did not stop "
        "cleanly); truncating the file from {} to {} bytes",
        path_, size - offset, size, offset);
  } else if (!torn.empty()) {
    logger.warn(
        "event log {}: torn tail at byte {}: {}. This is a write that had not finished when herald "
        "last stopped; truncating the file from {} to {} bytes",
        path_, offset, torn, size, offset);
  }
  if (!torn.empty()) {
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      return io_error("cannot truncate", errno);
    }
    if (::fdatasync(fd_) != 0) return io_error("cannot sync", errno);
  }
  size_ = offset;
  return Status::ok();
}

Status LogFile::write_all(std::string_view bytes) {
  const std::uint64_t end = size_ + bytes.size();
  bool low = false;
  {
    std::unique_lock lock(extent_mu_);
    // Never where zeros are being written right now (only when the records
    // catch up with the preallocation: a burst faster than the disk).
    extent_cv_.wait(lock, [&] { return filling_end_ <= allocated_ || end <= allocated_; });
    allocated_ = std::max(allocated_, end);
    records_end_ = end;
    low = ahead_ > 0 && allocated_ - end < ahead_ / 2;
  }
  if (low) extent_cv_.notify_all();

  const char* p = bytes.data();
  std::size_t left = bytes.size();
  std::uint64_t at = size_;
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write to", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    at += static_cast<std::uint64_t>(n);
  }
  size_ = end;
  return Status::ok();
}

void LogFile::preallocate(std::uint64_t ahead, std::shared_ptr<spdlog::logger> logger) {
  if (fd_ < 0 || ahead == 0 || filler_.joinable()) return;
  {
    std::lock_guard lock(extent_mu_);
    ahead_ = (ahead + kPreallocateStep - 1) / kPreallocateStep * kPreallocateStep;
  }
  filler_ = std::thread([this, logger = std::move(logger)] {
    ::pthread_setname_np(::pthread_self(), "herald-prealloc");
    fill_ahead(*logger);
  });
}

void LogFile::fill_ahead(spdlog::logger& logger) {
  static const std::string zeros(kPreallocateStep, '\0');
  std::unique_lock lock(extent_mu_);
  for (;;) {
    // Refill once half the zeros are used, up to all of them: a few big
    // fills rather than one per record.
    extent_cv_.wait(lock, [&] { return stop_filling_ || allocated_ - records_end_ < ahead_ / 2; });
    while (!stop_filling_ && allocated_ - records_end_ < ahead_) {
      const std::uint64_t from = allocated_;
      const std::uint64_t to = (from / kPreallocateStep + 1) * kPreallocateStep;
      filling_end_ = to;
      lock.unlock();
      int err = 0;
      for (std::uint64_t at = from; at < to && err == 0;) {
        ssize_t n = ::pwrite(fd_, zeros.data(), to - at, static_cast<off_t>(at));
        if (n < 0 && errno != EINTR) err = errno;
        if (n == 0) err = EIO;  // a regular file never writes nothing; do not spin
        if (n > 0) at += static_cast<std::uint64_t>(n);
      }
      // Out to the disk now, so that the log's next fdatasync() does not
      // have to write them (it still commits the new size, once per step).
      if (err == 0 &&
          ::sync_file_range(fd_, static_cast<off_t>(from), static_cast<off_t>(to - from),
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
        err = errno;
      }
      lock.lock();
      filling_end_ = 0;
      if (err == 0) allocated_ = std::max(allocated_, to);
      extent_cv_.notify_all();
      if (err != 0) {
        logger.warn(
            "event log {}: cannot preallocate space at byte {}: {}; records are written "
            "without preallocation from here on",
            path_, from, std::strerror(err));
        return;
      }
    }
    if (stop_filling_) return;
  }
}

void LogFile::stop_preallocating() {
  if (!filler_.joinable()) return;
  {
    std::lock_guard lock(extent_mu_);
    stop_filling_ = true;
  }
  extent_cv_.notify_all();
  filler_.join();
}

Status LogFile::sync() {
  if (::fdatasync(fd_) != 0) return io_error("cannot fdatasync", errno);
  return Status::ok();
}

void LogFile::close() {
  stop_preallocating();
  if (fd_ >= 0) {
    // Leaves exactly the records: the zeros ahead were only for speed.
    if (allocated_ > size_ && ::ftruncate(fd_, static_cast<off_t>(size_)) == 0) ::fdatasync(fd_);
    allocated_ = records_end_ = 0;
    ::close(fd_);  // also releases the flock
    fd_ = -1;
  }
}

}  // namespace herald::plugins::memory
