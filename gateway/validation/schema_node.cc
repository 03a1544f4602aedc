#include "validation/schema_node.h"

#include "validation/json_util.h"

namespace herald::gateway::validation {
namespace {

int kind_index(const Json& instance) {
  switch (instance.type()) {
    case Json::value_t::null:
      return 0;
    case Json::value_t::boolean:
      return 1;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return 2;
    case Json::value_t::string:
      return 3;
    case Json::value_t::array:
      return 4;
    case Json::value_t::object:
      return 5;
    default:
      return 0;
  }
}

}  // namespace

std::string InstancePath::to_pointer() const {
  std::vector<const InstancePath*> steps;
  for (const InstancePath* p = this; p != nullptr && p->parent != nullptr; p = p->parent) {
    steps.push_back(p);
  }
  std::string out;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    out += '/';
    if ((*it)->index != kNoIndex) {
      out += std::to_string((*it)->index);
    } else {
      out += escape_pointer_token((*it)->key);
    }
  }
  return out;
}

void Node::add(std::unique_ptr<Check> check) {
  for (int kind = 0; kind < kKinds; ++kind) {
    if (check->kinds() & (1u << kind)) by_kind_[kind].push_back(check.get());
  }
  checks_.push_back(std::move(check));
}

bool Node::validate(const Json& instance, const InstancePath& path, Context& ctx) const {
  if (boolean_ == kFalse) {
    if (ctx.collecting()) {
      ctx.add({path.to_pointer(), "false", schema_location_, "no value is allowed here"});
    }
    return false;
  }
  if (ctx.depth_ >= Context::kMaxDepth) {
    if (ctx.collecting()) {
      ctx.add({path.to_pointer(), "$ref", schema_location_,
               "is nested too deeply to validate (more than " + std::to_string(Context::kMaxDepth) +
                   " levels)"});
    }
    return false;
  }
  ++ctx.depth_;
  bool ok = true;
  for (const Check* check : by_kind_[kind_index(instance)]) {
    if (!check->validate(instance, path, ctx)) {
      ok = false;
      if (ctx.done()) break;
    }
  }
  --ctx.depth_;
  return ok;
}

}  // namespace herald::gateway::validation
