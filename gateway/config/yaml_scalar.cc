#include "config/yaml_scalar.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>

namespace herald::gateway {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_of(const std::string& s, std::size_t from, bool (*pred)(char)) {
  if (from >= s.size()) return false;
  for (std::size_t i = from; i < s.size(); ++i) {
    if (!pred(s[i])) return false;
  }
  return true;
}

std::optional<Json> parse_integer(const std::string& text) {
  std::size_t start = 0;
  bool negative = false;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'x')) {
    base = text[1] == 'o' ? 8 : 16;
    start = 2;
    auto ok = base == 8 ? all_of(text, start, [](char c) { return c >= '0' && c <= '7'; })
                        : all_of(text, start, [](char c) {
                            return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                          });
    if (!ok) return std::nullopt;
  } else {
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
      negative = text[0] == '-';
      start = 1;
    }
    if (!all_of(text, start, is_digit)) return std::nullopt;
  }
  const char* first = text.data() + start;
  const char* last = text.data() + text.size();
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(first, last, magnitude, base);
  if (ec == std::errc() && ptr == last) {
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!negative && magnitude <= kMax) return Json(static_cast<std::int64_t>(magnitude));
    if (!negative) return Json(magnitude);
    if (magnitude <= kMax + 1) return Json(static_cast<std::int64_t>(0 - magnitude));
  }
  // Too large for 64 bits: still a number, as YAML says it is.
  double value = 0;
  if (base != 10) return std::nullopt;
  std::from_chars(first, last, value);
  return Json(negative ? -value : value);
}

std::optional<Json> parse_float(const std::string& text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  std::string rest = text.substr(i);
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    double inf = std::numeric_limits<double>::infinity();
    return Json(negative ? -inf : inf);
  }
  if (i == 0 && (rest == ".nan" || rest == ".NaN" || rest == ".NAN")) {
    return Json(std::numeric_limits<double>::quiet_NaN());
  }
  // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  std::size_t j = i;
  std::size_t int_digits = 0;
  while (j < text.size() && is_digit(text[j])) ++j, ++int_digits;
  std::size_t frac_digits = 0;
  if (j < text.size() && text[j] == '.') {
    ++j;
    while (j < text.size() && is_digit(text[j])) ++j, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
    ++j;
    if (j < text.size() && (text[j] == '-' || text[j] == '+')) ++j;
    std::size_t exp_digits = 0;
    while (j < text.size() && is_digit(text[j])) ++j, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (j != text.size()) return std::nullopt;
  double value = 0;
  // from_chars rejects a leading '+' and does not depend on the locale.
  auto [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
  if (ptr != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Beyond double's range: a huge exponent overflows, a tiny one underflows.
    auto e = text.find_first_of("eE");
    bool tiny = e != std::string::npos && e + 1 < text.size() && text[e + 1] == '-';
    value = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return Json(negative ? -value : value);
}

}  // namespace

Json type_plain_scalar(const std::string& text, bool from_substitution) {
  if (text.empty()) return from_substitution ? Json("") : Json(nullptr);
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (auto integer = parse_integer(text)) return *integer;
  if (auto number = parse_float(text)) return *number;
  return text;
}

}  // namespace herald::gateway
