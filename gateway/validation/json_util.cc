#include "validation/json_util.h"

#include <cmath>
#include <cstdint>
#include <functional>

namespace herald::gateway::validation {
namespace {

// An integer as sign and magnitude, so int64 and uint64 compare exactly.
struct Magnitude {
  bool negative;
  std::uint64_t value;
};

Magnitude magnitude(const Json& n) {
  if (n.is_number_unsigned()) return {false, n.get<std::uint64_t>()};
  const std::int64_t v = n.get<std::int64_t>();
  if (v >= 0) return {false, static_cast<std::uint64_t>(v)};
  return {true, ~static_cast<std::uint64_t>(v) + 1};
}

std::size_t mix(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace

int compare_numbers(const Json& a, const Json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const Magnitude x = magnitude(a);
  const Magnitude y = magnitude(b);
  if (x.negative != y.negative) return x.negative ? -1 : 1;
  if (x.value == y.value) return 0;
  const bool x_smaller = x.value < y.value;
  return (x_smaller != x.negative) ? -1 : 1;
}

bool json_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::value_t::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!json_equal(a[i], b[i])) return false;
      }
      return true;
    }
    case Json::value_t::object: {
      if (a.size() != b.size()) return false;
      for (auto it = a.begin(); it != a.end(); ++it) {
        auto other = b.find(it.key());
        if (other == b.end() || !json_equal(it.value(), *other)) return false;
      }
      return true;
    }
    default:
      return a == b;
  }
}

std::size_t json_hash(const Json& value) {
  switch (value.type()) {
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: {
      // Hash through double so that 1 and 1.0 land in the same bucket; exact
      // integer equality is still decided by json_equal.
      double d = value.get<double>();
      if (d == 0) d = 0;  // -0.0 == 0.0
      return mix(7, std::hash<double>{}(d));
    }
    case Json::value_t::array: {
      std::size_t seed = 11;
      for (const auto& item : value) seed = mix(seed, json_hash(item));
      return seed;
    }
    case Json::value_t::object: {
      std::size_t seed = 13;
      for (auto it = value.begin(); it != value.end(); ++it) {
        seed = mix(seed, std::hash<std::string>{}(it.key()));
        seed = mix(seed, json_hash(it.value()));
      }
      return seed;
    }
    default:
      return std::hash<Json>{}(value);
  }
}

bool is_integral(const Json& value) {
  if (value.is_number_integer()) return true;  // also true for unsigned
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

std::string_view type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return is_integral(value) ? "integer" : "number";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "unknown";
  }
}

std::string child_pointer(const std::string& pointer, std::string_view token) {
  return pointer + "/" + escape_pointer_token(token);
}

std::string preview(const Json& value, std::size_t max_chars) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() <= max_chars) return text;
  std::size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += "…";
  return text;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace herald::gateway::validation
