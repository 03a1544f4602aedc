// Value templates: a YAML value in which strings starting with '$' are
// references (see reference.h), "$$..." is a literal '$...', and everything
// else is a constant. Objects and lists are resolved recursively; a member
// whose reference is missing is left out.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "reference.h"

namespace herald::plugins::declarative {

struct Value {
  enum class Kind { kConstant, kReference, kObject, kArray };
  Kind kind = Kind::kConstant;
  Json constant;                                       // kConstant
  Reference ref;                                       // kReference
  std::vector<std::pair<std::string, Value>> members;  // kObject
  std::vector<Value> items;                            // kArray

  bool is_constant() const { return kind == Kind::kConstant; }
  // True when any reference inside reads $state.
  bool reads_state() const;
};

// Compiles `node`; references are checked against `scope`, problems reported
// under `where`. An object or list without references becomes one constant.
Value compile_value(const Json& node, const CompileScope& scope, const std::string& where,
                    Issues& issues);

// Resolves `value` into `out`. False when it is a missing reference (`out` is
// then unspecified).
bool eval_into(const Value& value, const Scope& scope, Json& out);

// Resolves `value` without copying where it can: a pointer to the constant or
// to the referenced Json, else to `scratch`. nullptr when missing.
const Json* peek(const Value& value, const Scope& scope, Json& scratch);

}  // namespace herald::plugins::declarative
