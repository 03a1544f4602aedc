// What a value in the config means: a `$` reference into the event being
// applied, a constant, or an object or list that holds references.
//
// Compiled once at start-up (main thread); evaluate() is then called from the
// projection's subscription thread. Compiled values are immutable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/config_schema.h"
#include "herald/event.h"
#include "herald/json_pointer.h"

namespace herald::plugins::document {

// A `$` reference:
//   $stream.id  $stream.type
//   $event.id  $event.type  $event.version  $event.position
//   $event.timestamp (RFC 3339 text, as in the event's JSON)  $event.schema_version
//   $event.data  $event.data.a.b  $event.data.items.0   (a list index is a number)
//   $event.metadata  $event.metadata.user_id  $event.metadata.tenant.region
class Reference {
 public:
  enum class Source {
    kStreamId,
    kStreamType,
    kEventId,
    kEventType,
    kEventVersion,
    kEventPosition,
    kEventTimestamp,
    kEventSchemaVersion,
    kData,
    kMetadata,
  };

  // Parses `text` (the leading '$' included). On a bad reference returns
  // nullopt and fills *problem's message and hint (not its path).
  static std::optional<Reference> parse(std::string_view text, ConfigIssue* problem);

  // The value in `event`; nullopt when the event does not have it (a missing
  // data field, an empty metadata field).
  std::optional<Json> resolve(const RecordedEvent& event) const;

  const std::string& text() const { return text_; }
  Source source() const { return source_; }
  // Whether the value can ever be an object / a number; start-up checks use
  // these to refuse `merge: $event.type` or `increment: {n: $stream.id}`.
  bool may_be_object() const;
  bool may_be_number() const;

 private:
  Reference(std::string text, Source source, std::vector<std::string> path)
      : text_(std::move(text)), source_(source), path_(std::move(path)) {}

  std::string text_;
  Source source_;
  std::vector<std::string> path_;  // under data or metadata
};

// A config value. Strings that start with '$' are references ("$$" at the
// start stands for one literal '$'); objects and lists may hold references
// at any depth; everything else is a constant.
class ValueExpr {
 public:
  ValueExpr() = default;

  // Compiles `spec`, adding every bad reference to `issues` with a path
  // under `path`.
  static ValueExpr compile(const Json& spec, const std::string& path,
                           std::vector<ConfigIssue>& issues);

  // The value for `event`. A reference the event lacks gives nullopt; inside
  // an object it leaves its key out, inside a list it gives null.
  std::optional<Json> evaluate(const RecordedEvent& event) const;

  bool is_constant() const { return kind_ == Kind::kConstant; }
  const Json& constant() const { return constant_; }
  // Null unless the value is one reference.
  const Reference* reference() const { return reference_ ? &*reference_ : nullptr; }

 private:
  enum class Kind { kConstant, kReference, kObject, kList };

  Kind kind_ = Kind::kConstant;
  Json constant_;
  std::optional<Reference> reference_;
  std::vector<std::pair<std::string, ValueExpr>> children_;  // kObject: keys; kList: ""
};

}  // namespace herald::plugins::document
