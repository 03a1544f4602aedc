#include "value_template.h"

namespace herald::plugins::declarative {

bool Value::reads_state() const {
  switch (kind) {
    case Kind::kConstant: return false;
    case Kind::kReference: return ref.root == Root::kState;
    case Kind::kObject:
      for (const auto& [key, v] : members) {
        if (v.reads_state()) return true;
      }
      return false;
    case Kind::kArray:
      for (const auto& v : items) {
        if (v.reads_state()) return true;
      }
      return false;
  }
  return false;
}

Value compile_value(const Json& node, const CompileScope& scope, const std::string& where,
                    Issues& issues) {
  Value out;
  if (node.is_string()) {
    const auto& s = node.get_ref<const std::string&>();
    if (s.starts_with("$$")) {
      out.constant = s.substr(1);
    } else if (s.starts_with("$")) {
      if (auto ref = parse_reference(s, scope, where, issues)) {
        out.kind = Value::Kind::kReference;
        out.ref = std::move(*ref);
      }
      // On a problem the value stays a null constant; the issue stops start-up.
    } else {
      out.constant = node;
    }
    return out;
  }
  if (node.is_object()) {
    bool all_constant = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      Value member = compile_value(*it, scope, config_path(where, it.key()), issues);
      all_constant = all_constant && member.is_constant();
      out.members.emplace_back(it.key(), std::move(member));
    }
    if (all_constant) {
      out.constant = Json::object();
      for (auto& [key, member] : out.members) out.constant[key] = std::move(member.constant);
      out.members.clear();
    } else {
      out.kind = Value::Kind::kObject;
    }
    return out;
  }
  if (node.is_array()) {
    bool all_constant = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      Value item = compile_value(node[i], scope, config_path(where, i), issues);
      all_constant = all_constant && item.is_constant();
      out.items.push_back(std::move(item));
    }
    if (all_constant) {
      out.constant = Json::array();
      for (auto& item : out.items) out.constant.push_back(std::move(item.constant));
      out.items.clear();
    } else {
      out.kind = Value::Kind::kArray;
    }
    return out;
  }
  out.constant = node;
  return out;
}

bool eval_into(const Value& value, const Scope& scope, Json& out) {
  switch (value.kind) {
    case Value::Kind::kConstant: out = value.constant; return true;
    case Value::Kind::kReference: {
      const Json* found = lookup(value.ref, scope, out);
      if (found == nullptr) return false;
      if (found != &out) out = *found;
      return true;
    }
    case Value::Kind::kObject: {
      out = Json::object();
      auto& object = out.get_ref<Json::object_t&>();
      for (const auto& [key, member] : value.members) {
        Json resolved;
        if (eval_into(member, scope, resolved)) object.emplace(key, std::move(resolved));
      }
      return true;
    }
    case Value::Kind::kArray: {
      out = Json::array();
      auto& array = out.get_ref<Json::array_t&>();
      array.reserve(value.items.size());
      for (const auto& item : value.items) {
        Json resolved;
        if (eval_into(item, scope, resolved)) array.push_back(std::move(resolved));
      }
      return true;
    }
  }
  return false;
}

const Json* peek(const Value& value, const Scope& scope, Json& scratch) {
  switch (value.kind) {
    case Value::Kind::kConstant: return &value.constant;
    case Value::Kind::kReference: return lookup(value.ref, scope, scratch);
    case Value::Kind::kObject:
    case Value::Kind::kArray: return eval_into(value, scope, scratch) ? &scratch : nullptr;
  }
  return nullptr;
}

}  // namespace herald::plugins::declarative
