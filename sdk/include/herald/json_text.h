// Compact JSON text, written fast. Any thread; no state.
//
// append_json(out, j) appends exactly what j.dump() makes (compact,
// ensure_ascii false) to `out`. Objects, arrays, plain ASCII strings,
// integers, booleans and null, which is nearly all event data and every
// command answer, are written directly; the rest (escapes, UTF-8, floats)
// goes through nlohmann's serializer, whose construction (an allocation and
// a localeconv() call) costs more than writing a small event. The gateway
// uses it for HTTP answers and the memory store for its log.
#pragma once

#include <charconv>
#include <string>

#include "herald/event.h"

namespace herald {

namespace json_text_detail {

// nlohmann's own serializer, for what the fast path leaves to it.
inline void dump_into(std::string& out, const Json& j, Json::error_handler_t on_bad_utf8) {
  nlohmann::detail::serializer<Json> serializer(
      nlohmann::detail::output_adapter<char, std::string>(out), ' ', on_bad_utf8);
  serializer.dump(j, /*pretty_print=*/false, /*ensure_ascii=*/false, /*indent_step=*/0);
}

// A string that serializes as itself between quotes: ASCII without quotes,
// backslashes or control characters.
inline bool plain(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

// A plain() string as JSON: itself between quotes.
inline void append_quoted(std::string& out, const std::string& s) {
  out.push_back('"');
  out.append(s);
  out.push_back('"');
}

}  // namespace json_text_detail

// A string as a JSON string: what append_json(out, Json(s), on_bad_utf8)
// appends, without making the Json.
inline void append_json_string(std::string& out, const std::string& s,
                               Json::error_handler_t on_bad_utf8 = Json::error_handler_t::strict) {
  if (!json_text_detail::plain(s)) return json_text_detail::dump_into(out, Json(s), on_bad_utf8);
  json_text_detail::append_quoted(out, s);
}

// An integer as JSON text.
template <typename Integer>
inline void append_json_integer(std::string& out, Integer n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

// `on_bad_utf8`: strict throws Json::type_error on invalid UTF-8 (as dump()
// does); replace writes U+FFFD instead (what an HTTP answer wants).
inline void append_json(std::string& out, const Json& j,
                        Json::error_handler_t on_bad_utf8 = Json::error_handler_t::strict) {
  using json_text_detail::dump_into;
  switch (j.type()) {
    case Json::value_t::null: out.append("null"); return;
    case Json::value_t::boolean:
      out.append(j.get_ref<const Json::boolean_t&>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      if (j.is_number_unsigned()) {
        append_json_integer(out, j.get_ref<const Json::number_unsigned_t&>());
      } else {
        append_json_integer(out, j.get_ref<const Json::number_integer_t&>());
      }
      return;
    case Json::value_t::string: {
      // Not append_json_string: a string that is not plain goes to the
      // serializer as the Json it already is, not as a copy.
      const auto& s = j.get_ref<const Json::string_t&>();
      if (!json_text_detail::plain(s)) return dump_into(out, j, on_bad_utf8);
      return json_text_detail::append_quoted(out, s);
    }
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const Json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, key, on_bad_utf8);
        out.push_back(':');
        append_json(out, value, on_bad_utf8);
      }
      out.push_back('}');
      return;
    }
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const Json& value : j.get_ref<const Json::array_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        append_json(out, value, on_bad_utf8);
      }
      out.push_back(']');
      return;
    }
    default: return dump_into(out, j, on_bad_utf8);  // floats, binary, discarded
  }
}

}  // namespace herald
