// JSON Schema (draft 2020-12) validation of command and event payloads.
//
// Who calls it: the command router compiles one JsonSchema per command (and,
// where configured, per event type) once at start-up, from the aggregate's
// configuration; a malformed schema throws SchemaError there, so `herald
// check` and start-up report it before anything serves. On the hot path the
// router calls validate() from the HTTP threads, concurrently, on the same
// compiled schema, and turns a non-empty result into a 422 answer that lists
// every error.
//
// What it may assume: a compiled schema is immutable, so validate() is safe
// from any number of threads without locks. Copies share the compiled tree.
// Supported keywords and formats are listed in gateway/validation/README.md;
// $ref works inside one document only (JSON pointers, "$anchor", embedded
// "$id"); a $ref to another document is a SchemaError.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/event.h"

namespace herald::gateway {

namespace validation {
class CompiledDocument;
}

// A schema that cannot be compiled: a wrong keyword value, a pattern that is
// not a regular expression, a $ref that leads nowhere or to another document.
class SchemaError : public std::invalid_argument {
 public:
  // `schema_pointer` is the JSON pointer of the offending value in the schema
  // ("" for the root); what() reads `invalid JSON Schema at "<ptr>": <reason>`.
  SchemaError(std::string schema_pointer, const std::string& reason);
  const std::string& schema_pointer() const noexcept { return schema_pointer_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string schema_pointer_;
  std::string reason_;
};

// One reason an instance does not match its schema.
struct ValidationError {
  // JSON pointer into the instance, "" for the instance itself: "/items/0/quantity".
  std::string instance_location;
  // The schema keyword that failed: "required", "minimum", "format", ...
  std::string keyword;
  // JSON pointer of that keyword in the schema document: "/properties/age/minimum".
  std::string schema_location;
  // Words for the user who sent the payload: `must be >= 1, got 0`.
  std::string message;

  // `/items/0/quantity: must be >= 1, got 0`; the root shows as "/".
  std::string to_string() const;
};

class JsonSchema {
 public:
  static constexpr std::size_t kAllErrors = std::numeric_limits<std::size_t>::max();

  // Compiles `schema` (an object or a boolean). Throws SchemaError.
  explicit JsonSchema(const Json& schema);

  // Every error of `instance`, empty when it is valid. The order is stable:
  // the value's own keywords (type, enum, bounds, required, ...) before its
  // properties and items, which come by name and index.
  // Stops after `max_errors`, so a hostile payload cannot make a huge answer.
  std::vector<ValidationError> validate(const Json& instance,
                                        std::size_t max_errors = kAllErrors) const;

  // Same verdict as validate().empty(), without building any message.
  bool is_valid(const Json& instance) const;

 private:
  std::shared_ptr<const validation::CompiledDocument> document_;
};

}  // namespace herald::gateway
