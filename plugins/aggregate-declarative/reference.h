// References: `$data.name`, `$id`, `$state.active`, `$event.timestamp`, ...
//
// A reference is parsed and checked once, at start-up, into a root and a
// list of path segments; evaluating it is then a few map lookups with no
// string parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compile_support.h"
#include "herald/aggregate.h"

namespace herald::plugins::declarative {

enum class Root : std::uint8_t {
  kData,         // the command's data (decide)
  kId,           // the aggregate id
  kCommandType,  // decide
  kCommandId,    // decide
  kMetaUserId,   // the command's metadata in decide, the event's in folds
  kMetaSource,
  kMetaCorrelationId,
  kMetaCausationId,
  kMetaExtra,       // any further metadata key: path[0] is the key
  kState,           // the state before the command (decide) or the event (fold)
  kEventData,       // folds only, and the rest of kEvent*
  kEventTimestamp,  // RFC 3339 text
  kEventType,
  kEventVersion,
  kEventId,
  kEventPosition,
  kEventSchemaVersion,
};

struct PathSegment {
  std::string key;
  // A segment of digits also indexes a list.
  std::optional<std::size_t> index;
};

using Path = std::vector<PathSegment>;

struct Reference {
  Root root = Root::kData;
  Path path;
  std::string text;  // as written, for messages: "$data.name"
};

// What references read, for one decide() or apply() call. Pointers are null
// where the context has no such thing (no event in decide()).
struct Scope {
  const std::string* id = nullptr;
  const Json* data = nullptr;
  const Command* command = nullptr;
  const Metadata* metadata = nullptr;
  const Json* state = nullptr;
  const RecordedEvent* event = nullptr;
};

// The value a reference points to, or nullptr when it is missing. Values that
// are not stored as Json (the id, the event's timestamp) are made in
// `scratch`, and the returned pointer is then &scratch.
const Json* lookup(const Reference& ref, const Scope& scope, Json& scratch);

// Follows `path` from `from`; nullptr when a step is missing.
const Json* walk(const Json* from, const Path& path);

// Splits "a.b.0" into segments; false (and an issue at `where`) on an empty
// segment.
bool parse_path(const std::string& text, const std::string& where, Path& out, Issues& issues);

// Parses `text` (which starts with one '$') and checks it against what is
// known at `scope`: the root must exist there, `$data` paths must be declared
// by the command's schema, `$event.data` paths by the event's schema, and
// `$state` must name a known state field. Reports problems at `where`.
std::optional<Reference> parse_reference(const std::string& text, const CompileScope& scope,
                                         const std::string& where, Issues& issues);

// The path as text: "address.city".
std::string path_text(const Path& path);

// Checks `path` against a JSON Schema's declared `properties`, reporting the
// first step that is not declared.
void check_schema_path(const Path& path, const Json* schema, const std::string& owner,
                       const std::string& shown, const std::string& where, Issues& issues);

// Checks that the first segment of `path` is a known state field.
void check_state_path(const Path& path, const CompileScope& scope, const std::string& shown,
                      const std::string& where, Issues& issues);

}  // namespace herald::plugins::declarative
