// `${VAR}` / `${VAR:-default}` substitution in config scalars.
#pragma once

#include <string>
#include <vector>

namespace herald::gateway {

struct EnvSubstitutionError {
  std::string message;
  std::string hint;
};

struct EnvSubstitution {
  std::string text;
  bool substituted = false;  // at least one ${...} was replaced
  std::vector<EnvSubstitutionError> errors;
};

// Replaces every `${NAME}` and `${NAME:-default}` in `text` from the
// environment, the way a shell or docker compose does:
//   - `${NAME:-default}` takes the default when NAME is unset or empty; the
//     default may be empty and may itself hold `${...}`.
//   - `${NAME}` with NAME unset is an error (the text gets nothing in its
//     place, so every error in a file is found in one pass); set but empty is
//     the empty string.
//   - `$${` is a literal `${`; a `$` not followed by `{` is itself.
// Names are [A-Za-z_][A-Za-z0-9_]*. Substituted values are not scanned again.
EnvSubstitution substitute_env(const std::string& text);

}  // namespace herald::gateway
