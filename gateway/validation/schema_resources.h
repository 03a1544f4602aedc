// Where the "$id" resources and "$anchor"s of one schema document are, so a
// "$ref" can be turned into a JSON pointer inside that document. Internal to
// herald_validation; used only while compiling.
#pragma once

#include <string>
#include <unordered_map>

#include "herald/event.h"

namespace herald::gateway::validation {

class SchemaResources {
 public:
  // Scans `root`, which must outlive this object. Throws SchemaError for a
  // non-string "$id" or "$anchor".
  explicit SchemaResources(const Json& root);

  // The base URI that applies inside `schema`, found at `pointer` under a
  // schema whose base is `parent_base`: its own "$id" resolved, if any.
  std::string base_of(const Json& schema, const std::string& pointer,
                      const std::string& parent_base) const;

  struct Target {
    std::string pointer;      // JSON pointer of the referenced schema
    const Json* schema;       // the referenced value in the document
    std::string parent_base;  // base URI around it
  };
  // Resolves `ref`, written in a schema whose base URI is `base`. Throws
  // SchemaError at `where` for a reference to another document, to a missing
  // pointer or to an unknown anchor.
  Target resolve(const std::string& ref, const std::string& base, const std::string& where) const;

  // The base URI of a document without "$id". Only something to resolve
  // relative references against; it never leaves the process.
  static constexpr const char* kDefaultBase = "herald:/schema";

 private:
  void scan(const Json& schema, const std::string& pointer, const std::string& parent_base);
  std::string base_above(std::string pointer) const;

  const Json& root_;
  std::unordered_map<std::string, std::string> bases_;      // JSON pointer -> base URI
  std::unordered_map<std::string, std::string> resources_;  // URI -> JSON pointer
  std::unordered_map<std::string, std::string> anchors_;    // URI#name -> JSON pointer
};

}  // namespace herald::gateway::validation
