#include "document_fields.h"

#include <cmath>
#include <cstdint>

#include "herald/utf8.h"

namespace herald::plugins::document {

namespace {

// Every integer below 2^53 is exact in a double, so a whole float in this
// range prints the same as the integer it equals.
constexpr double kExactIntegerLimit = 9007199254740992.0;

int rank(const Json& v) {
  switch (v.type()) {
    case Json::value_t::boolean: return 0;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return 1;
    case Json::value_t::string: return 2;
    case Json::value_t::array: return 3;
    case Json::value_t::object: return 4;
    default: return 5;
  }
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

int sign(int c) {
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// fold_case(a) against fold_case(b), then the exact bytes: the order of
// SortKey. ASCII byte by byte; from the first other byte on, the folded rest.
int compare_strings(const std::string& a, const std::string& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto ua = static_cast<unsigned char>(a[i]);
    const auto ub = static_cast<unsigned char>(b[i]);
    if (ua >= 0x80 || ub >= 0x80) {
      int c = fold_case(std::string_view(a).substr(i))
                  .compare(fold_case(std::string_view(b).substr(i)));
      return c != 0 ? sign(c) : sign(a.compare(b));
    }
    char x = lower(a[i]);
    char y = lower(b[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y) ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

int compare_numbers(const Json& a, const Json& b) {
  // long double holds every int64 and uint64 exactly on the platforms we build
  // for (x86-64: 64-bit mantissa), so integers compare exactly and mixed
  // integer/float pairs compare by value.
  auto as_long_double = [](const Json& v) -> long double {
    if (v.is_number_unsigned()) return static_cast<long double>(v.get<std::uint64_t>());
    if (v.is_number_integer()) return static_cast<long double>(v.get<std::int64_t>());
    return static_cast<long double>(v.get<double>());
  };
  long double x = as_long_double(a);
  long double y = as_long_double(b);
  if (x < y) return -1;
  if (x > y) return 1;
  return 0;
}

}  // namespace

std::optional<FieldPath> parse_field_path(std::string_view text, std::string* error) {
  if (text.empty()) {
    *error = "empty field name";
    return std::nullopt;
  }
  FieldPath path;
  path.text = std::string(text);
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view segment =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (segment.empty()) {
      *error = "empty segment in field path '" + path.text + "'";
      return std::nullopt;
    }
    path.segments.emplace_back(segment);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return path;
}

const Json* find_field(const Json& doc, const FieldPath& path) {
  const Json* at = &doc;
  for (const auto& segment : path.segments) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(segment);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

Json* find_field(Json& doc, const FieldPath& path) {
  return const_cast<Json*>(find_field(static_cast<const Json&>(doc), path));
}

Json* parent_for_write(Json& doc, const FieldPath& path) {
  Json* at = &doc;
  for (std::size_t i = 0; i + 1 < path.segments.size(); ++i) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(path.segments[i]);
    if (it == at->end() || it->is_null()) {
      at = &((*at)[path.segments[i]] = Json::object());
    } else {
      at = &*it;
    }
  }
  return at->is_object() ? at : nullptr;
}

bool erase_field(Json& doc, const FieldPath& path) {
  Json* at = &doc;
  for (std::size_t i = 0; i + 1 < path.segments.size(); ++i) {
    if (!at->is_object()) return false;
    auto it = at->find(path.segments[i]);
    if (it == at->end()) return false;
    at = &*it;
  }
  return at->is_object() && at->erase(path.segments.back()) > 0;
}

std::string string_form(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string: return value.get_ref<const std::string&>();
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(value.get<std::uint64_t>());
    case Json::value_t::number_float: {
      double d = value.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < kExactIntegerLimit) {
        return std::to_string(static_cast<std::int64_t>(d));
      }
      return value.dump();
    }
    case Json::value_t::null: return "null";
    default: return value.dump();
  }
}

namespace {

// The lower case of an upper-case letter of Latin-1, Latin Extended-A, Greek
// or Cyrillic (the scripts of most European names); anything else as it is.
char32_t lower_code_point(char32_t c) {
  if (c < 0x80) return static_cast<char32_t>(lower(static_cast<char>(c)));
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;  // À..Þ except ×
  if (c >= 0x100 && c <= 0x17F) {
    if (c == 0x130) return 'i';   // İ
    if (c == 0x178) return 0xFF;  // Ÿ
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
      return (c % 2 == 1) ? c + 1 : c;  // odd upper, even lower
    }
    if (c == 0x138 || c == 0x149 || c == 0x17F) return c;  // ĸ, ŉ, ſ: no pair
    return (c % 2 == 0) ? c + 1 : c;                       // even upper, odd lower
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;  // Α..Ω
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;                // А..Я
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;                // Ѐ..Џ
  if (c == 0x1E9E) return 0xDF;                                 // ẞ
  return c;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {  // the common case, byte by byte
      out += lower(static_cast<char>(lead));
      ++i;
      continue;
    }
    auto [c, n] = decode_utf8(text, i);
    if (n == 0) {  // not UTF-8: the byte as it is
      out += static_cast<char>(lead);
      ++i;
      continue;
    }
    const char32_t folded = lower_code_point(c);
    if (folded == c) {
      out.append(text.substr(i, n));
    } else {
      append_utf8(out, folded);
    }
    i += n;
  }
  return out;
}

int compare_values(const Json& a, const Json& b) {
  int ra = rank(a);
  int rb = rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: return a.get<bool>() == b.get<bool>() ? 0 : (a.get<bool>() ? 1 : -1);
    case 1: return compare_numbers(a, b);
    case 2:
      return compare_strings(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
    default: return sign(a.dump().compare(b.dump()));
  }
}

SortKey make_sort_key(const Json* value) {
  SortKey key;
  if (value == nullptr) return key;
  switch (value->type()) {
    case Json::value_t::boolean:
      key.rank = SortKey::kBool;
      key.number = value->get<bool>() ? 1 : 0;
      break;
    case Json::value_t::number_unsigned:
      key.rank = SortKey::kNumber;
      key.number = static_cast<long double>(value->get<std::uint64_t>());
      break;
    case Json::value_t::number_integer:
      key.rank = SortKey::kNumber;
      key.number = static_cast<long double>(value->get<std::int64_t>());
      break;
    case Json::value_t::number_float:
      key.rank = SortKey::kNumber;
      key.number = static_cast<long double>(value->get<double>());
      break;
    case Json::value_t::string:
      key.rank = SortKey::kString;
      key.exact = value->get_ref<const std::string&>();
      key.text = fold_case(key.exact);
      break;
    case Json::value_t::array:
      key.rank = SortKey::kList;
      key.text = value->dump();
      break;
    case Json::value_t::object:
      key.rank = SortKey::kObject;
      key.text = value->dump();
      break;
    default: break;  // null: missing
  }
  return key;
}

int compare_sort_keys(const SortKey& a, const SortKey& b) {
  if (a.rank != b.rank) return a.rank < b.rank ? -1 : 1;
  if (a.rank == SortKey::kBool || a.rank == SortKey::kNumber) {
    return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  }
  int c = a.text.compare(b.text);
  if (c == 0) c = a.exact.compare(b.exact);
  return sign(c);
}

}  // namespace herald::plugins::document
