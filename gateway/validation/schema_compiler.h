// Turns a schema document into a CompiledDocument: checks every keyword
// value, precompiles regular expressions, resolves $ref inside the document.
// Internal to herald_validation.
#pragma once

#include <memory>

#include "validation/schema_node.h"

namespace herald::gateway::validation {

// Throws SchemaError naming the JSON pointer of the offending value.
std::shared_ptr<const CompiledDocument> compile_schema(const Json& schema);

}  // namespace herald::gateway::validation
