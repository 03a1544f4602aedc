#include "log_file.h"

#include <fcntl.h>
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
  if (size_ < kFileHeaderSize) {
    // Nothing or part of a header: a file created by a start that stopped
    // before its header reached the disk. Anything else is not ours.
    unsigned char head[kFileHeaderSize] = {};
    std::string expected = encode_file_header();
    if (size_ > 0 && ::pread(fd_, head, size_, 0) != static_cast<ssize_t>(size_)) {
      return io_error("cannot read", errno);
    }
    bool ours = all_zero(head, size_) || std::memcmp(head, expected.data(), size_) == 0;
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
  if (::lseek(fd_, 0, SEEK_END) < 0) return io_error("cannot seek in", errno);
  return Status::ok();
}

Status LogFile::create_header(spdlog::logger& logger, bool had_partial_header) {
  if (had_partial_header) {
    logger.warn("event log {}: only {} bytes of its file header were written; rewriting the header",
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
  std::string torn;  // why the tail from `offset` is an unfinished write
  auto damaged = [&](const std::string& why) {
    std::uint64_t after = size - offset;
    return Status::failed(
        "event log " + path_ + " is damaged at byte " + std::to_string(offset) + ": " + why +
        ", and " + std::to_string(after) +
        " bytes follow, so this is not an unfinished write at the end of the file. herald does "
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
        torn = std::to_string(remaining) + " zero bytes where a record should start";
        break;
      }
      return damaged("the record header's checksum does not match");
    }
    const std::uint64_t end = offset + kRecordHeaderSize + header.length;
    if (end > size) {
      torn =
          "a record of " + std::to_string(header.length) + " bytes runs past the end of the file";
      break;
    }
    std::string_view payload(reinterpret_cast<const char*>(at + kRecordHeaderSize), header.length);
    if (crc32c(payload.data(), payload.size()) != header.payload_crc) {
      if (end == size) {
        torn = "the last record's checksum does not match";
        break;
      }
      return damaged("the record's checksum does not match");
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

  if (!torn.empty()) {
    logger.warn(
        "event log {}: torn tail at byte {}: {}. This is a write that had not finished when herald "
        "last stopped; truncating the file from {} to {} bytes",
        path_, offset, torn, size, offset);
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      return io_error("cannot truncate", errno);
    }
    if (::fdatasync(fd_) != 0) return io_error("cannot sync", errno);
  }
  size_ = offset;
  return Status::ok();
}

Status LogFile::write_all(std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write to", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
  return Status::ok();
}

Status LogFile::sync() {
  if (::fdatasync(fd_) != 0) return io_error("cannot fdatasync", errno);
  return Status::ok();
}

void LogFile::close() {
  if (fd_ >= 0) {
    ::close(fd_);  // also releases the flock
    fd_ = -1;
  }
}

}  // namespace herald::plugins::memory
