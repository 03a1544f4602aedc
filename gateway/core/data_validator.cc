#include "core/data_validator.h"

#include "validation/json_schema.h"

namespace herald::gateway {

namespace {
// Enough for a user to fix a payload; a hostile one cannot make a huge answer.
constexpr std::size_t kMaxErrors = 50;
}  // namespace

DataValidator make_data_validator(const Json& schema) {
  JsonSchema compiled(schema);  // throws SchemaError: reported at start-up
  return [compiled = std::move(compiled)](const Json& data) {
    std::vector<std::string> errors;
    if (compiled.is_valid(data)) return errors;
    for (const auto& e : compiled.validate(data, kMaxErrors)) errors.push_back(e.to_string());
    return errors;
  };
}

}  // namespace herald::gateway
