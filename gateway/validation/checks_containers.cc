// Checks on arrays and objects.
#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "text/suggest.h"
#include "validation/json_util.h"
#include "validation/keyword_checks.h"

namespace herald::gateway::validation {
namespace {

std::string quote_name(std::string_view name) { return preview(Json(std::string(name)), 80); }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

ItemsCheck::ItemsCheck(std::string keyword, std::string location, std::vector<const Node*> prefix,
                       const Node* rest)
    : Check(std::move(keyword), std::move(location), kArrayBit),
      prefix_(std::move(prefix)),
      rest_(rest) {}

bool ItemsCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  bool ok = true;
  const std::size_t size = instance.size();
  const std::size_t prefix = std::min(size, prefix_.size());
  for (std::size_t i = 0; i < prefix; ++i) {
    if (!prefix_[i]->validate(instance[i], path.child(i), ctx)) {
      ok = false;
      if (ctx.done()) return false;
    }
  }
  if (rest_ == nullptr || size <= prefix_.size()) return ok;
  if (rest_->is_false()) {
    // One error for the array reads better than one "not allowed" per item.
    return fail(path, ctx, [&] {
      if (prefix_.empty()) return "must be empty, got " + plural(size, "item", "items");
      return "must have at most " + plural(prefix_.size(), "item", "items") + ", got " +
             std::to_string(size);
    });
  }
  for (std::size_t i = prefix_.size(); i < size; ++i) {
    if (!rest_->validate(instance[i], path.child(i), ctx)) {
      ok = false;
      if (ctx.done()) return false;
    }
  }
  return ok;
}

ContainsCheck::ContainsCheck(std::string location, const Node* schema, std::size_t min,
                             std::size_t max)
    : Check("contains", std::move(location), kArrayBit), schema_(schema), min_(min), max_(max) {}

bool ContainsCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  std::size_t matches = 0;
  Context verdict = ctx.verdict_only();
  for (std::size_t i = 0; i < instance.size(); ++i) {
    if (schema_->validate(instance[i], path.child(i), verdict)) {
      ++matches;
      if (matches >= min_ && max_ == kNoMax) return true;
      if (matches > max_) break;
    }
  }
  if (matches >= min_ && matches <= max_) return true;
  return fail(path, ctx, [&] {
    if (matches < min_) {
      if (min_ == 1) {
        return std::string("must contain an item that matches the \"contains\" schema");
      }
      return "must contain at least " + plural(min_, "item", "items") +
             " that match the \"contains\" schema, got " + std::to_string(matches);
    }
    return "must contain at most " + plural(max_, "item", "items") +
           " that match the \"contains\" schema, got " + std::to_string(matches);
  });
}

CountCheck::CountCheck(std::string keyword, std::string location, unsigned kinds, bool is_min,
                       std::size_t limit)
    : Check(std::move(keyword), std::move(location), kinds), is_min_(is_min), limit_(limit) {}

bool CountCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  const std::size_t size = instance.size();
  if (is_min_ ? size >= limit_ : size <= limit_) return true;
  return fail(path, ctx, [&] {
    const bool array = instance.is_array();
    const std::string what =
        array ? plural(limit_, "item", "items") : plural(limit_, "property", "properties");
    return std::string(is_min_ ? "must have at least " : "must have at most ") + what + ", got " +
           std::to_string(size);
  });
}

UniqueItemsCheck::UniqueItemsCheck(std::string location)
    : Check("uniqueItems", std::move(location), kArrayBit) {}

bool UniqueItemsCheck::validate(const Json& instance, const InstancePath& path,
                                Context& ctx) const {
  // Pairwise for the short arrays commands carry; hashing beyond that.
  constexpr std::size_t kPairwiseLimit = 16;
  bool ok = true;
  auto report = [&](std::size_t first, std::size_t second) {
    ok = false;
    fail(path, ctx, [&] {
      return "must not contain duplicates: item " + std::to_string(second) + " equals item " +
             std::to_string(first);
    });
  };
  const std::size_t size = instance.size();
  if (size <= kPairwiseLimit) {
    for (std::size_t j = 1; j < size; ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (json_equal(instance[i], instance[j])) {
          report(i, j);
          if (ctx.done()) return false;
          break;
        }
      }
    }
    return ok;
  }
  std::unordered_multimap<std::size_t, std::size_t> seen;
  seen.reserve(size);
  for (std::size_t j = 0; j < size; ++j) {
    const std::size_t hash = json_hash(instance[j]);
    auto [begin, end] = seen.equal_range(hash);
    bool duplicate = false;
    for (auto it = begin; it != end; ++it) {
      if (json_equal(instance[it->second], instance[j])) {
        report(it->second, j);
        if (ctx.done()) return false;
        duplicate = true;
        break;
      }
    }
    if (!duplicate) seen.emplace(hash, j);
  }
  return ok;
}

RequiredCheck::RequiredCheck(std::string location, std::vector<std::string> names)
    : Check("required", std::move(location), kObjectBit), names_(std::move(names)) {}

bool RequiredCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  bool ok = true;
  for (const std::string& name : names_) {
    if (instance.contains(name)) continue;
    ok = false;
    fail(path, ctx, [&] { return "missing required property " + quote_name(name); });
    if (ctx.done()) return false;
  }
  return ok;
}

DependentRequiredCheck::DependentRequiredCheck(
    std::string location, std::vector<std::pair<std::string, std::vector<std::string>>> rules)
    : Check("dependentRequired", std::move(location), kObjectBit), rules_(std::move(rules)) {}

bool DependentRequiredCheck::validate(const Json& instance, const InstancePath& path,
                                      Context& ctx) const {
  bool ok = true;
  for (const auto& rule : rules_) {
    // Not a structured binding: the message lambda captures it, which clang
    // before 16 refuses.
    const std::string& trigger = rule.first;
    if (!instance.contains(trigger)) continue;
    for (const std::string& name : rule.second) {
      if (instance.contains(name)) continue;
      ok = false;
      fail(path, ctx, [&] {
        return "missing property " + quote_name(name) + ", required when " + quote_name(trigger) +
               " is present";
      });
      if (ctx.done()) return false;
    }
  }
  return ok;
}

PropertiesCheck::PropertiesCheck(std::string location,
                                 std::map<std::string, const Node*, std::less<>> named,
                                 std::vector<PatternProperty> patterns, const Node* additional,
                                 std::string additional_location)
    : Check("properties", std::move(location), kObjectBit),
      named_(std::move(named)),
      patterns_(std::move(patterns)),
      additional_(additional),
      additional_location_(std::move(additional_location)) {}

bool PropertiesCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  bool ok = true;
  // A `false` subschema reads better as "property x is not allowed" at the
  // object than as "no value is allowed here" at the property.
  auto apply = [&](const Node* schema, const std::string& name, const Json& value,
                   const char* keyword, const std::string& location) {
    if (schema->is_false()) {
      ok = false;
      if (ctx.collecting()) {
        std::string message = "property " + quote_name(name) + " is not allowed";
        // A misspelt property ("nme") meets `additionalProperties: false`:
        // name the declared one it is likely meant to be, if not also sent.
        if (std::string_view(keyword) == "additionalProperties") {
          std::vector<std::string> absent;
          for (const auto& [declared, declared_schema] : named_) {
            if (!instance.contains(declared)) absent.push_back(declared);
          }
          if (auto hint = did_you_mean(name, absent); !hint.empty()) message += " (" + hint + ")";
        }
        ctx.add({path.to_pointer(), keyword, location, std::move(message)});
      }
      return;
    }
    if (!schema->validate(value, path.child(name), ctx)) ok = false;
  };
  for (auto it = instance.begin(); it != instance.end(); ++it) {
    const std::string& name = it.key();
    bool matched = false;
    if (auto found = named_.find(name); found != named_.end()) {
      matched = true;
      apply(found->second, name, it.value(), "properties", found->second->schema_location());
    }
    for (const PatternProperty& pattern : patterns_) {
      if (!ok && ctx.done()) return false;
      if (std::regex_match(name, pattern.regex)) {  // a search: see compile_regex
        matched = true;
        apply(pattern.schema, name, it.value(), "patternProperties",
              pattern.schema->schema_location());
      }
    }
    if (!matched && additional_ != nullptr) {
      apply(additional_, name, it.value(), "additionalProperties", additional_location_);
    }
    if (!ok && ctx.done()) return false;
  }
  return ok;
}

PropertyNamesCheck::PropertyNamesCheck(std::string location, const Node* schema)
    : Check("propertyNames", std::move(location), kObjectBit), schema_(schema) {}

bool PropertyNamesCheck::validate(const Json& instance, const InstancePath& path,
                                  Context& ctx) const {
  bool ok = true;
  for (auto it = instance.begin(); it != instance.end(); ++it) {
    const Json name(it.key());
    Context verdict = ctx.verdict_only();
    if (schema_->validate(name, path, verdict)) continue;
    ok = false;
    fail(path, ctx, [&] {
      if (schema_->is_false()) return "property " + quote_name(it.key()) + " is not allowed";
      std::vector<ValidationError> reasons;
      Context collect = ctx.collect_into(&reasons, 4);
      schema_->validate(name, path, collect);
      return "property name " + quote_name(it.key()) +
             " is invalid: " + summarize_errors(reasons, path.to_pointer(), 3);
    });
    if (ctx.done()) return false;
  }
  return ok;
}

}  // namespace herald::gateway::validation
