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

}  // namespace json_text_detail

// `on_bad_utf8`: strict throws Json::type_error on invalid UTF-8 (as dump()
// does); replace writes U+FFFD instead (what an HTTP answer wants).
inline void append_json(std::string& out, const Json& j,
                        Json::error_handler_t on_bad_utf8 = Json::error_handler_t::strict) {
  using json_text_detail::dump_into;
  using json_text_detail::plain;
  switch (j.type()) {
    case Json::value_t::null: out.append("null"); return;
    case Json::value_t::boolean:
      out.append(j.get_ref<const Json::boolean_t&>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      char digits[24];
      const auto r = j.is_number_unsigned()
                         ? std::to_chars(digits, digits + sizeof digits,
                                         j.get_ref<const Json::number_unsigned_t&>())
                         : std::to_chars(digits, digits + sizeof digits,
                                         j.get_ref<const Json::number_integer_t&>());
      out.append(digits, r.ptr);
      return;
    }
    case Json::value_t::string: {
      const auto& s = j.get_ref<const Json::string_t&>();
      if (!plain(s)) return dump_into(out, j, on_bad_utf8);
      out.push_back('"');
      out.append(s);
      out.push_back('"');
      return;
    }
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const Json::object_t&>()) {
        if (!first) out.push_back(',');
        first = false;
        if (plain(key)) {
          out.push_back('"');
          out.append(key);
          out.push_back('"');
        } else {
          dump_into(out, Json(key), on_bad_utf8);
        }
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
