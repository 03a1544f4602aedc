#include "document_fields.h"

#include <cmath>
#include <cstdint>

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

int compare_strings(const std::string& a, const std::string& b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    char x = lower(a[i]);
    char y = lower(b[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y) ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
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

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
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
    default: {
      int c = a.dump().compare(b.dump());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
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
      key.text = ascii_lower(key.exact);
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
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace herald::plugins::document
