// gmock mocks of every SDK interface, one mock per interface, for plugin
// authors' tests and the gateway's own.
#pragma once

#include <gmock/gmock.h>

#include "herald/herald.h"

namespace herald::testing {

class MockEventStore : public EventStore {
 public:
  MOCK_METHOD(Status, open, (), (override));
  MOCK_METHOD(void, close, (), (override));
  MOCK_METHOD(AppendResult, append, (const AppendRequest&), (override));
  MOCK_METHOD(Result<ReadSlice>, read_stream, (const StreamId&, Version, std::size_t), (override));
  MOCK_METHOD(Result<Version>, stream_version, (const StreamId&), (override));
  MOCK_METHOD(Result<ReadSlice>, read_all, (Position, std::size_t, const EventFilter&), (override));
  MOCK_METHOD(Result<Position>, head, (), (override));
  MOCK_METHOD(Result<Position>, wait_for_events, (Position, std::chrono::milliseconds), (override));
  MOCK_METHOD(Status, save_snapshot, (const Snapshot&), (override));
  MOCK_METHOD(Result<std::optional<Snapshot>>, load_snapshot, (const StreamId&), (override));
  MOCK_METHOD(Status, save_checkpoint, (const std::string&, Position), (override));
  MOCK_METHOD(Result<Position>, load_checkpoint, (const std::string&), (override));
  MOCK_METHOD(Result<std::optional<IdempotencyRecord>>, find_idempotency, (const std::string&), (override));
  MOCK_METHOD(Status, health, (), (override));
};

class MockAggregate : public Aggregate {
 public:
  MOCK_METHOD(std::vector<CommandSpec>, commands, (), (const, override));
  MOCK_METHOD(Json, initial_state, (), (const, override));
  MOCK_METHOD(int, state_format, (), (const, override));
  MOCK_METHOD(Status, apply, (Json&, const RecordedEvent&), (const, override));
  MOCK_METHOD(Decision, decide, (const AggregateState&, const Command&), (const, override));
};

class MockProjection : public Projection {
 public:
  MOCK_METHOD(Status, apply, (const RecordedEvent&), (override));
  MOCK_METHOD(Position, position, (), (const, override));
  MOCK_METHOD(bool, persistent, (), (const, override));
  MOCK_METHOD(Result<std::optional<Json>>, get, (const std::string&), (const, override));
  MOCK_METHOD(Result<QueryPage>, query, (const Query&), (const, override));
};

class MockEventSink : public EventSink {
 public:
  MOCK_METHOD(DeliveryResult, deliver, (std::span<const RecordedEvent>), (override));
};

class MockCommandDispatcher : public CommandDispatcher {
 public:
  MOCK_METHOD(CommandOutcome, dispatch, (const CommandRequest&), (override));
};

}  // namespace herald::testing
