// Helpers shared by the memory store's tests: temporary folders, events,
// requests and a logger whose output a test can read.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "herald/store.h"
#include "memory_store.h"

namespace herald::plugins::memory::testing {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::temp_directory_path() / "herald-memory-store-XXXXXX";
    char* made = ::mkdtemp(base.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A logger that keeps what it logs, so a test can check a warning was given.
class CapturedLog {
 public:
  CapturedLog() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    logger_ = std::make_shared<spdlog::logger>("memory-store-test", sink);
    logger_->set_level(spdlog::level::debug);
    logger_->flush_on(spdlog::level::trace);
  }
  std::shared_ptr<spdlog::logger> logger() const { return logger_; }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

inline std::string next_id() {
  static std::atomic<std::uint64_t> counter{0};
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(++counter));
  return buf;
}

inline NewEvent event(std::string type, Json data = Json::object()) {
  NewEvent e;
  e.id = next_id();
  e.type = std::move(type);
  e.data = std::move(data);
  e.metadata.correlation_id = "corr-1";
  e.metadata.source = "test";
  return e;
}

inline AppendRequest request(StreamId stream, ExpectedVersion expected,
                             std::vector<NewEvent> events) {
  AppendRequest r;
  r.stream = std::move(stream);
  r.expected = expected;
  r.events = std::move(events);
  return r;
}

inline StreamId user(std::string id) {
  return {"User", std::move(id)};
}

inline MemoryStoreOptions options(const std::string& path, FsyncMode fsync = FsyncMode::kBatch) {
  MemoryStoreOptions o;
  o.path = path;
  o.fsync = fsync;
  o.sync_timeout = std::chrono::milliseconds(10000);
  return o;
}

// Opens a store and fails the test if it does not open.
inline std::unique_ptr<MemoryStore> open_store(const MemoryStoreOptions& o,
                                               std::shared_ptr<spdlog::logger> logger = nullptr) {
  auto store = std::make_unique<MemoryStore>(o, std::move(logger));
  Status s = store->open();
  EXPECT_TRUE(s.is_ok()) << s.message();
  return store;
}

inline std::uint64_t file_size(const std::string& path) {
  return std::filesystem::file_size(path);
}

// XORs one byte of a file: damage that only a checksum can see.
inline void flip_byte(const std::string& path, std::uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5A);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

inline std::vector<RecordedEvent> all_events(EventStore& store) {
  auto slice = store.read_all(0, 1'000'000, {});
  EXPECT_TRUE(slice.is_ok()) << slice.status().message();
  return slice->events;
}

}  // namespace herald::plugins::memory::testing
