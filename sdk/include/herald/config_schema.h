// A plugin's option schema: the one table its config checks, defaults and
// docs come from (`herald plugins describe NAME`, docs/config-reference.md).
//
// The gateway checks a plugin's `config:` section against the schema before
// it calls the plugin's factory: unknown keys (with a "did you mean"), wrong
// types, missing required keys and out-of-range values are all reported at
// once, with file and line. The factory then gets the config with defaults
// filled in, and may assume every declared key has its declared type.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/event.h"

namespace herald {

enum class OptionType {
  kString,
  kInt,
  kDouble,  // accepts integers too
  kBool,
  kEnum,    // a string from `choices`
  kList,    // items described by items[0]
  kObject,  // keys described by `fields`; unknown keys are errors
  kMap,     // any string keys, values described by items[0]
  kAny,     // any YAML value; the plugin checks it (see PluginDescriptor::validate)
};

inline const char* to_string(OptionType t) {
  switch (t) {
    case OptionType::kString: return "string";
    case OptionType::kInt: return "integer";
    case OptionType::kDouble: return "number";
    case OptionType::kBool: return "boolean";
    case OptionType::kEnum: return "enum";
    case OptionType::kList: return "list";
    case OptionType::kObject: return "object";
    case OptionType::kMap: return "map";
    case OptionType::kAny: return "any";
  }
  return "?";
}

struct OptionSpec {
  std::string key;
  OptionType type = OptionType::kString;
  std::string description;
  bool required = false;
  Json default_value;                  // null: no default
  std::vector<std::string> choices;    // kEnum
  std::vector<OptionSpec> fields;      // kObject
  std::vector<OptionSpec> items;       // kList / kMap: exactly one element
  std::optional<double> minimum;       // kInt / kDouble
  std::optional<double> maximum;

  // Fluent helpers so a schema reads like a table.
  OptionSpec& req() { required = true; return *this; }
  OptionSpec& def(Json value) { default_value = std::move(value); return *this; }
  OptionSpec& min(double v) { minimum = v; return *this; }
  OptionSpec& max(double v) { maximum = v; return *this; }
};

using ConfigSchema = std::vector<OptionSpec>;

namespace opt {
inline OptionSpec make(std::string key, OptionType type, std::string description) {
  OptionSpec s;
  s.key = std::move(key);
  s.type = type;
  s.description = std::move(description);
  return s;
}
inline OptionSpec string(std::string key, std::string d) { return make(std::move(key), OptionType::kString, std::move(d)); }
inline OptionSpec integer(std::string key, std::string d) { return make(std::move(key), OptionType::kInt, std::move(d)); }
inline OptionSpec number(std::string key, std::string d) { return make(std::move(key), OptionType::kDouble, std::move(d)); }
inline OptionSpec boolean(std::string key, std::string d) { return make(std::move(key), OptionType::kBool, std::move(d)); }
inline OptionSpec any(std::string key, std::string d) { return make(std::move(key), OptionType::kAny, std::move(d)); }
inline OptionSpec choice(std::string key, std::vector<std::string> choices, std::string d) {
  auto s = make(std::move(key), OptionType::kEnum, std::move(d));
  s.choices = std::move(choices);
  return s;
}
inline OptionSpec object(std::string key, std::vector<OptionSpec> fields, std::string d) {
  auto s = make(std::move(key), OptionType::kObject, std::move(d));
  s.fields = std::move(fields);
  return s;
}
inline OptionSpec list(std::string key, OptionSpec item, std::string d) {
  auto s = make(std::move(key), OptionType::kList, std::move(d));
  s.items.push_back(std::move(item));
  return s;
}
inline OptionSpec map(std::string key, OptionSpec value, std::string d) {
  auto s = make(std::move(key), OptionType::kMap, std::move(d));
  s.items.push_back(std::move(value));
  return s;
}
}  // namespace opt

// One problem in a plugin's config. `path` is relative to the plugin's
// `config:` section, as JSON-pointer-like segments ("commands/CreateUser/emits/0").
// The gateway turns it into file, line and full YAML path.
struct ConfigIssue {
  std::string path;
  std::string message;
  std::string hint;  // e.g. "did you mean 'UserCreated'?"; may be empty
};

// Thrown at start-up only (factories, validate), never on the hot path.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues)
      : std::runtime_error(issues.empty() ? "config error" : issues.front().message),
        issues_(std::move(issues)) {}
  ConfigError(std::string path, std::string message, std::string hint = {})
      : ConfigError(std::vector<ConfigIssue>{{std::move(path), std::move(message), std::move(hint)}}) {}
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

}  // namespace herald
