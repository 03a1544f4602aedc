// Turns a command's JSON Schema into a DataValidator (compiled once at start).
#pragma once

#include "core/aggregate_repository.h"

namespace herald::gateway {

// Throws std::exception with a message when the schema itself is malformed.
DataValidator make_data_validator(const Json& schema);

}  // namespace herald::gateway
