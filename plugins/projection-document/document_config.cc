#include "document_config.h"

#include <algorithm>

#include "text/suggest.h"

namespace herald::plugins::document {

namespace {

const std::vector<std::string> kTopLevelKeys = {"id", "search", "sort", "on"};

// How a value reads in a message.
std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean:
      return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
    case Json::value_t::string: return "string " + v.dump();
    case Json::value_t::array: return "list";
    case Json::value_t::object: return "object";
    default: return "number " + v.dump();
  }
}

class Compiler {
 public:
  DocumentConfig compile(const Json& config) {
    DocumentConfig out;
    if (!config.is_object()) {
      add("", "expected a map of options, got " + describe(config));
      return out;
    }
    for (const auto& [key, unused] : config.items()) {
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), key) != kTopLevelKeys.end()) {
        continue;
      }
      std::string hint = gateway::did_you_mean(key, kTopLevelKeys);
      add(config_path("", key), "unknown key",
          hint.empty() ? "known keys: " + gateway::join_words(kTopLevelKeys) : hint);
    }
    out.id = compile_id(config.contains("id") ? config.at("id") : Json("$stream.id"), "id");
    if (auto it = config.find("search"); it != config.end() && !it->is_null()) {
      if (!it->is_array()) {
        add("search", "expected a list of field names, got " + describe(*it));
      } else {
        for (std::size_t i = 0; i < it->size(); ++i) {
          if (auto f = field((*it)[i], config_path("search", std::to_string(i)), true)) {
            out.search.push_back(std::move(*f));
          }
        }
      }
    }
    if (auto it = config.find("sort"); it != config.end() && !it->is_null()) {
      if (!it->is_string() || !it->get_ref<const std::string&>().empty()) {
        out.sort = field(*it, "sort", true);
      }
    }
    compile_rules(config, out);
    return out;
  }

  std::vector<ConfigIssue> take() { return std::move(issues_); }

 private:
  void compile_rules(const Json& config, DocumentConfig& out) {
    auto on = config.find("on");
    if (on == config.end() || on->is_null()) {
      add("on", "missing required key",
          "map each event type to what it does to the document, e.g. "
          "on: { UserCreated: { set: { name: $event.data.name } } }");
    } else if (!on->is_object()) {
      add("on", "expected a map from event type to operations, got " + describe(*on));
    } else if (on->empty()) {
      add("on", "no event types", "add at least one event type and what it does");
    } else {
      for (const auto& [type, spec] : on->items()) {
        Rule rule = compile_rule(type, spec, config_path("on", type));
        rule.touches_sort = out.sort && rule.may_change(*out.sort);
        // No search fields: every top-level string is searched.
        rule.touches_search = out.search.empty() ||
                              std::any_of(out.search.begin(), out.search.end(),
                                          [&](const FieldPath& f) { return rule.may_change(f); });
        out.rules.emplace(type, std::move(rule));
      }
    }
  }

  void add(std::string path, std::string message, std::string hint = {}) {
    issues_.push_back({std::move(path), std::move(message), std::move(hint)});
  }

  ValueExpr compile_id(const Json& spec, const std::string& path) {
    if (!spec.is_string() || spec.get_ref<const std::string&>().empty()) {
      add(path, "expected a reference or a name for the document id, got " + describe(spec),
          "e.g. $stream.id or $event.data.user_id");
      return {};
    }
    ValueExpr id = ValueExpr::compile(spec, path, issues_);
    const Reference* ref = id.reference();
    if (ref && ref->source() == Reference::Source::kMetadata && ref->text() == "$event.metadata") {
      add(path, "the document id cannot be the whole metadata object",
          "name one field, e.g. $event.metadata.user_id");
    } else if (ref && ref->source() == Reference::Source::kData && ref->text() == "$event.data") {
      add(path, "the document id cannot be the whole data object",
          "name one field, e.g. $event.data.user_id");
    }
    return id;
  }

  // A field name: a target of an operation or (allow_id) a query field.
  std::optional<FieldPath> field(const Json& spec, const std::string& path, bool allow_id) {
    if (!spec.is_string()) {
      add(path, "expected a field name, got " + describe(spec));
      return std::nullopt;
    }
    return field_name(spec.get_ref<const std::string&>(), path, allow_id);
  }

  std::optional<FieldPath> field_name(const std::string& name, const std::string& path,
                                      bool allow_id) {
    if (!name.empty() && name[0] == '$') {
      add(path, "'" + name + "' is a reference; a field here is a plain name",
          "write the document field, e.g. name or address.city");
      return std::nullopt;
    }
    std::string error;
    auto parsed = parse_field_path(name, &error);
    if (!parsed) {
      add(path, error);
      return std::nullopt;
    }
    if (!allow_id && parsed->segments.front() == "id") {
      add(path, "'id' holds the document's id and cannot be changed by an operation",
          "choose the id with `id:` (per event type or for the whole projection)");
      return std::nullopt;
    }
    return parsed;
  }

  // A map of `field: value`.
  std::vector<Assignment> assignments(const Json& spec, const std::string& path,
                                      const std::string& op) {
    std::vector<Assignment> out;
    if (!spec.is_object()) {
      add(path, op + " expects a map of field: value, got " + describe(spec));
      return out;
    }
    for (const auto& [name, value] : spec.items()) {
      std::string at = config_path(path, name);
      const std::size_t before = issues_.size();
      auto target = field_name(name, at, false);
      ValueExpr expr = ValueExpr::compile(value, at, issues_);
      // Only clean ones, so later checks do not report a bad reference twice.
      if (target && issues_.size() == before) out.push_back({std::move(*target), std::move(expr)});
    }
    return out;
  }

  std::vector<Assignment> numeric(const Json& spec, const std::string& path,
                                  const std::string& op) {
    std::vector<Assignment> out = assignments(spec, path, op);
    for (const auto& a : out) {
      std::string at = config_path(path, a.field.text);
      if (a.value.is_constant()) {
        if (!a.value.constant().is_number()) {
          add(at,
              op + " takes a number or a reference to one, got " + describe(a.value.constant()));
        }
      } else if (const Reference* ref = a.value.reference()) {
        if (!ref->may_be_number()) {
          add(at, op + " takes a number, and '" + ref->text() + "' is never one",
              "name a numeric field, e.g. $event.data.total");
        }
      } else {
        add(at, op + " takes a number or a reference to one, got an object or list");
      }
    }
    return out;
  }

  Rule compile_rule(const std::string& type, const Json& spec, const std::string& path) {
    Rule rule;
    rule.event_type = type;
    if (!spec.is_object()) {
      add(path, "expected a map of operations, got " + describe(spec),
          "operations: " + gateway::join_words(operation_keys()));
      return rule;
    }
    const auto& known = operation_keys();
    for (const auto& [key, value] : spec.items()) {
      std::string at = config_path(path, key);
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string hint = gateway::did_you_mean(key, known);
        add(at, "unknown operation '" + key + "'",
            hint.empty() ? "operations: " + gateway::join_words(known) : hint);
      } else if (key == "id") {
        rule.id = compile_id(value, at);
      } else if (key == "set") {
        rule.set = assignments(value, at, "set");
      } else if (key == "increment") {
        rule.increment = numeric(value, at, "increment");
      } else if (key == "decrement") {
        rule.decrement = numeric(value, at, "decrement");
      } else if (key == "append") {
        rule.append = assignments(value, at, "append");
      } else if (key == "pull") {
        rule.pull = assignments(value, at, "pull");
      } else if (key == "remove") {
        compile_remove(value, at, rule);
      } else if (key == "merge") {
        compile_merge(value, at, rule);
      } else if (key == "delete" || key == "upsert") {
        if (!value.is_boolean()) {
          add(at, key + " expects true or false, got " + describe(value));
        } else {
          (key == "delete" ? rule.delete_document : rule.upsert) = value.get<bool>();
        }
      }
    }
    if (rule.delete_document) {
      std::vector<std::string> others;
      for (const auto& key :
           {"merge", "set", "increment", "decrement", "append", "pull", "remove"}) {
        if (spec.contains(key)) others.emplace_back(key);
      }
      if (!others.empty()) {
        add(config_path(path, "delete"),
            "delete: true removes the document; it cannot be combined with " +
                gateway::join_words(others),
            "use remove: [fields] to drop fields and keep the document");
      }
    }
    return rule;
  }

  void compile_remove(const Json& value, const std::string& at, Rule& rule) {
    if (!value.is_array()) {
      add(at, "remove expects a list of field names, got " + describe(value),
          "a list is written [a, b] or as lines starting with '- '");
      return;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto f = field(value[i], config_path(at, std::to_string(i)), false)) {
        rule.remove.push_back(std::move(*f));
      }
    }
  }

  void compile_merge(const Json& value, const std::string& at, Rule& rule) {
    const std::string hint = "e.g. merge: $event.data";
    if (!value.is_string() || value.get_ref<const std::string&>().rfind('$', 0) != 0 ||
        value.get_ref<const std::string&>().rfind("$$", 0) == 0) {
      add(at, "merge expects a reference to an object in the event, got " + describe(value), hint);
      return;
    }
    ConfigIssue problem{at, "", ""};
    auto ref = Reference::parse(value.get_ref<const std::string&>(), &problem);
    if (!ref) {
      issues_.push_back(std::move(problem));
    } else if (!ref->may_be_object()) {
      add(at, "merge expects an object, and '" + ref->text() + "' is never one", hint);
    } else {
      rule.merge = std::move(ref);
    }
  }

  std::vector<ConfigIssue> issues_;
};

OptionSpec field_map(const std::string& key, const std::string& description) {
  return opt::map(key, opt::any("value", "A constant or a $ reference."), description);
}

}  // namespace

bool Rule::may_change(const FieldPath& field) const {
  if (merge) return true;
  // One path inside the other (or the same): a change to either reaches it.
  auto overlaps = [&](const FieldPath& target) {
    std::size_t n = std::min(target.segments.size(), field.segments.size());
    return std::equal(target.segments.begin(), target.segments.begin() + n, field.segments.begin());
  };
  for (const auto* list : {&set, &increment, &decrement, &append, &pull}) {
    for (const auto& a : *list) {
      if (overlaps(a.field)) return true;
    }
  }
  return std::any_of(remove.begin(), remove.end(), overlaps);
}

const std::vector<std::string>& operation_keys() {
  static const std::vector<std::string> keys = {"merge",  "set",  "increment", "decrement",
                                                "append", "pull", "remove",    "delete",
                                                "upsert", "id"};
  return keys;
}

ConfigSchema config_schema() {
  OptionSpec rule = opt::object(
      "operations",
      {
          opt::string("id",
                      "Document id for this event type, overriding the projection's `id` "
                      "(e.g. $event.data.user_id to gather orders per user)."),
          opt::string("merge",
                      "Reference to an object in the event (e.g. $event.data) whose keys are "
                      "copied into the document (shallow). Runs first."),
          field_map("set",
                    "field: value. Dotted fields (address.city) make nested objects. A "
                    "reference the event lacks leaves the field alone."),
          field_map("increment",
                    "field: number or reference. A missing field starts at 0; integers stay "
                    "integers."),
          field_map("decrement", "field: number or reference; subtracts, like increment."),
          field_map("append", "field: value appended to a list (made when missing)."),
          field_map("pull", "field: value; removes every equal element from a list."),
          opt::list("remove", opt::string("field", "A field to remove."),
                    "Fields to remove from the document. Runs last."),
          opt::boolean("delete",
                       "true: delete the document. Cannot be combined with other operations."),
          opt::boolean("upsert",
                       "false: only change a document that exists; the event is skipped "
                       "otherwise. Default true."),
      },
      "What an event of this type does to its document.");
  return {
      opt::string("id",
                  "Reference (or constant) that names the document an event changes: "
                  "$stream.id, or an event field such as $event.data.user_id.")
          .def("$stream.id"),
      opt::list("search", opt::string("field", "A document field (dotted for nested)."),
                "Fields that q= searches, case-insensitively (ASCII, Latin, Greek and Cyrillic "
                "letters). Empty: every "
                "top-level string field.")
          .def(Json::array()),
      opt::string("sort", "Default sort field of lists and searches; empty: by id.").def(""),
      opt::map("on", rule,
               "Event type -> operations. Events of other types only advance the position.")
          .req(),
  };
}

std::vector<ConfigIssue> check_config(const Json& config) {
  Compiler compiler;
  compiler.compile(config);
  return compiler.take();
}

DocumentConfig compile_config(const Json& config) {
  Compiler compiler;
  DocumentConfig out = compiler.compile(config);
  std::vector<ConfigIssue> issues = compiler.take();
  if (!issues.empty()) throw ConfigError(std::move(issues));
  return out;
}

}  // namespace herald::plugins::document
