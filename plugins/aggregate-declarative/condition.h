// Conditions: the rules a command checks before it emits (preconditions) and
// the `when:` of an emit entry. Each is compiled once; checking one is a few
// lookups and comparisons, and a rejection message is only built when the
// condition fails.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "value_template.h"

namespace herald::plugins::declarative {

struct Condition {
  enum class Kind {
    kStreamNew,     // stream: new
    kStreamExists,  // stream: exists
    kState,         // field: <state path> + a test
    kData,          // data: <command data path> + a test
    kDataAnyOf,     // data_any_of: [paths]: at least one is set
  };
  enum class Test { kNone, kEquals, kNotEquals, kIn, kNotIn, kExists };

  Kind kind = Kind::kStreamExists;
  Test test = Test::kNone;
  Path subject;              // kState, kData
  std::string field;         // how the subject reads in messages: "active", "name, email"
  Value expected;            // kEquals, kNotEquals, kIn, kNotIn
  bool expect_set = true;    // kExists
  std::vector<Path> any_of;  // kDataAnyOf

  bool reads_state() const { return kind == Kind::kState; }
};

// A rejection message: text with {id}, {type}, {command}, {field}, {value},
// {expected} filled in when the condition fails.
struct Message {
  enum class Piece { kText, kId, kType, kCommand, kField, kValue, kExpected };
  std::vector<std::pair<Piece, std::string>> pieces;
  // Default messages quote string values ("open"); user templates do not.
  bool quote_strings = false;
};

struct Precondition {
  Condition condition;
  Message message;
};

// Whether `condition` holds. `stream_exists`: the stream has events.
bool holds(const Condition& condition, const Scope& scope, bool stream_exists);

// The message for a failed `condition`, for the command in `scope`.
std::string render(const Message& message, const Condition& condition, const Scope& scope);

// Compiles one precondition (`allow_message`) or `when:` condition. Reports
// problems under `where`; nullopt when it cannot be used.
std::optional<Precondition> compile_condition(const Json& node, const CompileScope& scope,
                                              const std::string& where, bool allow_message,
                                              Issues& issues);

// Compiles a message template; problems (an unknown {placeholder}) under `where`.
Message compile_message(const std::string& text, bool quote_strings, const std::string& where,
                        Issues& issues);

}  // namespace herald::plugins::declarative
