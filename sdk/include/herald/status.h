// Status values returned across the plugin boundary.
//
// No exception crosses the boundary on the hot path: every runtime call a
// plugin implements returns a Status (or a Result<T>, which carries one). The
// gateway decides what to do about kRetry (back off, try again) and kFailed
// (stop, park, or answer the client with an error).
#pragma once

#include <string>
#include <utility>

namespace herald {

enum class StatusCode {
  kOk = 0,
  // Transient: the backend is unreachable, timed out or busy. Safe to retry
  // the same call later; nothing was changed (or the change is idempotent).
  kRetry,
  // The call cannot succeed as made (bad input, a broken invariant, a corrupt
  // backend). Retrying the same call gives the same answer.
  kFailed,
  // Optimistic concurrency: the stream is not at the expected version.
  kConflict,
  // The thing asked for does not exist.
  kNotFound,
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status retry(std::string message) { return {StatusCode::kRetry, std::move(message)}; }
  static Status failed(std::string message) { return {StatusCode::kFailed, std::move(message)}; }
  static Status conflict(std::string message) { return {StatusCode::kConflict, std::move(message)}; }
  static Status not_found(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline const char* to_string(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kRetry: return "retry";
    case StatusCode::kFailed: return "failed";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kNotFound: return "not_found";
  }
  return "unknown";
}

// A value or the status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool is_ok() const { return status_.is_ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }

 private:
  Status status_;
  T value_{};
};

}  // namespace herald
