#include "reference.h"

#include <algorithm>
#include <charconv>

#include "text/suggest.h"

namespace herald::plugins::document {

namespace {

struct Field {
  const char* name;
  Reference::Source source;
  bool has_path;  // takes a sub-path (data, metadata)
};

constexpr Field kStreamFields[] = {
    {"id", Reference::Source::kStreamId, false},
    {"type", Reference::Source::kStreamType, false},
};

constexpr Field kEventFields[] = {
    {"data", Reference::Source::kData, true},
    {"metadata", Reference::Source::kMetadata, true},
    {"id", Reference::Source::kEventId, false},
    {"type", Reference::Source::kEventType, false},
    {"version", Reference::Source::kEventVersion, false},
    {"position", Reference::Source::kEventPosition, false},
    {"timestamp", Reference::Source::kEventTimestamp, false},
    {"schema_version", Reference::Source::kEventSchemaVersion, false},
};

// Metadata fields the SDK keeps as strings of their own; every other key is
// in Metadata::extra.
constexpr const char* kMetadataStrings[] = {"correlation_id", "causation_id", "user_id", "source"};

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    out.emplace_back(
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

std::string join(const std::vector<std::string>& segments) {
  std::string out = "$";
  for (std::size_t i = 0; i < segments.size(); ++i) out += (i ? "." : "") + segments[i];
  return out;
}

template <std::size_t N>
std::vector<std::string> names(const Field (&fields)[N]) {
  std::vector<std::string> out;
  for (const auto& f : fields) out.emplace_back(f.name);
  return out;
}

std::string listing(const std::vector<std::string>& names, const std::string& prefix) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + prefix + n;
  return out;
}

// Walks `path` from `at`: object keys, and list indexes written as numbers.
const Json* walk(const Json& root, const std::vector<std::string>& path, std::size_t from) {
  const Json* at = &root;
  for (std::size_t i = from; i < path.size(); ++i) {
    const std::string& segment = path[i];
    if (at->is_object()) {
      auto it = at->find(segment);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (ec != std::errc() || end != segment.data() + segment.size() || index >= at->size()) {
        return nullptr;
      }
      at = &(*at)[index];
    } else {
      return nullptr;
    }
  }
  return at;
}

std::optional<Json> present(const Json* value) {
  if (value == nullptr) return std::nullopt;
  return *value;
}

std::optional<Json> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return Json(s);
}

}  // namespace

std::optional<Reference> Reference::parse(std::string_view text, ConfigIssue* problem) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.size() == 1) {
    problem->message = "a lone '$' is not a reference";
    problem->hint = "write $$ for a literal '$'";
    return std::nullopt;
  }
  std::vector<std::string> segments = split(text.substr(1));
  if (std::any_of(segments.begin(), segments.end(), [](const auto& s) { return s.empty(); })) {
    problem->message = "bad reference " + quoted + ": empty name between dots";
    return std::nullopt;
  }
  const std::vector<std::string> roots = {"event", "stream"};
  if (segments[0] != "event" && segments[0] != "stream") {
    problem->message =
        "unknown reference " + quoted + ": a reference starts with $event or $stream";
    std::string match = gateway::closest_match(segments[0], roots);
    if (!match.empty()) {
      segments[0] = match;
      problem->hint = "did you mean '" + join(segments) + "'?";
    } else {
      problem->hint = "write $$ at the start for a literal '$'";
    }
    return std::nullopt;
  }
  const bool is_event = segments[0] == "event";
  const auto candidates = is_event ? names(kEventFields) : names(kStreamFields);
  const std::string prefix = is_event ? "$event." : "$stream.";
  if (segments.size() == 1) {
    problem->message = "reference " + quoted + " needs a field";
    problem->hint = "one of " + listing(candidates, prefix);
    return std::nullopt;
  }
  const Field* field = nullptr;
  if (is_event) {
    for (const auto& f : kEventFields) {
      if (segments[1] == f.name) field = &f;
    }
  } else {
    for (const auto& f : kStreamFields) {
      if (segments[1] == f.name) field = &f;
    }
  }
  if (field == nullptr) {
    problem->message = "unknown reference " + quoted + ": " + prefix.substr(0, prefix.size() - 1) +
                       " has no field '" + segments[1] + "'";
    std::string match = gateway::closest_match(segments[1], candidates);
    if (!match.empty()) {
      segments[1] = match;
      problem->hint = "did you mean '" + join(segments) + "'?";
    } else {
      problem->hint = "one of " + listing(candidates, prefix);
    }
    return std::nullopt;
  }
  if (!field->has_path && segments.size() > 2) {
    problem->message = "bad reference " + quoted + ": " + prefix + field->name + " has no fields";
    problem->hint = "only $event.data and $event.metadata take a path";
    return std::nullopt;
  }
  if (field->source == Source::kMetadata && segments.size() > 3) {
    for (const char* name : kMetadataStrings) {
      if (segments[2] == name) {
        problem->message = "bad reference " + quoted + ": $event.metadata." + name +
                           " is a string and has no fields";
        return std::nullopt;
      }
    }
  }
  segments.erase(segments.begin(), segments.begin() + 2);
  return Reference(std::string(text), field->source, std::move(segments));
}

std::optional<Json> Reference::resolve(const RecordedEvent& event) const {
  switch (source_) {
    case Source::kStreamId: return non_empty(event.stream.id);
    case Source::kStreamType: return non_empty(event.stream.type);
    case Source::kEventId: return non_empty(event.id);
    case Source::kEventType: return non_empty(event.type);
    case Source::kEventVersion: return Json(event.version);
    case Source::kEventPosition: return Json(event.position);
    case Source::kEventTimestamp: return Json(format_timestamp(event.timestamp));
    case Source::kEventSchemaVersion: return Json(event.schema_version);
    case Source::kData: return present(walk(event.data, path_, 0));
    case Source::kMetadata: {
      const Metadata& m = event.metadata;
      if (path_.empty()) return to_json(m);
      if (path_[0] == "correlation_id") return non_empty(m.correlation_id);
      if (path_[0] == "causation_id") return non_empty(m.causation_id);
      if (path_[0] == "user_id") return non_empty(m.user_id);
      if (path_[0] == "source") return non_empty(m.source);
      return present(walk(m.extra, path_, 0));
    }
  }
  return std::nullopt;
}

bool Reference::may_be_object() const {
  if (source_ == Source::kData) return true;
  if (source_ != Source::kMetadata) return false;
  return path_.empty() || std::none_of(std::begin(kMetadataStrings), std::end(kMetadataStrings),
                                       [&](const char* n) { return path_[0] == n; });
}

bool Reference::may_be_number() const {
  switch (source_) {
    case Source::kEventVersion:
    case Source::kEventPosition:
    case Source::kEventSchemaVersion: return true;
    case Source::kData: return !path_.empty();
    case Source::kMetadata: return !path_.empty() && may_be_object();
    default: return false;
  }
}

ValueExpr ValueExpr::compile(const Json& spec, const std::string& path,
                             std::vector<ConfigIssue>& issues) {
  ValueExpr out;
  if (spec.is_string()) {
    const auto& s = spec.get_ref<const std::string&>();
    if (s.rfind("$$", 0) == 0) {
      out.constant_ = s.substr(1);
    } else if (!s.empty() && s[0] == '$') {
      ConfigIssue problem{path, "", ""};
      if (auto ref = Reference::parse(s, &problem)) {
        out.kind_ = Kind::kReference;
        out.reference_ = std::move(ref);
      } else {
        issues.push_back(std::move(problem));
      }
    } else {
      out.constant_ = spec;
    }
    return out;
  }
  if (spec.is_object() || spec.is_array()) {
    bool has_reference = false;
    std::size_t index = 0;
    for (auto it = spec.begin(); it != spec.end(); ++it, ++index) {
      std::string key = spec.is_object() ? it.key() : std::string();
      ValueExpr child =
          compile(*it, config_path(path, spec.is_object() ? key : std::to_string(index)), issues);
      has_reference = has_reference || !child.is_constant();
      out.children_.emplace_back(std::move(key), std::move(child));
    }
    if (has_reference) {
      out.kind_ = spec.is_object() ? Kind::kObject : Kind::kList;
      return out;
    }
    // All constant: keep one value (with "$$" escapes already undone).
    out.constant_ = spec.is_object() ? Json::object() : Json::array();
    for (auto& [key, child] : out.children_) {
      if (spec.is_object()) {
        out.constant_[key] = std::move(child.constant_);
      } else {
        out.constant_.push_back(std::move(child.constant_));
      }
    }
    out.children_.clear();
    return out;
  }
  out.constant_ = spec;
  return out;
}

std::optional<Json> ValueExpr::evaluate(const RecordedEvent& event) const {
  switch (kind_) {
    case Kind::kConstant: return constant_;
    case Kind::kReference: return reference_->resolve(event);
    case Kind::kObject: {
      Json out = Json::object();
      for (const auto& [key, child] : children_) {
        if (auto v = child.evaluate(event)) out[key] = std::move(*v);
      }
      return out;
    }
    case Kind::kList: {
      Json out = Json::array();
      for (const auto& [unused, child] : children_) {
        auto v = child.evaluate(event);
        out.push_back(v ? std::move(*v) : Json());
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace herald::plugins::document
