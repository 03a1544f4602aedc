// A YAML config file turned into JSON, remembering where each value came from.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/config_schema.h"
#include "herald/event.h"

namespace herald::gateway {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

// One problem found in a config, ready to print:
//   config/herald.yaml:12:5: store.config.fsnyc: unknown key (did you mean 'fsync'?)
struct ConfigProblem {
  SourceLocation where;
  std::string path;     // YAML path, dotted with [i] for list items: store.config.fsync
  std::string message;
  std::string hint;     // may be empty
  std::string plugin;   // plugin whose schema was broken; may be empty

  // "file:line:col: path: message (hint) [plugin NAME]", leaving out what is
  // unknown or empty.
  std::string to_string() const;
};

// Thrown at start-up (and by `herald check`) with every problem found.
// what() is a count line ("config/herald.yaml: 3 problems"), then one
// problem a line.
class ConfigErrors : public std::runtime_error {
 public:
  explicit ConfigErrors(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const { return problems_; }

 private:
  std::vector<ConfigProblem> problems_;
};

// Parses YAML into JSON:
//   - `${VAR}` and `${VAR:-default}` in scalars are taken from the environment;
//     an unset ${VAR} without default is a problem naming the line; `$${` is a
//     literal `${`. `:-` takes the default when VAR is unset or empty (as in a
//     shell). Keys are not substituted. See env_substitution.h.
//   - Plain (unquoted) scalars become null / bool / integer / number when they
//     read as one after substitution (YAML 1.2 core schema, see yaml_scalar.h);
//     quoted and block scalars stay strings. A plain scalar that substitution
//     left empty is "", not null.
//   - Anchors, aliases and merge keys (`<<: *base`) work; a duplicate key in a
//     map is a problem, as is a second YAML document in the file.
//   - Every value's location is kept, keyed by JSON pointer ("/store/config/fsync").
// Built once on the main thread at start-up; afterwards only read.
class ConfigDocument {
 public:
  // Throws ConfigErrors: every problem in the file at once (unset variables,
  // duplicate keys), or the first syntax error with line and column, or one
  // problem naming the path and the reason when the file cannot be read.
  // An empty file is an empty object.
  static ConfigDocument from_file(const std::string& path);
  static ConfigDocument from_string(const std::string& yaml, const std::string& name);

  const Json& root() const { return root_; }
  Json& root() { return root_; }
  const std::string& file() const { return file_; }

  // The location of the value at `pointer`, or of its nearest ancestor that
  // has one (a default filled in later has none of its own).
  SourceLocation locate(const std::string& pointer) const;
  // For keys: the location of the key itself (where "unknown key" points).
  // A list item has no key: its value's location. A pointer not in the file
  // (a missing required key) gets the key of its nearest ancestor that is.
  SourceLocation locate_key(const std::string& pointer) const;

  // "/store/config/fsync" -> "store.config.fsync"; "/aggregates/0/type" -> "aggregates[0].type".
  // A key holding '.', '[', ']', '"' or a space is quoted: hosts["example.com"].
  static std::string dotted(const std::string& pointer);

  // Makes a ConfigProblem from an issue under `base` (a JSON pointer), located
  // with locate_key: the line a reader looks at to change the setting.
  ConfigProblem problem(const std::string& base, const ConfigIssue& issue,
                        const std::string& plugin = {}) const;

 private:
  std::string file_;
  Json root_;
  std::map<std::string, SourceLocation> values_;
  std::map<std::string, SourceLocation> keys_;
  friend class ConfigDocumentBuilder;
};

}  // namespace herald::gateway
