// Routes commands to aggregates: validate, load, decide, append, answer.
//
// dispatch() is called concurrently from HTTP worker threads and transport
// threads. It blocks until the command's events are durable in the store or
// the command was refused, and never throws.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/gateway_config.h"
#include "core/aggregate_repository.h"
#include "herald/command.h"
#include "herald/store.h"

namespace herald::gateway {

// A command that succeeded, before it is written as a document: the events
// it appended (or, for an idempotent retry, the first time's events).
struct CommandSuccess {
  StreamId stream;
  Version version = kNoVersion;
  std::vector<RecordedEvent> events;
  std::string correlation_id;

  // The success document of ../shared/DESIGN.md (what CommandOutcome.body
  // holds for a 200).
  Json body() const;
  // Appends the same document as compact JSON text, exactly what
  // append_json(out, body()) appends, without building body() first (the
  // HTTP API's answer to every command).
  void append_body(std::string& out) const;
};

class CommandRouter final : public CommandDispatcher {
 public:
  CommandRouter(EventStore& store, LimitsConfig limits, const UpcasterChain* upcasters = nullptr);

  // Start-up only (main thread), before the first dispatch().
  void add(AggregateType type);

  CommandOutcome dispatch(const CommandRequest& request) override;

  // dispatch() for a caller that gives up its request (its data moves into
  // the command instead of being copied) and writes a success itself (the
  // HTTP API, which writes it as text with CommandSuccess::append_body).
  // Same threads and guarantees as dispatch().
  using Result = std::variant<CommandSuccess, CommandOutcome>;
  Result execute(CommandRequest&& request);

  // Query side of the aggregate: its current state (404 problems for an
  // unknown type or an aggregate with no events). With `at`, the state as
  // it was at that version (404 version-not-found, with the current
  // version, when the stream has not reached it); the body then has
  // "current_version" too.
  CommandOutcome get_state(const std::string& type, const std::string& id,
                           std::optional<Version> at = std::nullopt);

  const AggregateType* find(const std::string& type) const;
  const std::map<std::string, AggregateType>& types() const { return types_; }

 private:
  Result run(const AggregateType& type, CommandRequest& request);
  CommandOutcome unknown_type(const std::string& type) const;
  // After a conflict: waits (at most kAwaitConflicting) until the stream's
  // readable version reaches `version`. A store shows an append only once it
  // is durable, so deciding again at once would meet the same stale state
  // while the winning append waits for its fsync.
  void await_version(const StreamId& stream, Version version);

  static constexpr std::chrono::milliseconds kAwaitConflicting{1000};

  // The turn of a command on its stream: one of kStreamLocks mutexes, by
  // hash (two streams may share one; a command holds only one).
  std::unique_lock<std::mutex> lock_stream(const StreamId& stream);
  static constexpr std::size_t kStreamLocks = 4096;
  std::array<std::mutex, kStreamLocks> stream_locks_;

  EventStore& store_;
  LimitsConfig limits_;
  AggregateRepository repository_;
  std::map<std::string, AggregateType> types_;
};

// Ids and types that can appear in a URL path segment and a stream key:
// 1-256 bytes of printable UTF-8 (no control characters, C0 or C1) without
// spaces, '/', '?', '#' or '%'. UTF-8 because an id appears in every JSON
// document about its stream: an id the client spelled %FF would come back
// as U+FFFD, and could not be addressed again.
bool valid_identifier(const std::string& s);

// The 400 for an aggregate id that is not a valid_identifier(): what
// commands, aggregates and streams answer alike.
CommandOutcome invalid_aggregate_id();

}  // namespace herald::gateway
