// Aggregates: the consistency boundary that turns commands into events.
//
// Who calls what:
//   - The gateway makes one Aggregate per `aggregates:` entry at start (main
//     thread) through the plugin's factory, and keeps it for the process's
//     life.
//   - decide() and apply() are called from any thread, concurrently, each
//     time on a state value the caller owns. An Aggregate therefore keeps no
//     per-instance mutable state: all it knows of an aggregate instance is the
//     Json state handed to it. Both must be deterministic: the same state and
//     input give the same result (the gateway replays and retries them).
//   - The gateway loads the state (snapshot + apply() of the events after it),
//     calls decide(), appends the events with the loaded version as expected
//     version, and on a concurrency conflict reloads and decides again.
#pragma once

#include <string>
#include <vector>

#include "herald/command.h"
#include "herald/event.h"
#include "herald/status.h"

namespace herald {

struct AggregateState {
  Version version = kNoVersion;  // kNoVersion: the stream has no events
  Json state;
  bool exists() const { return version != kNoVersion; }
};

// An event as decided, before the gateway gives it an id and metadata.
struct DecidedEvent {
  std::string type;
  Json data = Json::object();
  int schema_version = 1;
};

struct Decision {
  enum class Kind {
    kAccepted,        // append `events` (possibly none: the command changes nothing)
    kRejected,        // a business rule failed: `errors` says which, in words for users
    kUnknownCommand,  // this aggregate has no such command
  };
  Kind kind = Kind::kAccepted;
  std::vector<DecidedEvent> events;
  std::vector<std::string> errors;

  static Decision accept(std::vector<DecidedEvent> events) {
    return {Kind::kAccepted, std::move(events), {}};
  }
  static Decision reject(std::vector<std::string> errors) {
    return {Kind::kRejected, {}, std::move(errors)};
  }
  static Decision unknown_command() { return {Kind::kUnknownCommand, {}, {}}; }
};

// An event type an aggregate emits, with an optional JSON Schema its data is
// checked against before it is appended (a failure is a bug in the
// aggregate: the command answers 500 and nothing is appended).
struct EventSpec {
  std::string type;
  std::string description;
  Json data_schema;        // null: none
  int schema_version = 1;  // the version decide() emits
};

struct CommandSpec {
  std::string type;          // e.g. "CreateUser"
  std::string description;
  Json data_schema;          // JSON Schema of the command's data; null: none
};

class Aggregate {
 public:
  virtual ~Aggregate() = default;

  // The commands this aggregate handles. Called at start and by the admin API.
  virtual std::vector<CommandSpec> commands() const = 0;

  // The events this aggregate emits. Optional: the gateway uses it to check
  // event data and for docs; an aggregate may emit types it does not list.
  virtual std::vector<EventSpec> events() const { return {}; }

  // The state of an aggregate instance before its first event.
  virtual Json initial_state() const = 0;

  // The format of the Json state. Bump it when the state's shape changes:
  // snapshots of another format are ignored and the stream is replayed.
  virtual int state_format() const { return 1; }

  // Folds one event into `state`. kFailed stops the load with its message
  // (the gateway answers 500 and logs the stream and position).
  virtual Status apply(Json& state, const RecordedEvent& event) const = 0;

  // Decides what a command does to the current state.
  virtual Decision decide(const AggregateState& current, const Command& command) const = 0;
};

}  // namespace herald
