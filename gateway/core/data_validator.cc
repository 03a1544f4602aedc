#include "core/data_validator.h"

namespace herald::gateway {

// Interim: until the JSON Schema validator lands, only checks that data is an
// object; the aggregate's decide() checks its own fields.
DataValidator make_data_validator(const Json& schema) {
  (void)schema;
  return [](const Json& data) {
    std::vector<std::string> errors;
    if (!data.is_object()) errors.push_back("data must be an object");
    return errors;
  };
}

}  // namespace herald::gateway
