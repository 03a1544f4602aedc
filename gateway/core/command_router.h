// Routes commands to aggregates: validate, load, decide, append, answer.
//
// dispatch() is called concurrently from HTTP worker threads and transport
// threads. It blocks until the command's events are durable in the store or
// the command was refused, and never throws.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "core/aggregate_repository.h"
#include "herald/command.h"
#include "herald/store.h"

namespace herald::gateway {

class CommandRouter final : public CommandDispatcher {
 public:
  CommandRouter(EventStore& store, LimitsConfig limits, const UpcasterChain* upcasters = nullptr);

  // Start-up only (main thread), before the first dispatch().
  void add(AggregateType type);

  CommandOutcome dispatch(const CommandRequest& request) override;

  // Query side of the aggregate: its current state (404 problems for an
  // unknown type or an aggregate with no events).
  CommandOutcome get_state(const std::string& type, const std::string& id);

  const AggregateType* find(const std::string& type) const;
  const std::map<std::string, AggregateType>& types() const { return types_; }

  // The answer to a command whose events are `events` (also rebuilds the
  // first answer for an idempotent retry).
  static Json success_body(const StreamId& stream, Version version,
                           const std::vector<RecordedEvent>& events, const std::string& correlation_id);

 private:
  CommandOutcome run(const AggregateType& type, const CommandRequest& request);
  CommandOutcome unknown_type(const std::string& type) const;

  EventStore& store_;
  LimitsConfig limits_;
  AggregateRepository repository_;
  std::map<std::string, AggregateType> types_;
};

// Ids and types that can appear in a URL path segment and a stream key.
bool valid_identifier(const std::string& s);

}  // namespace herald::gateway
