#include "validation/json_schema.h"

#include "validation/schema_compiler.h"
#include "validation/schema_node.h"

namespace herald::gateway {

SchemaError::SchemaError(std::string schema_pointer, const std::string& reason)
    : std::invalid_argument("invalid JSON Schema at \"" + schema_pointer + "\": " + reason),
      schema_pointer_(std::move(schema_pointer)),
      reason_(reason) {}

std::string ValidationError::to_string() const {
  return (instance_location.empty() ? "/" : instance_location) + ": " + message;
}

JsonSchema::JsonSchema(const Json& schema) : document_(validation::compile_schema(schema)) {}

std::vector<ValidationError> JsonSchema::validate(const Json& instance,
                                                  std::size_t max_errors) const {
  std::vector<ValidationError> errors;
  if (max_errors == 0) return errors;
  validation::Context ctx(&errors, max_errors);
  document_->root->validate(instance, validation::InstancePath{}, ctx);
  return errors;
}

bool JsonSchema::is_valid(const Json& instance) const {
  validation::Context ctx(nullptr, 0);
  return document_->root->validate(instance, validation::InstancePath{}, ctx);
}

}  // namespace herald::gateway
