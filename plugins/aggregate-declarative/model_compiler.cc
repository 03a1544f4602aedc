#include "model_compiler.h"

#include <algorithm>
#include <set>

#include "validation/json_schema.h"

namespace herald::plugins::declarative {
namespace {

const std::vector<std::string> kTopKeys = {"state_format", "initial_state", "commands", "events"};
const std::vector<std::string> kCommandKeys = {"description", "schema", "preconditions", "emit"};
const std::vector<std::string> kEventKeys = {"description", "schema", "schema_version", "fold"};
const std::vector<std::string> kEmitKeys = {"event", "data", "when"};
const std::vector<std::string> kFoldKeys = {"set", "append", "increment", "remove"};

class Compiler {
 public:
  explicit Compiler(const Json& config) : config_(config) {}

  CompileResult run() {
    CompileResult result;
    if (!config_.is_object()) {
      issue("",
            "the config of a declarative aggregate must be a map, got " +
                describe_config_value(config_),
            "it needs commands: and events:");
      result.issues = std::move(issues_);
      return result;
    }
    check_keys(config_, kTopKeys, "", "the config", issues_);
    compile_top();
    const Json* events = section("events");
    const Json* commands = section("commands");
    collect_state_fields(events);
    if (events) compile_events(*events);
    if (commands) compile_commands(*commands);
    for (const auto& name : model_->event_order) {
      if (!emitted_.count(name)) {
        result.warnings.push_back("event " + name +
                                  " is listed in events but no command emits it (fine for an "
                                  "event only older versions emitted)");
      }
    }
    result.issues = std::move(issues_);
    if (result.issues.empty()) result.model = std::move(model_);
    return result;
  }

 private:
  void issue(std::string path, std::string message, std::string hint = {}) {
    issues_.push_back({std::move(path), std::move(message), std::move(hint)});
  }

  // A required map-of-maps section, or nullptr (with an issue).
  const Json* section(const std::string& key) {
    auto it = config_.find(key);
    if (it == config_.end() || it->is_null()) {
      issue(key, "missing required key " + key,
            key == "commands" ? "map each command name to its rules"
                              : "map each event name to how it folds into the state");
      return nullptr;
    }
    if (!it->is_object()) {
      issue(key, key + " must be a map of names to rules, got " + describe_config_value(*it));
      return nullptr;
    }
    if (key == "commands" && it->empty()) {
      issue(key, "commands is empty: the aggregate would accept no command");
      return nullptr;
    }
    return &*it;
  }

  void compile_top() {
    auto format = config_.find("state_format");
    if (format != config_.end() && !format->is_null()) {
      if (!format->is_number_integer() || format->get<std::int64_t>() < 1 ||
          format->get<std::int64_t>() > 1000000) {
        issue("state_format",
              "state_format must be a whole number >= 1, got " + describe_config_value(*format));
      } else {
        model_->state_format = format->get<int>();
      }
    }
    auto initial = config_.find("initial_state");
    if (initial != config_.end() && !initial->is_null()) {
      if (!initial->is_object()) {
        issue("initial_state",
              "initial_state must be a map of state fields, got " + describe_config_value(*initial),
              "e.g. initial_state: {name: null, active: false}");
      } else {
        model_->initial_state = *initial;
      }
    }
  }

  // The state fields references and field: may name: initial_state's keys
  // and the first step of every fold target.
  void collect_state_fields(const Json* events) {
    std::set<std::string> fields;
    for (const auto& key : keys_of(model_->initial_state)) fields.insert(key);
    if (events) {
      for (const auto& [name, rule] : events->items()) {
        if (!rule.is_object()) continue;
        auto fold = rule.find("fold");
        if (fold == rule.end() || !fold->is_object()) continue;
        for (const char* op : {"set", "append", "increment"}) {
          auto targets = fold->find(op);
          if (targets == fold->end() || !targets->is_object()) continue;
          for (const auto& key : keys_of(*targets)) fields.insert(key.substr(0, key.find('.')));
        }
      }
    }
    state_fields_.assign(fields.begin(), fields.end());
  }

  Json compile_schema(const Json& node, const std::string& where) {
    if (node.is_null()) return nullptr;
    if (!node.is_object() && !node.is_boolean()) {
      issue(where, "schema must be a JSON Schema (a map), got " + describe_config_value(node),
            "e.g. {type: object, properties: {name: {type: string}}}");
      return nullptr;
    }
    try {
      gateway::JsonSchema compiled(node);
    } catch (const gateway::SchemaError& e) {
      issue(where + e.schema_pointer(), "invalid JSON Schema: " + e.reason());
    } catch (const std::exception& e) {
      issue(where, std::string("invalid JSON Schema: ") + e.what());
    }
    return node;
  }

  std::string description_of(const Json& rule, const std::string& where) {
    auto it = rule.find("description");
    if (it == rule.end() || it->is_null()) return {};
    if (!it->is_string()) {
      issue(config_path(where, "description"),
            "description must be text, got " + describe_config_value(*it));
      return {};
    }
    return it->get<std::string>();
  }

  void compile_events(const Json& events) {
    for (const auto& [name, node] : events.items()) {
      const std::string where = config_path("events", name);
      model_->event_order.push_back(name);
      if (!node.is_object()) {
        issue(where, "event " + name + " must be a map with fold: (and optionally schema:), got " +
                         describe_config_value(node));
        continue;
      }
      check_keys(node, kEventKeys, where, "event " + name, issues_);
      EventRule rule;
      rule.type = name;
      rule.description = description_of(node, where);
      if (auto s = node.find("schema"); s != node.end()) {
        rule.schema = compile_schema(*s, config_path(where, "schema"));
      }
      if (auto v = node.find("schema_version"); v != node.end() && !v->is_null()) {
        if (!v->is_number_integer() || v->get<std::int64_t>() < 1 ||
            v->get<std::int64_t>() > 1000000) {
          issue(config_path(where, "schema_version"),
                "schema_version must be a whole number >= 1, got " + describe_config_value(*v));
        } else {
          rule.schema_version = v->get<int>();
        }
      }
      auto fold = node.find("fold");
      if (fold == node.end() || fold->is_null()) {
        issue(config_path(where, "fold"),
              "event " + name + " has no fold: the state could not be loaded once a stream has it",
              "write fold: {} if the event changes no state");
      } else {
        compile_fold(*fold, rule, config_path(where, "fold"));
      }
      model_->events.emplace(name, std::move(rule));
    }
  }

  void compile_fold(const Json& fold, EventRule& rule, const std::string& where) {
    if (!fold.is_object()) {
      issue(where,
            "fold must be a map with set, append, increment or remove, got " +
                describe_config_value(fold),
            "e.g. fold: {set: {name: $event.data.name}}");
      return;
    }
    check_keys(fold, kFoldKeys, where, "a fold", issues_);
    CompileScope scope;
    scope.context = Context::kFold;
    scope.event = rule.type;
    scope.event_schema = rule.schema.is_null() ? nullptr : &rule.schema;
    scope.state_fields = &state_fields_;
    const std::pair<const char*, FoldOp::Kind> kValued[] = {
        {"set", FoldOp::Kind::kSet},
        {"append", FoldOp::Kind::kAppend},
        {"increment", FoldOp::Kind::kIncrement}};
    for (const auto& [op, kind] : kValued) {
      auto targets = fold.find(op);
      if (targets == fold.end() || targets->is_null()) continue;
      const std::string at = config_path(where, op);
      if (!targets->is_object()) {
        issue(at,
              std::string(op) + " must be a map of state fields to values, got " +
                  describe_config_value(*targets),
              std::string("e.g. ") + op + ": {name: $event.data.name}");
        continue;
      }
      for (const auto& [target, value] : targets->items()) {
        const std::string item_at = config_path(at, target);
        FoldOp fop;
        fop.kind = kind;
        fop.target_text = target;
        if (target.starts_with("$")) {
          issue(item_at, "a fold target is a state field path, not a reference",
                "write the field name, e.g. name or address.city");
          continue;
        }
        if (target.empty()) {
          issue(item_at, "a fold target names a state field; an empty name names none",
                "write the field name, e.g. name or address.city");
          continue;
        }
        if (!parse_path(target, item_at, fop.target, issues_)) continue;
        fop.value = compile_value(value, scope, item_at, issues_);
        if (kind == FoldOp::Kind::kIncrement && fop.value.is_constant() &&
            !fop.value.constant.is_number()) {
          issue(item_at, "increment takes a number, got " + describe_config_value(value));
        }
        rule.reads_state = rule.reads_state || fop.value.reads_state();
        rule.fold.push_back(std::move(fop));
      }
    }
    auto removes = fold.find("remove");
    if (removes != fold.end() && !removes->is_null()) {
      const std::string at = config_path(where, "remove");
      if (!removes->is_array()) {
        issue(at, "remove must be a list of state fields, got " + describe_config_value(*removes),
              "e.g. remove: [deactivation_reason]");
        return;
      }
      for (std::size_t i = 0; i < removes->size(); ++i) {
        const Json& item = (*removes)[i];
        const std::string item_at = config_path(at, i);
        if (!item.is_string()) {
          issue(item_at, "expected a state field name, got " + describe_config_value(item));
          continue;
        }
        FoldOp fop;
        fop.kind = FoldOp::Kind::kRemove;
        fop.target_text = item.get<std::string>();
        if (fop.target_text.empty()) {
          issue(item_at, "remove names state fields; an empty name names none",
                "e.g. remove: [deactivation_reason]");
          continue;
        }
        if (!parse_path(fop.target_text, item_at, fop.target, issues_)) continue;
        check_state_path(fop.target, scope, "remove '" + fop.target_text + "'", item_at, issues_);
        rule.fold.push_back(std::move(fop));
      }
    }
  }

  void compile_commands(const Json& commands) {
    for (const auto& [name, node] : commands.items()) {
      const std::string where = config_path("commands", name);
      model_->command_order.push_back(name);
      if (!node.is_object()) {
        issue(where, "command " + name + " must be a map with emit: (and optionally schema: and " +
                         "preconditions:), got " + describe_config_value(node));
        continue;
      }
      check_keys(node, kCommandKeys, where, "command " + name, issues_);
      CommandRule rule;
      rule.type = name;
      rule.description = description_of(node, where);
      if (auto s = node.find("schema"); s != node.end()) {
        rule.schema = compile_schema(*s, config_path(where, "schema"));
      }
      CompileScope scope;
      scope.context = Context::kDecide;
      scope.command = name;
      scope.data_schema = rule.schema.is_null() ? nullptr : &rule.schema;
      scope.state_fields = &state_fields_;
      compile_preconditions(node, rule, scope, where);
      compile_emits(node, rule, scope, where);
      model_->commands.emplace(name, std::move(rule));
    }
  }

  void compile_preconditions(const Json& node, CommandRule& rule, const CompileScope& scope,
                             const std::string& where) {
    auto list = node.find("preconditions");
    if (list == node.end() || list->is_null()) return;
    const std::string at = config_path(where, "preconditions");
    if (!list->is_array()) {
      issue(at, "preconditions must be a list, got " + describe_config_value(*list),
            "write each precondition on a line starting with '- '");
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto p = compile_condition((*list)[i], scope, config_path(at, i), true, issues_);
      if (!p) continue;
      if (p->condition.kind == Condition::Kind::kStreamExists) rule.requires_stream = true;
      rule.preconditions.push_back(std::move(*p));
    }
  }

  void compile_emits(const Json& node, CommandRule& rule, const CompileScope& scope,
                     const std::string& where) {
    auto list = node.find("emit");
    const std::string at = config_path(where, "emit");
    if (list == node.end() || list->is_null()) {
      issue(at, "command " + rule.type + " has no emit: list",
            "list the events it emits, or write emit: [] for a command that changes nothing");
      return;
    }
    if (!list->is_array()) {
      issue(at, "emit must be a list, got " + describe_config_value(*list),
            "e.g. emit: [{event: UserCreated, data: {name: $data.name}}]");
      return;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& item = (*list)[i];
      const std::string item_at = config_path(at, i);
      if (!item.is_object()) {
        issue(item_at, "an emit entry must be a map with event: and data:, got " +
                           describe_config_value(item));
        continue;
      }
      check_keys(item, kEmitKeys, item_at, "an emit entry", issues_);
      EmitRule emit;
      const EventRule* event = nullptr;
      auto name = item.find("event");
      if (name == item.end() || !name->is_string()) {
        issue(config_path(item_at, "event"),
              name == item.end()
                  ? "missing required key event"
                  : "event must be an event name, got " + describe_config_value(*name));
      } else {
        emit.event = name->get<std::string>();
        auto found = model_->events.find(emit.event);
        if (found == model_->events.end()) {
          issue(config_path(item_at, "event"), "unknown event '" + emit.event + "'",
                hint_for(emit.event, model_->event_order, "events"));
        } else {
          event = &found->second;
          emit.schema_version = event->schema_version;
          emitted_.insert(emit.event);
        }
      }
      auto data = item.find("data");
      const std::string data_at = config_path(item_at, "data");
      if (data == item.end() || data->is_null()) {
        emit.data.constant = Json::object();
      } else if (!data->is_object() &&
                 !(data->is_string() && data->get<std::string>().starts_with("$") &&
                   !data->get<std::string>().starts_with("$$"))) {
        issue(data_at, "data must be a map of event fields (or a reference such as $data), got " +
                           describe_config_value(*data));
      } else {
        emit.data = compile_value(*data, scope, data_at, issues_);
        if (event && data->is_object()) {
          const Json* schema = event->schema.is_null() ? nullptr : &event->schema;
          check_emit_fields(*data, schema, event->type, data_at, "");
        }
      }
      if (auto when = item.find("when"); when != item.end()) {
        if (auto c =
                compile_condition(*when, scope, config_path(item_at, "when"), false, issues_)) {
          emit.when = std::move(c->condition);
        }
      }
      rule.emits.push_back(std::move(emit));
    }
  }

  // The fields an emit writes must be ones the event's schema declares.
  void check_emit_fields(const Json& data, const Json* schema, const std::string& event,
                         const std::string& where, const std::string& prefix) {
    const Json* props = declared_properties(schema);
    if (props == nullptr) return;
    for (const auto& [key, value] : data.items()) {
      auto it = props->find(key);
      if (it == props->end()) {
        issue(config_path(where, key),
              "the schema of event " + event + " declares no field '" + prefix + key + "'",
              hint_for(key, keys_of(*props), "declared fields"));
      } else if (value.is_object()) {
        check_emit_fields(value, &*it, event, config_path(where, key), prefix + key + ".");
      }
    }
  }

  const Json& config_;
  std::shared_ptr<Model> model_ = std::make_shared<Model>();
  std::vector<std::string> state_fields_;
  std::set<std::string> emitted_;
  Issues issues_;
};

}  // namespace

CompileResult compile_model(const Json& config) {
  return Compiler(config).run();
}

}  // namespace herald::plugins::declarative
