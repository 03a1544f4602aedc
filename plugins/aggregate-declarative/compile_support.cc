#include "compile_support.h"

#include "text/suggest.h"

namespace herald::plugins::declarative {

std::string hint_for(const std::string& word, const std::vector<std::string>& candidates,
                     const std::string& what) {
  if (auto hint = gateway::did_you_mean(word, candidates); !hint.empty()) return hint;
  if (candidates.empty()) return {};
  return what + ": " + join_words(candidates);
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  for (auto it = object.begin(); it != object.end(); ++it) out.push_back(it.key());
  return out;
}

std::string describe_config_value(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean:
      return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer " + value.dump();
    case Json::value_t::number_float: return "number " + value.dump();
    case Json::value_t::string: return "string " + value.dump();
    case Json::value_t::array: return "list";
    case Json::value_t::object: return "map";
    default: return "binary";
  }
}

void check_keys(const Json& object, const std::vector<std::string>& allowed,
                const std::string& path, const std::string& what, Issues& issues) {
  if (!object.is_object()) return;
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (const auto& a : allowed) known = known || a == it.key();
    if (!known) {
      issues.push_back({config_path(path, it.key()), "unknown key '" + it.key() + "' in " + what,
                        hint_for(it.key(), allowed, "known keys")});
    }
  }
}

const Json* declared_properties(const Json* schema) {
  if (schema == nullptr || !schema->is_object()) return nullptr;
  auto props = schema->find("properties");
  if (props == schema->end() || !props->is_object()) return nullptr;
  if (schema->contains("patternProperties")) return nullptr;
  auto extra = schema->find("additionalProperties");
  if (extra != schema->end() && !(extra->is_boolean() && !extra->get<bool>())) return nullptr;
  return &*props;
}

}  // namespace herald::plugins::declarative
