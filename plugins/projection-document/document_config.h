// The document projection's config: its schema (the one table the gateway's
// checks, defaults and `herald plugins describe document` come from) and the
// compiled rules the projection runs.
//
// Compiled once at start-up on the main thread; a DocumentConfig is then
// immutable and shared by every instance made from it (a rebuild makes a
// fresh projection from the same compiled config).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "document_fields.h"
#include "herald/config_schema.h"
#include "reference.h"

namespace herald::plugins::document {

// `field: value` of set, increment, decrement, append and pull.
struct Assignment {
  FieldPath field;
  ValueExpr value;
};

// What one event type does to its document. apply() runs the operations in
// this fixed order (the order of the members below):
//   merge, set, increment, decrement, append, pull, remove
// so `set` overrides what `merge` brought in, and `remove` can drop a key
// that `merge` copied. `delete: true` stands alone.
struct Rule {
  std::string event_type;
  std::optional<ValueExpr> id;  // per-event document id; else the config's `id`
  bool upsert = true;           // false: only touch a document that exists
  bool delete_document = false;
  std::optional<Reference> merge;
  std::vector<Assignment> set;
  std::vector<Assignment> increment;
  std::vector<Assignment> decrement;
  std::vector<Assignment> append;
  std::vector<Assignment> pull;
  std::vector<FieldPath> remove;

  // Whether the rule may change the configured sort field / a search field,
  // worked out at start-up so apply() skips index and search-text upkeep
  // for rules that cannot affect them (`set: {active: false}`).
  bool touches_sort = false;
  bool touches_search = false;

  // True when an operation may change `field` (or something inside it, or an
  // object that holds it).
  bool may_change(const FieldPath& field) const;
};

struct DocumentConfig {
  ValueExpr id;                                 // default document id
  std::vector<FieldPath> search;                // empty: every top-level string field
  std::optional<FieldPath> sort;                // default sort; none: by id
  std::unordered_map<std::string, Rule> rules;  // by event type

  const Rule* rule_for(const std::string& event_type) const {
    auto it = rules.find(event_type);
    return it == rules.end() ? nullptr : &it->second;
  }
};

// The operation keys a rule under `on:` may hold, in the order apply() runs
// them (then id, upsert, delete).
const std::vector<std::string>& operation_keys();

ConfigSchema config_schema();

// Every problem in `config` (the plugin's `config:` section, with or without
// the schema's defaults filled in), with paths relative to it such as
// "on/UserCreated/set/name". Empty when the config compiles.
std::vector<ConfigIssue> check_config(const Json& config);

// Compiles `config`; throws ConfigError with every problem.
DocumentConfig compile_config(const Json& config);

}  // namespace herald::plugins::document
