// The compiled form of a schema: a graph of Nodes (one per subschema), each a
// list of Checks (one per keyword). Internal to herald_validation.
//
// Everything here is immutable after compilation; evaluation state lives in
// a Context on the caller's stack, which is what makes concurrent validate()
// calls on one schema safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "validation/json_schema.h"

namespace herald::gateway::validation {

// Where the evaluation stands in the instance. Lives on the stack and links
// to its parent, so a JSON pointer string is built only for an error.
struct InstancePath {
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  const InstancePath* parent = nullptr;
  std::string_view key;
  std::size_t index = kNoIndex;

  InstancePath child(std::string_view name) const { return {this, name, kNoIndex}; }
  InstancePath child(std::size_t i) const { return {this, {}, i}; }
  std::string to_pointer() const;
};

// Per-call evaluation state. Without an error sink only the verdict is
// wanted, so checks stop at the first failure and build no message.
class Context {
 public:
  // Bounds recursion through recursive schemas on deeply nested instances, so
  // a hostile payload cannot overflow an HTTP thread's stack.
  static constexpr int kMaxDepth = 256;

  Context(std::vector<ValidationError>* errors, std::size_t max_errors)
      : errors_(errors), max_errors_(max_errors) {}

  // A context that only wants the verdict, at the same depth.
  Context verdict_only() const {
    Context c(nullptr, 0);
    c.depth_ = depth_;
    return c;
  }
  // A context that collects at most max_errors into sink, at the same depth.
  Context collect_into(std::vector<ValidationError>* sink, std::size_t max_errors) const {
    Context c(sink, max_errors);
    c.depth_ = depth_;
    return c;
  }

  bool collecting() const { return errors_ != nullptr && errors_->size() < max_errors_; }
  // After a failure: nothing more is wanted from this evaluation.
  bool done() const { return !collecting(); }
  void add(ValidationError error) { errors_->push_back(std::move(error)); }

  int depth_ = 0;

 private:
  std::vector<ValidationError>* errors_;
  std::size_t max_errors_;
};

class Node;

// Bits for the instance types a check looks at; other types pass untested.
enum KindBits : unsigned {
  kNullBit = 1,
  kBooleanBit = 2,
  kNumberBit = 4,
  kStringBit = 8,
  kArrayBit = 16,
  kObjectBit = 32,
  kAnyKind = 63,
};

// One keyword (or a few that must be read together, such as properties,
// patternProperties and additionalProperties).
class Check {
 public:
  Check(std::string keyword, std::string schema_location, unsigned kinds)
      : keyword_(std::move(keyword)), schema_location_(std::move(schema_location)), kinds_(kinds) {}
  virtual ~Check() = default;
  Check(const Check&) = delete;
  Check& operator=(const Check&) = delete;

  // True when the instance passes. Adds errors to ctx while it collects.
  virtual bool validate(const Json& instance, const InstancePath& path, Context& ctx) const = 0;
  // Subschemas applied to the same instance location: used to refuse $ref
  // cycles that would recurse forever without consuming the instance.
  virtual void in_place_children(std::vector<const Node*>& out) const {}

  const std::string& keyword() const { return keyword_; }
  const std::string& schema_location() const { return schema_location_; }
  unsigned kinds() const { return kinds_; }

 protected:
  // Records an error (building the message only when someone reads it) and
  // returns false, so a check can `return fail(...)`.
  template <typename MakeMessage>
  bool fail(const InstancePath& path, Context& ctx, MakeMessage&& make_message) const {
    if (ctx.collecting()) {
      ctx.add({path.to_pointer(), keyword_, schema_location_, make_message()});
    }
    return false;
  }

 private:
  std::string keyword_;
  std::string schema_location_;
  unsigned kinds_;
};

// One compiled subschema.
class Node {
 public:
  explicit Node(std::string schema_location) : schema_location_(std::move(schema_location)) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  bool validate(const Json& instance, const InstancePath& path, Context& ctx) const;

  // `true` / `false` schemas, and {} which is `true`.
  void set_boolean(bool value) { boolean_ = value ? kTrue : kFalse; }
  bool is_false() const { return boolean_ == kFalse; }
  bool is_true() const { return boolean_ == kTrue || (boolean_ == kNotBoolean && checks_.empty()); }

  void add(std::unique_ptr<Check> check);
  const std::vector<std::unique_ptr<Check>>& checks() const { return checks_; }
  const std::string& schema_location() const { return schema_location_; }

 private:
  enum Boolean { kNotBoolean, kTrue, kFalse };
  static constexpr int kKinds = 6;

  std::string schema_location_;
  Boolean boolean_ = kNotBoolean;
  std::vector<std::unique_ptr<Check>> checks_;
  // The checks that look at each instance type, in schema order: most
  // keywords apply to one type, so most are never even called.
  std::vector<const Check*> by_kind_[kKinds];
};

// The whole compiled schema document; nodes refer to each other by pointer.
class CompiledDocument {
 public:
  std::vector<std::unique_ptr<Node>> nodes;
  const Node* root = nullptr;
};

}  // namespace herald::gateway::validation
