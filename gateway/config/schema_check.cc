#include "config/schema_check.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "config/yaml_scalar.h"
#include "herald/json_pointer.h"
#include "text/suggest.h"

namespace herald::gateway {

namespace {

std::string format_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : std::to_string(v);
}

// How a value reads in a message: `string "abc"`, `integer 5`, `list`.
std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer " + v.dump();
    case Json::value_t::number_float:
      return "number " + format_number(v.get<double>());
    case Json::value_t::string: {
      constexpr std::size_t kMaxShown = 60;
      std::string s = v.get<std::string>();
      if (s.size() > kMaxShown) s = s.substr(0, kMaxShown) + "...";
      return "string " + Json(s).dump();
    }
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "object";
    default:
      return "binary";
  }
}

// The first sentence of a description, to remind the reader what a missing
// key is for without repeating the whole doc.
std::string first_sentence(const std::string& text) {
  auto end = text.find(". ");
  std::string s = end == std::string::npos ? text : text.substr(0, end + 1);
  constexpr std::size_t kMaxHint = 120;
  if (s.size() > kMaxHint) s = s.substr(0, kMaxHint) + "...";
  return s;
}

bool has_defaults(const OptionSpec& spec) {
  return std::any_of(spec.fields.begin(), spec.fields.end(), [](const OptionSpec& f) {
    return !f.default_value.is_null() || (f.type == OptionType::kObject && has_defaults(f));
  });
}

bool has_required(const OptionSpec& spec) {
  return std::any_of(spec.fields.begin(), spec.fields.end(),
                     [](const OptionSpec& f) { return f.required; });
}

class SchemaChecker {
 public:
  std::vector<ConfigIssue> take() { return std::move(issues_); }

  void check_object(Json& value, const std::vector<OptionSpec>& fields, const std::string& path) {
    if (!value.is_object()) {
      type_mismatch(value, OptionType::kObject, path);
      return;
    }
    std::vector<std::string> declared;
    for (const auto& f : fields) declared.push_back(f.key);
    for (const auto& [key, unused] : value.items()) {
      if (std::find(declared.begin(), declared.end(), key) != declared.end()) continue;
      std::string hint = did_you_mean(key, declared);
      if (hint.empty()) {
        hint =
            declared.empty() ? "this section takes no keys" : "known keys: " + join_words(declared);
      }
      add(config_path(path, key), "unknown key", hint);
    }
    for (const auto& f : fields) {
      std::string child = config_path(path, f.key);
      auto it = value.find(f.key);
      bool present = it != value.end();
      if (present && !it->is_null()) {
        check_value(*it, f, child);
        continue;
      }
      // Absent and null mean the same: "not set", so the default applies.
      if (!f.default_value.is_null()) {
        value[f.key] = f.default_value;
        check_value(value[f.key], f, child);
      } else if (f.required) {
        add(child, present ? "a value is required, got null" : "missing required key",
            first_sentence(f.description));
      } else if (f.type == OptionType::kObject && has_defaults(f) && !has_required(f)) {
        // So `gateway.http.threads` has its value even when `http:` is left out.
        value[f.key] = Json::object();
        check_value(value[f.key], f, child);
      } else if (present) {
        // A plugin may then assume every key it finds has its declared type.
        value.erase(f.key);
      }
    }
  }

  void check_value(Json& value, const OptionSpec& spec, const std::string& path) {
    switch (spec.type) {
      case OptionType::kString:
        if (!value.is_string()) type_mismatch(value, spec.type, path);
        return;
      case OptionType::kInt:
        check_int(value, spec, path);
        return;
      case OptionType::kDouble:
        if (!value.is_number()) {
          type_mismatch(value, spec.type, path);
          return;
        }
        // Plugins may read it as a double, whatever the file said.
        if (!value.is_number_float()) value = value.get<double>();
        check_range(value.get<double>(), value, spec, path);
        return;
      case OptionType::kBool:
        if (!value.is_boolean()) type_mismatch(value, spec.type, path);
        return;
      case OptionType::kEnum:
        check_enum(value, spec, path);
        return;
      case OptionType::kList:
        if (!value.is_array()) {
          type_mismatch(value, spec.type, path);
          return;
        }
        if (spec.items.empty()) return;
        for (std::size_t i = 0; i < value.size(); ++i) {
          check_item(value[i], spec.items.front(), config_path(path, i));
        }
        return;
      case OptionType::kObject:
        check_object(value, spec.fields, path);
        return;
      case OptionType::kMap:
        if (!value.is_object()) {
          type_mismatch(value, spec.type, path);
          return;
        }
        if (spec.items.empty()) return;
        for (auto& [key, item] : value.items())
          check_item(item, spec.items.front(), config_path(path, key));
        return;
      case OptionType::kAny:
        return;
    }
  }

 private:
  void add(std::string path, std::string message, std::string hint = {}) {
    issues_.push_back({std::move(path), std::move(message), std::move(hint)});
  }

  void check_item(Json& item, const OptionSpec& spec, const std::string& path) {
    if (item.is_null() && !spec.default_value.is_null()) item = spec.default_value;
    check_value(item, spec, path);
  }

  void check_int(Json& value, const OptionSpec& spec, const std::string& path) {
    if (value.is_number_float()) {
      // 1e3 and 2.0 are whole numbers; 1.5 is not.
      double d = value.get<double>();
      constexpr double kLimit = 9.2e18;
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < kLimit) {
        value = static_cast<std::int64_t>(d);
      }
    }
    if (!value.is_number_integer()) {
      type_mismatch(value, spec.type, path);
      return;
    }
    double as_double = value.is_number_unsigned() ? static_cast<double>(value.get<std::uint64_t>())
                                                  : static_cast<double>(value.get<std::int64_t>());
    check_range(as_double, value, spec, path);
  }

  void check_range(double v, const Json& value, const OptionSpec& spec, const std::string& path) {
    std::string shown = value.is_number_float() ? format_number(v) : value.dump();
    if (spec.minimum && v < *spec.minimum) {
      add(path, "must be at least " + format_number(*spec.minimum) + ", got " + shown);
    } else if (spec.maximum && v > *spec.maximum) {
      add(path, "must be at most " + format_number(*spec.maximum) + ", got " + shown);
    }
  }

  void check_enum(const Json& value, const OptionSpec& spec, const std::string& path) {
    std::string choices = "expected one of " + join_words(spec.choices);
    if (!value.is_string()) {
      add(path, choices + ", got " + describe(value));
      return;
    }
    const auto& s = value.get_ref<const std::string&>();
    if (std::find(spec.choices.begin(), spec.choices.end(), s) != spec.choices.end()) return;
    add(path, choices + ", got " + Json(s).dump(), did_you_mean(s, spec.choices));
  }

  void type_mismatch(const Json& value, OptionType expected, const std::string& path) {
    std::string hint;
    if (value.is_string()) {
      // A quoted "8080" or "true" is a string in YAML; say so.
      Json unquoted = type_plain_scalar(value.get<std::string>());
      bool would_fit = (expected == OptionType::kInt && unquoted.is_number_integer()) ||
                       (expected == OptionType::kDouble && unquoted.is_number()) ||
                       (expected == OptionType::kBool && unquoted.is_boolean());
      if (would_fit) hint = "remove the quotes";
    }
    if (expected == OptionType::kString && value.is_structured()) {
      // `listen: [::1]:8080` and `x: {a}` read as a list or map in YAML.
      hint = "quote a value that starts with '[' or '{'";
    }
    if (expected == OptionType::kList && !value.is_array() && !value.is_null()) {
      hint = "a list is written [a, b] or as lines starting with '- '";
    }
    add(path, std::string("expected ") + to_string(expected) + ", got " + describe(value), hint);
  }

  std::vector<ConfigIssue> issues_;
};

}  // namespace

std::vector<ConfigIssue> check_against_schema(Json& value, const ConfigSchema& schema) {
  // `config:` written with nothing after it is an empty section.
  if (value.is_null()) value = Json::object();
  SchemaChecker checker;
  checker.check_object(value, schema, "");
  return checker.take();
}

}  // namespace herald::gateway
