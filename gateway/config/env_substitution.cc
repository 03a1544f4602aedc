#include "config/env_substitution.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "text/suggest.h"

extern char** environ;

namespace herald::gateway {

namespace {

constexpr const char* kSyntaxHint = "write ${NAME} or ${NAME:-default}; $${ is a literal ${";

// The names of the environment's variables that are set and not empty.
std::vector<std::string> set_variable_names() {
  std::vector<std::string> names;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq != nullptr && eq != *e && eq[1] != '\0')
      names.emplace_back(*e, static_cast<std::size_t>(eq - *e));
  }
  return names;
}

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// The index of the `}` closing the reference whose body starts at `from`,
// counting nested `${` so a default may hold references; npos when unclosed.
std::size_t find_closing_brace(const std::string& text, std::size_t from) {
  int depth = 1;
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text.compare(i, 3, "$${") == 0) {
      i += 2;
    } else if (text.compare(i, 2, "${") == 0) {
      ++depth;
      ++i;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string::npos;
}

void substitute_into(const std::string& text, EnvSubstitution& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out.text += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out.text += text[i++];
      continue;
    }
    std::size_t close = find_closing_brace(text, i + 2);
    if (close == std::string::npos) {
      out.errors.push_back({"unterminated '${' in \"" + text + "\"", kSyntaxHint});
      out.text += text.substr(i);
      return;
    }
    std::string body = text.substr(i + 2, close - i - 2);
    i = close + 1;
    out.substituted = true;

    std::size_t name_end = 0;
    while (name_end < body.size() && is_name_char(body[name_end])) ++name_end;
    std::string name = body.substr(0, name_end);
    bool has_default = body.compare(name_end, 2, ":-") == 0;
    bool well_formed =
        !name.empty() && is_name_start(name.front()) && (name_end == body.size() || has_default);
    if (!well_formed) {
      out.errors.push_back({"invalid variable reference '${" + body + "}'", kSyntaxHint});
      continue;
    }

    const char* value = std::getenv(name.c_str());
    if (value != nullptr && (*value != '\0' || !has_default)) {
      out.text += value;
    } else if (has_default) {
      substitute_into(body.substr(name_end + 2), out);
    } else {
      // A misspelt name is the likelier story when a close one is set.
      const std::string close = closest_match(name, set_variable_names());
      out.errors.push_back(
          {"environment variable " + name + " is not set",
           (close.empty() ? "" : "did you mean " + close + ", which is set? Otherwise ") +
               "set it, or give a default: ${" + name + ":-value}"});
    }
  }
}

}  // namespace

EnvSubstitution substitute_env(const std::string& text) {
  EnvSubstitution out;
  if (text.find('$') == std::string::npos) {
    out.text = text;
    return out;
  }
  substitute_into(text, out);
  return out;
}

}  // namespace herald::gateway
