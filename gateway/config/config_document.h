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

  std::string to_string() const;
};

// Thrown at start-up (and by `herald check`) with every problem found.
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
//     literal `${`.
//   - Plain (unquoted) scalars become null / bool / integer / number when they
//     read as one after substitution; quoted scalars stay strings.
//   - Every value's location is kept, keyed by JSON pointer ("/store/config/fsync").
class ConfigDocument {
 public:
  // Throws ConfigErrors (syntax errors with line and column; unset variables).
  static ConfigDocument from_file(const std::string& path);
  static ConfigDocument from_string(const std::string& yaml, const std::string& name);

  const Json& root() const { return root_; }
  Json& root() { return root_; }
  const std::string& file() const { return file_; }

  // The location of the value at `pointer`, or of its nearest ancestor that
  // has one (a default filled in later has none of its own).
  SourceLocation locate(const std::string& pointer) const;
  // For keys: the location of the key itself (where "unknown key" points).
  SourceLocation locate_key(const std::string& pointer) const;

  // "/store/config/fsync" -> "store.config.fsync"; "/aggregates/0/type" -> "aggregates[0].type"
  static std::string dotted(const std::string& pointer);

  // Makes a ConfigProblem from an issue under `base` (a JSON pointer).
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
