// The compiled form of a declarative aggregate's config: immutable after
// start-up and shared by every decide() and apply() call.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "condition.h"

namespace herald::plugins::declarative {

struct EmitRule {
  std::string event;
  int schema_version = 1;
  Value data;                     // resolves to the event's data object
  std::optional<Condition> when;  // emit only when it holds
};

struct CommandRule {
  std::string type;
  std::string description;
  Json schema;  // null: none
  std::vector<Precondition> preconditions;
  std::vector<EmitRule> emits;
  // A `stream: exists` precondition: when the stream is missing, `field:`
  // preconditions are skipped, since they would only repeat that.
  bool requires_stream = false;
};

struct FoldOp {
  enum class Kind { kSet, kAppend, kIncrement, kRemove };
  Kind kind = Kind::kSet;
  Path target;  // a state path
  std::string target_text;
  Value value;  // not for kRemove
};

struct EventRule {
  std::string type;
  std::string description;
  Json schema;  // null: none
  int schema_version = 1;
  std::vector<FoldOp> fold;  // in order: set, append, increment, remove
  // Some value reads $state: the fold evaluates against a copy of the state
  // before the event, so the order of its keys does not matter.
  bool reads_state = false;
};

struct Model {
  int state_format = 1;
  Json initial_state = Json::object();
  std::unordered_map<std::string, CommandRule> commands;
  std::unordered_map<std::string, EventRule> events;
  // Names in order (the config is read as JSON, whose maps are sorted).
  std::vector<std::string> command_order;
  std::vector<std::string> event_order;
};

}  // namespace herald::plugins::declarative
