// JSON Pointer (RFC 6901) reference tokens. Any thread; no state.
//
// Config problems (ConfigIssue::path) and validation errors name where they
// are with JSON pointers; a key holding '/' or '~' must be escaped to stay
// one token.
#pragma once

#include <string>
#include <string_view>

namespace herald {

// "a/b~c" -> "a~1b~0c".
inline std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// "a~1b~0c" -> "a/b~c". A '~' not followed by 0 or 1 is kept as it is.
inline std::string unescape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

// A ConfigIssue::path (tokens joined by '/', no leading '/') extended by one
// key or array index: ("commands", "a/b") -> "commands/a~1b"; ("", "x") -> "x".
inline std::string config_path(std::string_view base, std::string_view key) {
  std::string token = escape_pointer_token(key);
  if (base.empty()) return token;
  std::string out;
  out.reserve(base.size() + 1 + token.size());
  out.append(base).append("/").append(token);
  return out;
}

inline std::string config_path(std::string_view base, std::size_t index) {
  std::string out(base);
  if (!out.empty()) out += '/';
  out += std::to_string(index);
  return out;
}

}  // namespace herald
