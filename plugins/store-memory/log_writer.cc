#include "log_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace herald::plugins::memory {

const char* to_string(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::kAlways: return "always";
    case FsyncMode::kBatch: return "batch";
    case FsyncMode::kNever: return "never";
  }
  return "?";
}

LogWriter::LogWriter(LogFile* file, FsyncMode mode, Position durable_position,
                     std::shared_ptr<spdlog::logger> logger)
    : file_(file), mode_(mode), logger_(std::move(logger)), durable_position_(durable_position) {
  if (file_ != nullptr) thread_ = std::thread([this] { run(); });
}

LogWriter::~LogWriter() { stop(); }

std::uint64_t LogWriter::submit(RecordType type, std::string payload, Position last_position) {
  if (file_ == nullptr) {
    std::lock_guard lock(durable_mu_);
    std::uint64_t seq = ++next_seq_;
    durable_seq_ = seq;
    if (last_position > durable_position_.load(std::memory_order_relaxed)) {
      durable_position_.store(last_position, std::memory_order_release);
      durable_cv_.notify_all();
    }
    return seq;
  }
  std::uint64_t seq;
  bool wake;
  {
    std::lock_guard lock(queue_mu_);
    seq = ++next_seq_;
    wake = queue_.empty();
    queue_.push_back(Pending{type, std::move(payload), seq, last_position});
  }
  // A non-empty queue means the writer is busy and will look again when done.
  if (wake) queue_cv_.notify_one();
  return seq;
}

Status LogWriter::wait_durable(std::uint64_t seq, std::chrono::milliseconds timeout) {
  std::unique_lock lock(durable_mu_);
  bool done = durable_cv_.wait_for(lock, timeout, [&] {
    return durable_seq_ >= seq || failed_.load(std::memory_order_relaxed);
  });
  if (durable_seq_ >= seq) return Status::ok();
  if (!done) {
    return Status::retry("the event log did not reach the disk within " +
                         std::to_string(timeout.count()) +
                         " ms; the write may still complete (retry with the same idempotency key "
                         "or event ids to be safe)");
  }
  return Status::retry(failure_.message());
}

Status LogWriter::wait_position_durable(Position position, std::chrono::milliseconds timeout) {
  std::unique_lock lock(durable_mu_);
  bool done = durable_cv_.wait_for(lock, timeout, [&] {
    return durable_position_.load(std::memory_order_relaxed) >= position ||
           failed_.load(std::memory_order_relaxed);
  });
  if (durable_position_.load(std::memory_order_relaxed) >= position) return Status::ok();
  if (!done) {
    return Status::retry("the event log did not reach the disk within " +
                         std::to_string(timeout.count()) + " ms");
  }
  return Status::retry(failure_.message());
}

Position LogWriter::wait_for_position(Position after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(durable_mu_);
  durable_cv_.wait_for(lock, timeout, [&] {
    return durable_position_.load(std::memory_order_relaxed) > after || stopped_ ||
           failed_.load(std::memory_order_relaxed);
  });
  return durable_position_.load(std::memory_order_relaxed);
}

Status LogWriter::health() const {
  std::lock_guard lock(durable_mu_);
  if (failed_.load(std::memory_order_relaxed)) return Status::failed(failure_.message());
  return Status::ok();
}

WriterStats LogWriter::stats() const {
  return WriterStats{records_.load(), batches_.load(), syncs_.load(), bytes_.load()};
}

void LogWriter::stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    thread_.join();
  }
  std::lock_guard lock(durable_mu_);
  stopped_ = true;
  durable_cv_.notify_all();
}

void LogWriter::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and everything is written
      batch.swap(queue_);
    }
    write_batch(batch);
    batch.clear();
  }
  // close() promises that everything acknowledged is on disk, even with
  // fsync: never.
  if (!failed() && mode_ == FsyncMode::kNever) {
    Status s = file_->sync();
    if (!s.is_ok()) fail(s);
  }
}

void LogWriter::write_batch(std::vector<Pending>& batch) {
  // After a failure nothing more is written: the waiters already know.
  if (failed()) return;

  if (mode_ == FsyncMode::kAlways) {
    for (Pending& p : batch) {
      buffer_.clear();
      append_record(buffer_, p.type, p.payload);
      Status s = file_->write_all(buffer_);
      if (s.is_ok()) s = file_->sync();
      if (!s.is_ok()) return fail(s);
      records_.fetch_add(1, std::memory_order_relaxed);
      batches_.fetch_add(1, std::memory_order_relaxed);
      syncs_.fetch_add(1, std::memory_order_relaxed);
      bytes_.fetch_add(buffer_.size(), std::memory_order_relaxed);
      publish(p.seq, p.last_position);
    }
    return;
  }

  buffer_.clear();
  Position last_position = 0;
  for (const Pending& p : batch) {
    append_record(buffer_, p.type, p.payload);
    last_position = std::max(last_position, p.last_position);
  }
  Status s = file_->write_all(buffer_);
  if (s.is_ok() && mode_ == FsyncMode::kBatch) {
    s = file_->sync();
    syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s.is_ok()) return fail(s);
  records_.fetch_add(batch.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(buffer_.size(), std::memory_order_relaxed);
  // Keep a big buffer from one burst from pinning memory for good.
  if (buffer_.capacity() > (std::size_t{64} << 20)) std::string().swap(buffer_);
  publish(batch.back().seq, last_position);
}

void LogWriter::publish(std::uint64_t seq, Position last_position) {
  {
    std::lock_guard lock(durable_mu_);
    durable_seq_ = seq;
    if (last_position > durable_position_.load(std::memory_order_relaxed)) {
      durable_position_.store(last_position, std::memory_order_release);
    }
  }
  durable_cv_.notify_all();
}

void LogWriter::fail(const Status& status) {
  std::string message = "event store failed and refuses writes until herald is restarted: " +
                        status.message();
  logger_->error("{}", message);
  {
    std::lock_guard lock(durable_mu_);
    failure_ = Status::failed(message);
    failed_.store(true, std::memory_order_release);
  }
  durable_cv_.notify_all();
}

}  // namespace herald::plugins::memory
