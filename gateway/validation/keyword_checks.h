// The checks the compiler builds, one class per keyword (or per group of
// keywords that must be read together). Each takes values the compiler has
// already checked, so none of them can fail at validation time for a reason
// other than the instance. Internal to herald_validation.
#pragma once

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "validation/schema_node.h"

namespace herald::gateway::validation {

// Joins nested errors into one clause for the error of an enclosing keyword
// (anyOf, oneOf, propertyNames), at most max_shown of them. Locations equal
// to `here` are left out.
std::string summarize_errors(const std::vector<ValidationError>& errors, const std::string& here,
                             std::size_t max_shown);

// ---- any type (checks_values.cc) ------------------------------------------

// Type names as bits: integer is its own bit because "number" includes it.
enum TypeBits : unsigned {
  kTypeNull = 1,
  kTypeBoolean = 2,
  kTypeInteger = 4,
  kTypeNumber = 8,
  kTypeString = 16,
  kTypeArray = 32,
  kTypeObject = 64,
};

class TypeCheck final : public Check {
 public:
  TypeCheck(std::string location, unsigned allowed, std::vector<std::string> names);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  unsigned allowed_;
  std::vector<std::string> names_;
};

class EnumCheck final : public Check {
 public:
  EnumCheck(std::string location, std::vector<Json> values);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  std::vector<Json> values_;
};

class ConstCheck final : public Check {
 public:
  ConstCheck(std::string location, Json value);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  Json value_;
};

// ---- numbers (checks_values.cc) -------------------------------------------

enum class Bound { kMinimum, kMaximum, kExclusiveMinimum, kExclusiveMaximum };

class NumberBoundCheck final : public Check {
 public:
  NumberBoundCheck(std::string keyword, std::string location, Bound bound, Json limit);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  Bound bound_;
  Json limit_;
};

class MultipleOfCheck final : public Check {
 public:
  MultipleOfCheck(std::string location, Json divisor);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  Json divisor_;
};

// ---- strings (checks_values.cc) -------------------------------------------

class LengthCheck final : public Check {
 public:
  // minLength when is_min, else maxLength; counted in Unicode code points.
  LengthCheck(std::string location, bool is_min, std::size_t limit);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  bool is_min_;
  std::size_t limit_;
};

class PatternCheck final : public Check {
 public:
  PatternCheck(std::string location, std::string source, std::regex regex);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  std::string source_;
  std::regex regex_;
};

class FormatCheck final : public Check {
 public:
  using Predicate = bool (*)(std::string_view);
  // `what` completes `"x" is not a valid ...`, e.g. "email address".
  FormatCheck(std::string location, Predicate predicate, std::string what);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  Predicate predicate_;
  std::string what_;
};

// ---- arrays (checks_containers.cc) ----------------------------------------

// prefixItems and items together: items applies after the prefix.
class ItemsCheck final : public Check {
 public:
  ItemsCheck(std::string keyword, std::string location, std::vector<const Node*> prefix,
             const Node* rest);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  std::vector<const Node*> prefix_;
  const Node* rest_;  // null when "items" is absent
};

class ContainsCheck final : public Check {
 public:
  static constexpr std::size_t kNoMax = static_cast<std::size_t>(-1);
  ContainsCheck(std::string location, const Node* schema, std::size_t min, std::size_t max);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  const Node* schema_;
  std::size_t min_;
  std::size_t max_;
};

// minItems / maxItems / minProperties / maxProperties.
class CountCheck final : public Check {
 public:
  CountCheck(std::string keyword, std::string location, unsigned kinds, bool is_min,
             std::size_t limit);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  bool is_min_;
  std::size_t limit_;
};

class UniqueItemsCheck final : public Check {
 public:
  explicit UniqueItemsCheck(std::string location);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
};

// ---- objects (checks_containers.cc) ---------------------------------------

class RequiredCheck final : public Check {
 public:
  RequiredCheck(std::string location, std::vector<std::string> names);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  std::vector<std::string> names_;
};

class DependentRequiredCheck final : public Check {
 public:
  DependentRequiredCheck(std::string location,
                         std::vector<std::pair<std::string, std::vector<std::string>>> rules);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> rules_;
};

struct PatternProperty {
  std::string source;
  std::regex regex;
  const Node* schema;
};

// properties, patternProperties and additionalProperties: read together
// because "additional" means "matched by neither of the others".
class PropertiesCheck final : public Check {
 public:
  PropertiesCheck(std::string location, std::map<std::string, const Node*, std::less<>> named,
                  std::vector<PatternProperty> patterns, const Node* additional,
                  std::string additional_location);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  std::map<std::string, const Node*, std::less<>> named_;
  std::vector<PatternProperty> patterns_;
  const Node* additional_;  // null when absent
  std::string additional_location_;
};

class PropertyNamesCheck final : public Check {
 public:
  PropertyNamesCheck(std::string location, const Node* schema);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;

 private:
  const Node* schema_;
};

// ---- applicators (checks_applicators.cc) ----------------------------------

// $ref, allOf and dependentSchemas: every subschema must hold, and their
// errors are the instance's errors.
class RefCheck final : public Check {
 public:
  RefCheck(std::string location, const Node* target);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  const Node* target_;
};

class AllOfCheck final : public Check {
 public:
  AllOfCheck(std::string location, std::vector<const Node*> branches);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  std::vector<const Node*> branches_;
};

class AnyOfCheck final : public Check {
 public:
  AnyOfCheck(std::string location, std::vector<const Node*> branches);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  std::vector<const Node*> branches_;
};

class OneOfCheck final : public Check {
 public:
  OneOfCheck(std::string location, std::vector<const Node*> branches);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  std::vector<const Node*> branches_;
};

class NotCheck final : public Check {
 public:
  NotCheck(std::string location, const Node* schema);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  const Node* schema_;
};

class IfThenElseCheck final : public Check {
 public:
  // then_schema / else_schema may be null.
  IfThenElseCheck(std::string location, const Node* if_schema, const Node* then_schema,
                  const Node* else_schema);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  const Node* if_;
  const Node* then_;
  const Node* else_;
};

class DependentSchemasCheck final : public Check {
 public:
  DependentSchemasCheck(std::string location,
                        std::vector<std::pair<std::string, const Node*>> schemas);
  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const override;
  void in_place_children(std::vector<const Node*>& out) const override;

 private:
  std::vector<std::pair<std::string, const Node*>> schemas_;
};

}  // namespace herald::gateway::validation
