// Checks on a single value: type, enum, const, numbers, strings, formats.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "validation/json_util.h"
#include "validation/keyword_checks.h"

namespace herald::gateway::validation {
namespace {

std::string with_article(const std::string& type) {
  if (type == "null") return "null";
  if (type == "integer" || type == "object" || type == "array") return "an " + type;
  return "a " + type;
}

std::string number_text(const Json& n) { return preview(n); }

}  // namespace

TypeCheck::TypeCheck(std::string location, unsigned allowed, std::vector<std::string> names)
    : Check("type", std::move(location), kAnyKind), allowed_(allowed), names_(std::move(names)) {}

bool TypeCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  switch (instance.type()) {
    case Json::value_t::null:
      if (allowed_ & kTypeNull) return true;
      break;
    case Json::value_t::boolean:
      if (allowed_ & kTypeBoolean) return true;
      break;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      if (allowed_ & kTypeNumber) return true;
      if ((allowed_ & kTypeInteger) && is_integral(instance)) return true;
      break;
    case Json::value_t::string:
      if (allowed_ & kTypeString) return true;
      break;
    case Json::value_t::array:
      if (allowed_ & kTypeArray) return true;
      break;
    case Json::value_t::object:
      if (allowed_ & kTypeObject) return true;
      break;
    default:
      break;
  }
  return fail(path, ctx, [&] {
    std::string expected;
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (i > 0) expected += i + 1 == names_.size() ? " or " : ", ";
      expected += with_article(names_[i]);
    }
    return "must be " + expected + ", got " + std::string(type_name(instance));
  });
}

EnumCheck::EnumCheck(std::string location, std::vector<Json> values)
    : Check("enum", std::move(location), kAnyKind), values_(std::move(values)) {}

bool EnumCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  for (const Json& value : values_) {
    if (json_equal(instance, value)) return true;
  }
  return fail(path, ctx, [&] {
    // Long lists are cut: the user needs the idea, the schema has the rest.
    constexpr std::size_t kShown = 10;
    std::string list;
    for (std::size_t i = 0; i < values_.size() && i < kShown; ++i) {
      if (i > 0) list += ", ";
      list += preview(values_[i], 40);
    }
    if (values_.size() > kShown) list += ", …";
    return "must be one of " + list + "; got " + preview(instance);
  });
}

ConstCheck::ConstCheck(std::string location, Json value)
    : Check("const", std::move(location), kAnyKind), value_(std::move(value)) {}

bool ConstCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  if (json_equal(instance, value_)) return true;
  return fail(path, ctx,
              [&] { return "must be equal to " + preview(value_) + ", got " + preview(instance); });
}

NumberBoundCheck::NumberBoundCheck(std::string keyword, std::string location, Bound bound,
                                   Json limit)
    : Check(std::move(keyword), std::move(location), kNumberBit),
      bound_(bound),
      limit_(std::move(limit)) {}

bool NumberBoundCheck::validate(const Json& instance, const InstancePath& path,
                                Context& ctx) const {
  const int order = compare_numbers(instance, limit_);
  const char* op = "";
  switch (bound_) {
    case Bound::kMinimum:
      if (order >= 0) return true;
      op = ">=";
      break;
    case Bound::kMaximum:
      if (order <= 0) return true;
      op = "<=";
      break;
    case Bound::kExclusiveMinimum:
      if (order > 0) return true;
      op = ">";
      break;
    case Bound::kExclusiveMaximum:
      if (order < 0) return true;
      op = "<";
      break;
  }
  return fail(path, ctx, [&] {
    return std::string("must be ") + op + " " + number_text(limit_) + ", got " +
           number_text(instance);
  });
}

MultipleOfCheck::MultipleOfCheck(std::string location, Json divisor)
    : Check("multipleOf", std::move(location), kNumberBit), divisor_(std::move(divisor)) {}

bool MultipleOfCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  bool ok;
  if (instance.is_number_integer() && divisor_.is_number_integer()) {
    // Exact for integers; magnitudes only, the sign does not matter.
    auto magnitude = [](const Json& n) -> std::uint64_t {
      if (n.is_number_unsigned()) return n.get<std::uint64_t>();
      const std::int64_t v = n.get<std::int64_t>();
      return v >= 0 ? static_cast<std::uint64_t>(v) : ~static_cast<std::uint64_t>(v) + 1;
    };
    ok = magnitude(instance) % magnitude(divisor_) == 0;
  } else {
    // 0.0075 / 0.0001 is 74.99999999999999 in binary floating point: accept a
    // quotient within a few ulps of an integer rather than demand exactness.
    const double quotient = instance.get<double>() / divisor_.get<double>();
    if (!std::isfinite(quotient)) {
      ok = false;
    } else {
      const double tolerance = std::max(1e-9, std::fabs(quotient) * 8 * DBL_EPSILON);
      ok = std::fabs(quotient - std::round(quotient)) <= tolerance;
    }
  }
  if (ok) return true;
  return fail(path, ctx, [&] {
    return "must be a multiple of " + number_text(divisor_) + ", got " + number_text(instance);
  });
}

LengthCheck::LengthCheck(std::string location, bool is_min, std::size_t limit)
    : Check(is_min ? "minLength" : "maxLength", std::move(location), kStringBit),
      is_min_(is_min),
      limit_(limit) {}

bool LengthCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  const std::string& text = instance.get_ref<const std::string&>();
  // Fast accept without counting: a code point takes at least one byte and at
  // most four.
  if (!is_min_ && text.size() <= limit_) return true;
  if (is_min_ && limit_ <= text.size() / 4) return true;
  const std::size_t length = utf8_length(text);
  if (is_min_ ? length >= limit_ : length <= limit_) return true;
  return fail(path, ctx, [&] {
    if (is_min_ && limit_ == 1) return std::string("must not be empty");
    const char* unit = limit_ == 1 ? " character" : " characters";
    return std::string(is_min_ ? "must be at least " : "must be at most ") +
           std::to_string(limit_) + unit + " long, got " + std::to_string(length);
  });
}

PatternCheck::PatternCheck(std::string location, std::string source, std::regex regex)
    : Check("pattern", std::move(location), kStringBit),
      source_(std::move(source)),
      regex_(std::move(regex)) {}

bool PatternCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  const std::string& text = instance.get_ref<const std::string&>();
  // regex_ is compiled to match the whole string (schema_compiler.cc).
  if (std::regex_match(text.begin(), text.end(), regex_)) return true;
  return fail(path, ctx, [&] {
    return "must match the pattern " + preview(Json(source_), 80) + ", got " + preview(instance);
  });
}

FormatCheck::FormatCheck(std::string location, Predicate predicate, std::string what)
    : Check("format", std::move(location), kStringBit),
      predicate_(predicate),
      what_(std::move(what)) {}

bool FormatCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  if (predicate_(instance.get_ref<const std::string&>())) return true;
  return fail(path, ctx, [&] { return preview(instance) + " is not a valid " + what_; });
}

}  // namespace herald::gateway::validation
