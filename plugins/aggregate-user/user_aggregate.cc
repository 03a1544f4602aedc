// The seed's user domain: CreateUser, UpdateUser, DeactivateUser, ActivateUser.
//
// Stateless: everything about one user is in the Json state the gateway folds
// from UserCreated, UserUpdated, UserDeactivated and UserActivated.
#include <herald/herald.h>

#include <regex>

namespace herald::plugins::user {
namespace {

Json string_schema(int min_length, int max_length) {
  return {{"type", "string"}, {"minLength", min_length}, {"maxLength", max_length}};
}

Json email_schema() {
  return {{"type", "string"}, {"format", "email"}, {"maxLength", 254}};
}

bool looks_like_email(const std::string& s) {
  static const std::regex kEmail(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
  return std::regex_match(s, kEmail);
}

// Checks the fields the schema also checks, so the aggregate stays correct
// when run without the gateway's validation (tests, other hosts).
void check_name(const Json& data, bool required, std::vector<std::string>& errors) {
  auto it = data.find("name");
  if (it == data.end()) {
    if (required) errors.push_back("name is required");
  } else if (!it->is_string() || it->get<std::string>().empty()) {
    errors.push_back("name must be a non-empty string");
  }
}

void check_email(const Json& data, bool required, std::vector<std::string>& errors) {
  auto it = data.find("email");
  if (it == data.end()) {
    if (required) errors.push_back("email is required");
  } else if (!it->is_string() || !looks_like_email(it->get<std::string>())) {
    errors.push_back("email must be a valid email address");
  }
}

class UserAggregate final : public Aggregate {
 public:
  std::vector<CommandSpec> commands() const override {
    return {
        {"CreateUser", "Registers a new user; the stream must be new.",
         {{"type", "object"},
          {"required", {"name", "email"}},
          {"properties", {{"name", string_schema(1, 200)}, {"email", email_schema()}}},
          {"additionalProperties", false}}},
        {"UpdateUser", "Changes an active user's name and/or email.",
         {{"type", "object"},
          {"minProperties", 1},
          {"properties", {{"name", string_schema(1, 200)}, {"email", email_schema()}}},
          {"additionalProperties", false}}},
        {"DeactivateUser", "Deactivates an active user.",
         {{"type", "object"},
          {"properties", {{"reason", string_schema(0, 500)}}},
          {"additionalProperties", false}}},
        {"ActivateUser", "Activates a deactivated user.",
         {{"type", "object"}, {"additionalProperties", false}}},
    };
  }

  Json initial_state() const override {
    return {{"name", nullptr}, {"email", nullptr}, {"active", false}};
  }

  Status apply(Json& state, const RecordedEvent& event) const override {
    const Json& d = event.data;
    if (event.type == "UserCreated") {
      state["name"] = d.value("name", Json());
      state["email"] = d.value("email", Json());
      state["active"] = true;
      state["created_at"] = format_timestamp(event.timestamp);
    } else if (event.type == "UserUpdated") {
      if (d.contains("name")) state["name"] = d["name"];
      if (d.contains("email")) state["email"] = d["email"];
      state["updated_at"] = format_timestamp(event.timestamp);
    } else if (event.type == "UserDeactivated") {
      state["active"] = false;
      if (d.contains("reason")) state["deactivation_reason"] = d["reason"];
    } else if (event.type == "UserActivated") {
      state["active"] = true;
      state.erase("deactivation_reason");
    } else {
      return Status::failed("User aggregate cannot fold unknown event type '" + event.type + "'");
    }
    return Status::ok();
  }

  Decision decide(const AggregateState& current, const Command& command) const override {
    const Json& data = command.data;
    std::vector<std::string> errors;
    if (command.type == "CreateUser") {
      if (current.exists()) errors.push_back("user " + command.target.id + " already exists");
      check_name(data, true, errors);
      check_email(data, true, errors);
      if (!errors.empty()) return Decision::reject(std::move(errors));
      return Decision::accept({{"UserCreated", {{"name", data["name"]}, {"email", data["email"]}}}});
    }
    if (command.type == "UpdateUser") {
      require_active(current, command, errors);
      check_name(data, false, errors);
      check_email(data, false, errors);
      if (!data.contains("name") && !data.contains("email")) {
        errors.push_back("an update needs a name or an email");
      }
      if (!errors.empty()) return Decision::reject(std::move(errors));
      Json changed = Json::object();
      for (const char* key : {"name", "email"}) {
        if (data.contains(key)) changed[key] = data[key];
      }
      return Decision::accept({{"UserUpdated", changed}});
    }
    if (command.type == "DeactivateUser") {
      require_active(current, command, errors);
      if (!errors.empty()) return Decision::reject(std::move(errors));
      Json d = Json::object();
      if (data.contains("reason")) d["reason"] = data["reason"];
      return Decision::accept({{"UserDeactivated", d}});
    }
    if (command.type == "ActivateUser") {
      if (!current.exists()) {
        errors.push_back("user " + command.target.id + " does not exist");
      } else if (current.state.value("active", false)) {
        errors.push_back("user " + command.target.id + " is already active");
      }
      if (!errors.empty()) return Decision::reject(std::move(errors));
      return Decision::accept({{"UserActivated", Json::object()}});
    }
    return Decision::unknown_command();
  }

 private:
  static void require_active(const AggregateState& current, const Command& command,
                             std::vector<std::string>& errors) {
    if (!current.exists()) {
      errors.push_back("user " + command.target.id + " does not exist");
    } else if (!current.state.value("active", false)) {
      errors.push_back("user " + command.target.id + " is deactivated");
    }
  }
};

}  // namespace

const PluginDescriptor& descriptor() {
  static const PluginDescriptor d = [] {
    PluginDescriptor p;
    p.name = "user";
    p.kind = PluginKind::kAggregate;
    p.version = "1.0.0";
    p.description = "The seed's User aggregate (created, updated, deactivated, activated) in C++.";
    p.make_aggregate = [](const PluginContext&) { return std::make_unique<UserAggregate>(); };
    return p;
  }();
  return d;
}

}  // namespace herald::plugins::user

HERALD_PLUGIN(herald::plugins::user::descriptor)
