#include "reference.h"

#include <algorithm>

#include "text/suggest.h"

namespace herald::plugins::declarative {
namespace {

const std::vector<std::string> kDecideRoots = {"$data", "$id", "$command", "$metadata", "$state"};
const std::vector<std::string> kFoldRoots = {"$event", "$id", "$metadata", "$state"};
const std::vector<std::string> kCommandFields = {"type", "id"};
const std::vector<std::string> kMetadataFields = {"user_id", "source", "correlation_id",
                                                  "causation_id"};
const std::vector<std::string> kEventFields = {"data", "timestamp", "type",          "version",
                                               "id",   "position",  "schema_version"};

std::optional<std::size_t> as_index(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

const Json* string_or_missing(const std::string& s, Json& scratch) {
  if (s.empty()) return nullptr;  // metadata leaves unset fields empty
  scratch = s;
  return &scratch;
}

bool no_more(const Path& rest, const std::string& text, const std::string& what,
             const std::string& where, Issues& issues) {
  if (rest.empty()) return true;
  issues.push_back({where, text + ": " + what + " has no fields", "write " + what + " alone"});
  return false;
}

}  // namespace

const Json* walk(const Json* from, const Path& path) {
  const Json* cur = from;
  for (const auto& seg : path) {
    if (cur == nullptr) return nullptr;
    if (cur->is_object()) {
      auto it = cur->find(seg.key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array() && seg.index && *seg.index < cur->size()) {
      cur = &(*cur)[*seg.index];
    } else {
      return nullptr;
    }
  }
  return cur;
}

const Json* lookup(const Reference& ref, const Scope& scope, Json& scratch) {
  switch (ref.root) {
    case Root::kData: return walk(scope.data, ref.path);
    case Root::kState: return walk(scope.state, ref.path);
    case Root::kId:
      if (scope.id == nullptr) return nullptr;
      scratch = *scope.id;
      return &scratch;
    case Root::kCommandType:
      if (scope.command == nullptr) return nullptr;
      scratch = scope.command->type;
      return &scratch;
    case Root::kCommandId:
      if (scope.command == nullptr) return nullptr;
      return string_or_missing(scope.command->id, scratch);
    case Root::kMetaUserId:
      return scope.metadata ? string_or_missing(scope.metadata->user_id, scratch) : nullptr;
    case Root::kMetaSource:
      return scope.metadata ? string_or_missing(scope.metadata->source, scratch) : nullptr;
    case Root::kMetaCorrelationId:
      return scope.metadata ? string_or_missing(scope.metadata->correlation_id, scratch) : nullptr;
    case Root::kMetaCausationId:
      return scope.metadata ? string_or_missing(scope.metadata->causation_id, scratch) : nullptr;
    case Root::kMetaExtra: return scope.metadata ? walk(&scope.metadata->extra, ref.path) : nullptr;
    case Root::kEventData: return scope.event ? walk(&scope.event->data, ref.path) : nullptr;
    case Root::kEventTimestamp:
      if (scope.event == nullptr) return nullptr;
      scratch = format_timestamp(scope.event->timestamp);
      return &scratch;
    case Root::kEventType:
      if (scope.event == nullptr) return nullptr;
      scratch = scope.event->type;
      return &scratch;
    case Root::kEventVersion:
      if (scope.event == nullptr) return nullptr;
      scratch = scope.event->version;
      return &scratch;
    case Root::kEventId: return scope.event ? string_or_missing(scope.event->id, scratch) : nullptr;
    case Root::kEventPosition:
      if (scope.event == nullptr) return nullptr;
      scratch = scope.event->position;
      return &scratch;
    case Root::kEventSchemaVersion:
      if (scope.event == nullptr) return nullptr;
      scratch = scope.event->schema_version;
      return &scratch;
  }
  return nullptr;
}

bool parse_path(const std::string& text, const std::string& where, Path& out, Issues& issues) {
  out.clear();
  if (text.empty()) return true;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string seg =
        text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (seg.empty()) {
      issues.push_back({where, "'" + text + "' has an empty path segment",
                        "separate field names with single dots: a.b.c"});
      return false;
    }
    out.push_back({seg, as_index(seg)});
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::string path_text(const Path& path) {
  std::string out;
  for (const auto& seg : path) {
    if (!out.empty()) out += '.';
    out += seg.key;
  }
  return out;
}

void check_schema_path(const Path& path, const Json* schema, const std::string& owner,
                       const std::string& shown, const std::string& where, Issues& issues) {
  const Json* cur = schema;
  std::string walked;
  for (const auto& seg : path) {
    if (cur == nullptr || !cur->is_object()) return;
    if (seg.index) {
      auto items = cur->find("items");
      if (items != cur->end()) {
        cur = &*items;
        walked += (walked.empty() ? "" : ".") + seg.key;
        continue;
      }
    }
    const Json* props = declared_properties(cur);
    if (props == nullptr) return;
    walked += (walked.empty() ? "" : ".") + seg.key;
    auto it = props->find(seg.key);
    if (it == props->end()) {
      issues.push_back({where,
                        shown + ": the schema of " + owner + " declares no field '" + walked + "'",
                        hint_for(seg.key, keys_of(*props), "declared fields")});
      return;
    }
    cur = &*it;
  }
}

void check_state_path(const Path& path, const CompileScope& scope, const std::string& shown,
                      const std::string& where, Issues& issues) {
  if (path.empty() || scope.state_fields == nullptr) return;
  const auto& fields = *scope.state_fields;
  if (std::find(fields.begin(), fields.end(), path.front().key) != fields.end()) return;
  issues.push_back({where,
                    shown + ": no state field '" + path.front().key +
                        "' (neither initial_state nor any fold sets it)",
                    hint_for(path.front().key, fields, "state fields")});
}

std::optional<Reference> parse_reference(const std::string& text, const CompileScope& scope,
                                         const std::string& where, Issues& issues) {
  const std::string body = text.substr(1);
  if (body.empty()) {
    issues.push_back({where, "'$' alone is not a reference", "write '$$' for a literal '$'"});
    return std::nullopt;
  }
  const std::size_t dot = body.find('.');
  const std::string root = "$" + body.substr(0, dot);
  Path rest;
  if (dot != std::string::npos) {
    if (!parse_path(body.substr(dot + 1), where, rest, issues)) return std::nullopt;
    if (rest.empty()) {
      issues.push_back({where, "'" + text + "' ends with a dot", "write " + root + " alone"});
      return std::nullopt;
    }
  }
  const bool decide = scope.context == Context::kDecide;
  const auto& roots = decide ? kDecideRoots : kFoldRoots;
  if (std::find(roots.begin(), roots.end(), root) == roots.end()) {
    if (!decide && (root == "$data" || root == "$command")) {
      issues.push_back({where,
                        text + ": " + root + " is the command's and is available only in commands",
                        root == "$data" ? "in a fold use $event.data" : "in a fold use $event"});
    } else if (decide && root == "$event") {
      issues.push_back({where, text + ": $event is available only in folds (events/*/fold)",
                        "in a command use $data, $id, $command, $metadata or $state"});
    } else {
      issues.push_back({where, "unknown reference '" + root + "' in '" + text + "'",
                        hint_for(root, roots, "references here") + " ('$$' starts a literal '$')"});
    }
    return std::nullopt;
  }

  Reference ref;
  ref.text = text;
  if (root == "$data") {
    ref.root = Root::kData;
    ref.path = std::move(rest);
    check_schema_path(ref.path, scope.data_schema, "command " + scope.command, text, where, issues);
  } else if (root == "$state") {
    ref.root = Root::kState;
    ref.path = std::move(rest);
    check_state_path(ref.path, scope, text, where, issues);
  } else if (root == "$id") {
    ref.root = Root::kId;
    if (!no_more(rest, text, "$id", where, issues)) return std::nullopt;
  } else if (root == "$command") {
    const std::string field = rest.empty() ? "" : rest.front().key;
    if (rest.size() != 1 || (field != "type" && field != "id")) {
      issues.push_back(
          {where, text + ": $command has the fields type and id",
           rest.empty() ? "write $command.type" : hint_for(field, kCommandFields, "fields")});
      return std::nullopt;
    }
    ref.root = field == "type" ? Root::kCommandType : Root::kCommandId;
  } else if (root == "$metadata") {
    if (rest.empty()) {
      issues.push_back({where, text + ": $metadata needs a key", "e.g. $metadata.user_id"});
      return std::nullopt;
    }
    const std::string& key = rest.front().key;
    const auto known = std::find(kMetadataFields.begin(), kMetadataFields.end(), key);
    if (known != kMetadataFields.end()) {
      static constexpr Root kRoots[] = {Root::kMetaUserId, Root::kMetaSource,
                                        Root::kMetaCorrelationId, Root::kMetaCausationId};
      ref.root = kRoots[known - kMetadataFields.begin()];
      Path more(rest.begin() + 1, rest.end());
      if (!no_more(more, text, "$metadata." + key, where, issues)) return std::nullopt;
    } else if (auto close = gateway::closest_match(key, kMetadataFields); !close.empty()) {
      // Any key may come as extra metadata, but one this close to a standard
      // key is a typo far more often than a real extra key.
      issues.push_back(
          {where, text + ": unknown metadata key '" + key + "'", "did you mean '" + close + "'?"});
      return std::nullopt;
    } else {
      ref.root = Root::kMetaExtra;
      ref.path = std::move(rest);
    }
  } else {  // $event
    const std::string field = rest.empty() ? "" : rest.front().key;
    const auto known = std::find(kEventFields.begin(), kEventFields.end(), field);
    if (known == kEventFields.end()) {
      issues.push_back(
          {where, text + ": $event needs one of the fields " + join_words(kEventFields),
           rest.empty() ? "e.g. $event.data.name" : hint_for(field, kEventFields, "fields")});
      return std::nullopt;
    }
    Path more(rest.begin() + 1, rest.end());
    if (field == "data") {
      ref.root = Root::kEventData;
      ref.path = std::move(more);
      check_schema_path(ref.path, scope.event_schema, "event " + scope.event, text, where, issues);
    } else {
      static constexpr Root kRoots[] = {
          Root::kEventData, Root::kEventTimestamp, Root::kEventType,         Root::kEventVersion,
          Root::kEventId,   Root::kEventPosition,  Root::kEventSchemaVersion};
      ref.root = kRoots[known - kEventFields.begin()];
      if (!no_more(more, text, "$event." + field, where, issues)) return std::nullopt;
    }
  }
  return ref;
}

}  // namespace herald::plugins::declarative
