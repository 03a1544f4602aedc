// Checks that apply subschemas to the instance itself: $ref, allOf, anyOf,
// oneOf, not, if/then/else, dependentSchemas.
#include "validation/keyword_checks.h"

namespace herald::gateway::validation {
namespace {

// Nested errors kept per branch in a summary: enough to see why, short
// enough to read.
constexpr std::size_t kErrorsPerBranch = 3;

// "[0] must be a string, got integer; [1] /name: missing ..."
std::string summarize_branches(const std::vector<const Node*>& branches, const Json& instance,
                               const InstancePath& path, const Context& ctx) {
  const std::string here = path.to_pointer();
  std::string text;
  for (std::size_t i = 0; i < branches.size(); ++i) {
    std::vector<ValidationError> reasons;
    Context collect = ctx.collect_into(&reasons, kErrorsPerBranch + 1);
    branches[i]->validate(instance, path, collect);
    if (i > 0) text += "; ";
    text += "[" + std::to_string(i) + "] " + summarize_errors(reasons, here, kErrorsPerBranch);
  }
  return text;
}

}  // namespace

std::string summarize_errors(const std::vector<ValidationError>& errors, const std::string& here,
                             std::size_t max_shown) {
  std::string text;
  for (std::size_t i = 0; i < errors.size() && i < max_shown; ++i) {
    const ValidationError& error = errors[i];
    if (i > 0) text += " and ";
    if (error.instance_location != here) {
      text += (error.instance_location.empty() ? "/" : error.instance_location) + ": ";
    }
    text += error.message;
  }
  if (errors.size() > max_shown) text += " and more";
  return text;
}

RefCheck::RefCheck(std::string location, const Node* target)
    : Check("$ref", std::move(location), kAnyKind), target_(target) {}

bool RefCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  return target_->validate(instance, path, ctx);
}

void RefCheck::in_place_children(std::vector<const Node*>& out) const { out.push_back(target_); }

AllOfCheck::AllOfCheck(std::string location, std::vector<const Node*> branches)
    : Check("allOf", std::move(location), kAnyKind), branches_(std::move(branches)) {}

bool AllOfCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  bool ok = true;
  for (const Node* branch : branches_) {
    if (!branch->validate(instance, path, ctx)) {
      ok = false;
      if (ctx.done()) return false;
    }
  }
  return ok;
}

void AllOfCheck::in_place_children(std::vector<const Node*>& out) const {
  out.insert(out.end(), branches_.begin(), branches_.end());
}

AnyOfCheck::AnyOfCheck(std::string location, std::vector<const Node*> branches)
    : Check("anyOf", std::move(location), kAnyKind), branches_(std::move(branches)) {}

bool AnyOfCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  Context verdict = ctx.verdict_only();
  for (const Node* branch : branches_) {
    if (branch->validate(instance, path, verdict)) return true;
  }
  return fail(path, ctx, [&] {
    return "must match at least one schema in \"anyOf\", but matches none of " +
           std::to_string(branches_.size()) + ": " +
           summarize_branches(branches_, instance, path, ctx);
  });
}

void AnyOfCheck::in_place_children(std::vector<const Node*>& out) const {
  out.insert(out.end(), branches_.begin(), branches_.end());
}

OneOfCheck::OneOfCheck(std::string location, std::vector<const Node*> branches)
    : Check("oneOf", std::move(location), kAnyKind), branches_(std::move(branches)) {}

bool OneOfCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  Context verdict = ctx.verdict_only();
  std::vector<std::size_t> matches;
  for (std::size_t i = 0; i < branches_.size(); ++i) {
    if (branches_[i]->validate(instance, path, verdict)) {
      matches.push_back(i);
      // The verdict is known at the second match; go on only for the message.
      if (matches.size() > 1 && !ctx.collecting()) return false;
    }
  }
  if (matches.size() == 1) return true;
  return fail(path, ctx, [&] {
    if (matches.empty()) {
      return "must match exactly one schema in \"oneOf\", but matches none of " +
             std::to_string(branches_.size()) + ": " +
             summarize_branches(branches_, instance, path, ctx);
    }
    std::string list;
    for (std::size_t i = 0; i < matches.size(); ++i) {
      if (i > 0) list += i + 1 == matches.size() ? " and " : ", ";
      list += "[" + std::to_string(matches[i]) + "]";
    }
    return "must match exactly one schema in \"oneOf\", but matches " +
           std::to_string(matches.size()) + ": " + list;
  });
}

void OneOfCheck::in_place_children(std::vector<const Node*>& out) const {
  out.insert(out.end(), branches_.begin(), branches_.end());
}

NotCheck::NotCheck(std::string location, const Node* schema)
    : Check("not", std::move(location), kAnyKind), schema_(schema) {}

bool NotCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  Context verdict = ctx.verdict_only();
  if (!schema_->validate(instance, path, verdict)) return true;
  return fail(path, ctx, [&] {
    if (schema_->is_true()) return std::string("no value is allowed here");
    return std::string("must not match the \"not\" schema");
  });
}

void NotCheck::in_place_children(std::vector<const Node*>& out) const { out.push_back(schema_); }

IfThenElseCheck::IfThenElseCheck(std::string location, const Node* if_schema,
                                 const Node* then_schema, const Node* else_schema)
    : Check("if", std::move(location), kAnyKind),
      if_(if_schema),
      then_(then_schema),
      else_(else_schema) {}

bool IfThenElseCheck::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  Context verdict = ctx.verdict_only();
  const Node* branch = if_->validate(instance, path, verdict) ? then_ : else_;
  return branch == nullptr || branch->validate(instance, path, ctx);
}

void IfThenElseCheck::in_place_children(std::vector<const Node*>& out) const {
  out.push_back(if_);
  if (then_ != nullptr) out.push_back(then_);
  if (else_ != nullptr) out.push_back(else_);
}

DependentSchemasCheck::DependentSchemasCheck(
    std::string location, std::vector<std::pair<std::string, const Node*>> schemas)
    : Check("dependentSchemas", std::move(location), kObjectBit), schemas_(std::move(schemas)) {}

bool DependentSchemasCheck::validate(const Json& instance, const InstancePath& path,
                                     Context& ctx) const {
  bool ok = true;
  for (const auto& [trigger, schema] : schemas_) {
    if (!instance.contains(trigger)) continue;
    if (!schema->validate(instance, path, ctx)) {
      ok = false;
      if (ctx.done()) return false;
    }
  }
  return ok;
}

void DependentSchemasCheck::in_place_children(std::vector<const Node*>& out) const {
  for (const auto& entry : schemas_) out.push_back(entry.second);
}

}  // namespace herald::gateway::validation
