// Commands: what a client asks an aggregate to do, and the gateway's answer.
#pragma once

#include <optional>
#include <string>

#include "herald/event.h"

namespace herald {

// A command as an aggregate sees it in decide().
struct Command {
  std::string id;  // UUID made by the gateway; the events' causation_id
  StreamId target;
  std::string type;
  Json data = Json::object();
  Metadata metadata;
};

// A command as a transport (or the HTTP API) hands it to the gateway.
struct CommandRequest {
  std::string aggregate_type;
  std::string aggregate_id;  // empty: the gateway makes a UUID
  std::string type;
  Json data = Json::object();
  std::optional<Version> expected_version;
  Metadata metadata;
  std::string idempotency_key;  // empty: none
};

// The gateway's answer. `body` is exactly what the HTTP API answers: the
// success document, or an RFC 9457 problem document.
struct CommandOutcome {
  enum class Kind {
    kOk,             // 200
    kBadRequest,     // 400 malformed
    kNotFound,       // 404 unknown aggregate type or command
    kConflict,       // 409 expected version does not match
    kRejected,       // 422 validation or business rule
    kTooLarge,       // 413
    kUnavailable,    // 503 store unavailable
    kInternal,       // 500
  };
  Kind kind = Kind::kOk;
  Json body;

  bool ok() const { return kind == Kind::kOk; }
};

inline int http_status(CommandOutcome::Kind kind) {
  switch (kind) {
    case CommandOutcome::Kind::kOk: return 200;
    case CommandOutcome::Kind::kBadRequest: return 400;
    case CommandOutcome::Kind::kNotFound: return 404;
    case CommandOutcome::Kind::kConflict: return 409;
    case CommandOutcome::Kind::kRejected: return 422;
    case CommandOutcome::Kind::kTooLarge: return 413;
    case CommandOutcome::Kind::kUnavailable: return 503;
    case CommandOutcome::Kind::kInternal: return 500;
  }
  return 500;
}

// Implemented by the gateway; handed to command sources (transports).
// dispatch() is thread-safe and blocks until the command's events are durable
// or it was refused. A transport may call it from any number of threads.
class CommandDispatcher {
 public:
  virtual ~CommandDispatcher() = default;
  virtual CommandOutcome dispatch(const CommandRequest& request) = 0;
};

}  // namespace herald
