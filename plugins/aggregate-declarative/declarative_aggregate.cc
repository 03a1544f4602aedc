#include "declarative_aggregate.h"

#include "herald/json_number.h"

namespace herald::plugins::declarative {
namespace {

// The slot at `path` in `state`, made (with objects on the way) when
// missing; nullptr when a step on the way is not an object.
Json* slot_at(Json& state, const Path& path) {
  Json* cur = &state;
  for (const auto& seg : path) {
    if (cur->is_null()) *cur = Json::object();
    if (!cur->is_object()) return nullptr;
    cur = &(*cur)[seg.key];
  }
  return cur;
}

void erase_at(Json& state, const Path& path) {
  Json* parent = &state;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (!parent->is_object()) return;
    auto it = parent->find(path[i].key);
    if (it == parent->end()) return;
    parent = &*it;
  }
  if (parent->is_object() && !path.empty()) parent->erase(path.back().key);
}

Status fold_failed(const RecordedEvent& event, const FoldOp& op, const std::string& why) {
  return Status::failed(event.stream.type + " cannot fold " + event.type + " (version " +
                        std::to_string(event.version) + " of " + event.stream.key() +
                        "): " + op.target_text + " " + why);
}

std::string kind_of(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "a list";
    case Json::value_t::object: return "an object";
    default: return "a number";
  }
}

}  // namespace

DeclarativeAggregate::DeclarativeAggregate(std::shared_ptr<const Model> model)
    : model_(std::move(model)) {}

std::vector<CommandSpec> DeclarativeAggregate::commands() const {
  std::vector<CommandSpec> out;
  out.reserve(model_->command_order.size());
  for (const auto& name : model_->command_order) {
    const CommandRule& rule = model_->commands.at(name);
    out.push_back({rule.type, rule.description, rule.schema});
  }
  return out;
}

std::vector<EventSpec> DeclarativeAggregate::events() const {
  std::vector<EventSpec> out;
  out.reserve(model_->event_order.size());
  for (const auto& name : model_->event_order) {
    const EventRule& rule = model_->events.at(name);
    out.push_back({rule.type, rule.description, rule.schema, rule.schema_version});
  }
  return out;
}

Json DeclarativeAggregate::initial_state() const {
  return model_->initial_state;
}

int DeclarativeAggregate::state_format() const {
  return model_->state_format;
}

Status DeclarativeAggregate::apply(Json& state, const RecordedEvent& event) const {
  auto found = model_->events.find(event.type);
  if (found == model_->events.end()) {
    return Status::failed(event.stream.type + " cannot fold event type '" + event.type +
                          "' (version " + std::to_string(event.version) + " of " +
                          event.stream.key() +
                          "): it is not listed under events: in the aggregate's config");
  }
  if (state.is_null()) state = Json::object();
  if (!state.is_object()) {
    return Status::failed(event.stream.type + " cannot fold " + event.type + " into " +
                          event.stream.key() + ": the state is " + kind_of(state) +
                          ", not an object");
  }
  const EventRule& rule = found->second;
  Scope scope{&event.stream.id, nullptr, nullptr, &event.metadata, &state, &event};
  Json before;
  if (rule.reads_state) {
    before = state;
    scope.state = &before;
  }
  for (const FoldOp& op : rule.fold) {
    if (op.kind == FoldOp::Kind::kRemove) {
      erase_at(state, op.target);
      continue;
    }
    Json value;
    // A value the event does not have leaves the state as it was.
    if (!eval_into(op.value, scope, value)) continue;
    Json* slot = slot_at(state, op.target);
    if (slot == nullptr)
      return fold_failed(event, op, "is inside a state field that is not an object");
    switch (op.kind) {
      case FoldOp::Kind::kSet: *slot = std::move(value); break;
      case FoldOp::Kind::kAppend:
        if (slot->is_null()) *slot = Json::array();
        if (!slot->is_array())
          return fold_failed(event, op, "is " + kind_of(*slot) + ", not a list");
        slot->push_back(std::move(value));
        break;
      case FoldOp::Kind::kIncrement:
        if (!value.is_number()) {
          return fold_failed(event, op, "cannot be increased by " + kind_of(value));
        }
        if (slot->is_null()) {
          *slot = std::move(value);
        } else if (!slot->is_number()) {
          return fold_failed(event, op, "is " + kind_of(*slot) + ", not a number");
        } else {
          *slot = add_numbers(*slot, value);
        }
        break;
      case FoldOp::Kind::kRemove: break;
    }
  }
  return Status::ok();
}

Decision DeclarativeAggregate::decide(const AggregateState& current, const Command& command) const {
  auto found = model_->commands.find(command.type);
  if (found == model_->commands.end()) return Decision::unknown_command();
  const CommandRule& rule = found->second;
  const Scope scope{&command.target.id, &command.data,  &command,
                    &command.metadata,  &current.state, nullptr};
  const bool exists = current.exists();

  std::vector<std::string> errors;
  const bool skip_state = rule.requires_stream && !exists;
  for (const Precondition& p : rule.preconditions) {
    if (skip_state && p.condition.reads_state()) continue;
    if (!holds(p.condition, scope, exists)) errors.push_back(render(p.message, p.condition, scope));
  }
  if (!errors.empty()) return Decision::reject(std::move(errors));

  std::vector<DecidedEvent> events;
  events.reserve(rule.emits.size());
  for (const EmitRule& emit : rule.emits) {
    if (emit.when && !holds(*emit.when, scope, exists)) continue;
    DecidedEvent& out = events.emplace_back();
    out.type = emit.event;
    out.schema_version = emit.schema_version;
    if (!eval_into(emit.data, scope, out.data)) {
      out.data = Json::object();
    } else if (!out.data.is_object()) {
      // Only a reference such as `data: $data.profile` can get here: it is
      // the command's input that is wrong, so the command is rejected.
      return Decision::reject({command.type + ": the data of " + emit.event +
                               " must be an object, but " + emit.data.ref.text + " is " +
                               kind_of(out.data)});
    }
  }
  return Decision::accept(std::move(events));
}

}  // namespace herald::plugins::declarative
