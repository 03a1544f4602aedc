// The seed's User, exactly as config/herald.yaml describes it, run through
// the gateway's CommandRouter on the SDK's FakeEventStore: the whole
// lifecycle, every rule of the interim C++ aggregate, and the messages users
// see.
#include <gmock/gmock.h>

#include <optional>

#include "config/gateway_config.h"
#include "core/command_router.h"
#include "core/data_validator.h"
#include "herald/testing/fake_store.h"
#include "support/edited_commands.h"
#include "support/json_mutator.h"
#include "support/test_seed.h"
#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

using gateway::AggregateType;
using gateway::CommandRouter;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = CommandOutcome::Kind;

// The `config:` of the User aggregate in the default config, after the
// gateway's schema check; nullopt while that User is not the declarative one.
std::optional<Json> user_section() {
  std::optional<gateway::AggregateSection> section = default_user_section();
  if (!section) {
    ADD_FAILURE() << "config/herald.yaml has no User aggregate";
    return std::nullopt;
  }
  if (section->plugin != "declarative") return std::nullopt;
  Json c = section->config;
  auto issues = gateway::check_against_schema(c, config_schema());
  EXPECT_TRUE(issues.empty()) << describe(issues);
  EXPECT_TRUE(validate_config(c).empty()) << describe(validate_config(c));
  return c;
}

// The aggregate registered the way gateway/core/runtime.cc does it.
AggregateType user_type(std::shared_ptr<Aggregate> aggregate) {
  AggregateType type;
  type.type = "User";
  type.aggregate = std::move(aggregate);
  type.snapshot_every = 3;
  for (auto& spec : type.aggregate->commands()) {
    gateway::CommandEntry entry;
    if (!spec.data_schema.is_null())
      entry.validate = gateway::make_data_validator(spec.data_schema);
    entry.spec = spec;
    type.commands.emplace(spec.type, std::move(entry));
  }
  for (const auto& spec : type.aggregate->events()) {
    if (!spec.data_schema.is_null()) {
      type.event_validators[spec.type] = gateway::make_data_validator(spec.data_schema);
    }
  }
  return type;
}

class UserConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<Json> config = user_section();
    if (!config) GTEST_SKIP() << "config/herald.yaml does not describe User with `declarative`";
    aggregate_ = make_aggregate(PluginContext{"User", *config, nullptr, nullptr});
    ASSERT_NE(aggregate_, nullptr);
    router_ = std::make_unique<CommandRouter>(store_, gateway::LimitsConfig{});
    router_->add(user_type(aggregate_));
  }

  CommandOutcome send(const std::string& id, const std::string& type, Json data = Json::object()) {
    CommandRequest r;
    r.aggregate_type = "User";
    r.aggregate_id = id;
    r.type = type;
    r.data = std::move(data);
    return router_->dispatch(r);
  }

  std::vector<std::string> errors(const CommandOutcome& o) {
    std::vector<std::string> out;
    for (const auto& e : o.body.value("errors", Json::array())) out.push_back(e.get<std::string>());
    return out;
  }

  Json state(const std::string& id) {
    CommandOutcome o = router_->get_state("User", id);
    EXPECT_TRUE(o.ok()) << o.body;
    return o.body["state"];
  }

  std::vector<RecordedEvent> stream(const std::string& id) {
    auto r = store_.read_stream({"User", id}, 0, 100);
    EXPECT_TRUE(r.is_ok());
    return r.is_ok() ? r.value().events : std::vector<RecordedEvent>{};
  }

  herald::testing::FakeEventStore store_;
  std::shared_ptr<Aggregate> aggregate_;
  std::unique_ptr<CommandRouter> router_;
};

TEST_F(UserConfigTest, DeclaresTheFourCommandsAndEvents) {
  std::vector<std::string> commands;
  for (const auto& c : aggregate_->commands()) {
    commands.push_back(c.type);
    EXPECT_FALSE(c.description.empty()) << c.type;
    EXPECT_TRUE(c.data_schema.is_object()) << c.type;
  }
  EXPECT_THAT(commands, ElementsAre("ActivateUser", "CreateUser", "DeactivateUser", "UpdateUser"));
  std::vector<std::string> events;
  for (const auto& e : aggregate_->events()) {
    events.push_back(e.type);
    EXPECT_TRUE(e.data_schema.is_object()) << e.type;
    EXPECT_EQ(e.schema_version, 1);
  }
  EXPECT_THAT(events,
              ElementsAre("UserActivated", "UserCreated", "UserDeactivated", "UserUpdated"));
  EXPECT_EQ(aggregate_->initial_state(),
            Json({{"name", nullptr}, {"email", nullptr}, {"active", false}}));
  EXPECT_EQ(aggregate_->state_format(), 1);
}

TEST_F(UserConfigTest, FullLifecycle) {
  CommandOutcome created =
      send("u1", "CreateUser", {{"name", "Alice"}, {"email", "alice@example.com"}});
  ASSERT_TRUE(created.ok()) << created.body;
  EXPECT_EQ(created.body["version"], 0);
  Json s = state("u1");
  EXPECT_EQ(s["name"], "Alice");
  EXPECT_EQ(s["email"], "alice@example.com");
  EXPECT_EQ(s["active"], true);
  EXPECT_TRUE(s["created_at"].get<std::string>().ends_with("Z"));

  CommandOutcome updated = send("u1", "UpdateUser", {{"name", "Alice J."}});
  ASSERT_TRUE(updated.ok()) << updated.body;
  CommandOutcome deactivated = send("u1", "DeactivateUser", {{"reason", "left the company"}});
  ASSERT_TRUE(deactivated.ok()) << deactivated.body;
  s = state("u1");
  EXPECT_EQ(s["name"], "Alice J.");
  EXPECT_EQ(s["email"], "alice@example.com");
  EXPECT_EQ(s["active"], false);
  EXPECT_EQ(s["deactivation_reason"], "left the company");
  EXPECT_TRUE(s.contains("updated_at"));

  CommandOutcome activated = send("u1", "ActivateUser");
  ASSERT_TRUE(activated.ok()) << activated.body;
  EXPECT_EQ(activated.body["version"], 3);
  s = state("u1");
  EXPECT_EQ(s["active"], true);
  EXPECT_FALSE(s.contains("deactivation_reason"));

  auto events = stream("u1");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, "UserCreated");
  EXPECT_EQ(events[0].data, Json({{"name", "Alice"}, {"email", "alice@example.com"}}));
  EXPECT_EQ(events[1].type, "UserUpdated");
  EXPECT_EQ(events[1].data, Json({{"name", "Alice J."}}));  // only what was given
  EXPECT_EQ(events[2].type, "UserDeactivated");
  EXPECT_EQ(events[2].data, Json({{"reason", "left the company"}}));
  EXPECT_EQ(events[3].type, "UserActivated");
  EXPECT_EQ(events[3].data, Json::object());

  // Deactivating without a reason emits no reason and keeps none.
  ASSERT_TRUE(send("u1", "DeactivateUser").ok());
  EXPECT_EQ(stream("u1").back().data, Json::object());
  EXPECT_FALSE(state("u1").contains("deactivation_reason"));
}

TEST_F(UserConfigTest, CreateRules) {
  ASSERT_TRUE(send("u1", "CreateUser", {{"name", "Alice"}, {"email", "alice@example.com"}}).ok());
  CommandOutcome again = send("u1", "CreateUser", {{"name", "Bob"}, {"email", "bob@example.com"}});
  EXPECT_EQ(again.kind, Kind::kRejected);
  EXPECT_THAT(errors(again), ElementsAre("User u1 already exists"));

  // The schema: name and email required, email format, nothing else.
  CommandOutcome invalid = send("u2", "CreateUser", {{"name", ""}, {"email", "nope"}});
  EXPECT_EQ(invalid.kind, Kind::kRejected);
  EXPECT_GE(errors(invalid).size(), 2u) << invalid.body;
  CommandOutcome missing = send("u2", "CreateUser", {{"name", "Bob"}});
  EXPECT_EQ(missing.kind, Kind::kRejected);
  EXPECT_THAT(missing.body.dump(), HasSubstr("email"));
  CommandOutcome extra =
      send("u2", "CreateUser", {{"name", "Bob"}, {"email", "bob@example.com"}, {"admin", true}});
  EXPECT_EQ(extra.kind, Kind::kRejected);
  EXPECT_EQ(store_.append_calls(), 1u);
}

TEST_F(UserConfigTest, UpdateRules) {
  CommandOutcome ghost = send("ghost", "UpdateUser", {{"name", "x"}});
  EXPECT_EQ(ghost.kind, Kind::kRejected);
  EXPECT_THAT(errors(ghost), ElementsAre("User ghost does not exist"));

  ASSERT_TRUE(send("u1", "CreateUser", {{"name", "Alice"}, {"email", "alice@example.com"}}).ok());
  EXPECT_EQ(send("u1", "UpdateUser", Json::object()).kind, Kind::kRejected);  // at least one
  EXPECT_EQ(send("u1", "UpdateUser", {{"email", "not-an-email"}}).kind, Kind::kRejected);
  CommandOutcome both = send("u1", "UpdateUser", {{"name", "A"}, {"email", "a@example.com"}});
  ASSERT_TRUE(both.ok()) << both.body;
  EXPECT_EQ(stream("u1").back().data, Json({{"name", "A"}, {"email", "a@example.com"}}));
  CommandOutcome email = send("u1", "UpdateUser", {{"email", "b@example.com"}});
  ASSERT_TRUE(email.ok()) << email.body;
  EXPECT_EQ(stream("u1").back().data, Json({{"email", "b@example.com"}}));
  EXPECT_EQ(state("u1")["name"], "A");

  ASSERT_TRUE(send("u1", "DeactivateUser").ok());
  CommandOutcome inactive = send("u1", "UpdateUser", {{"name", "x"}});
  EXPECT_EQ(inactive.kind, Kind::kRejected);
  EXPECT_THAT(errors(inactive), ElementsAre("User u1 is deactivated"));
}

TEST_F(UserConfigTest, DeactivateAndActivateRules) {
  EXPECT_THAT(errors(send("u9", "DeactivateUser")), ElementsAre("User u9 does not exist"));
  EXPECT_THAT(errors(send("u9", "ActivateUser")), ElementsAre("User u9 does not exist"));
  ASSERT_TRUE(send("u1", "CreateUser", {{"name", "Alice"}, {"email", "alice@example.com"}}).ok());
  EXPECT_THAT(errors(send("u1", "ActivateUser")), ElementsAre("User u1 is already active"));
  EXPECT_EQ(send("u1", "DeactivateUser", {{"reason", 5}}).kind, Kind::kRejected);  // schema
  ASSERT_TRUE(send("u1", "DeactivateUser").ok());
  EXPECT_THAT(errors(send("u1", "DeactivateUser")), ElementsAre("User u1 is already deactivated"));
  EXPECT_EQ(send("u1", "ActivateUser", {{"force", true}}).kind, Kind::kRejected);  // schema
  ASSERT_TRUE(send("u1", "ActivateUser").ok());
}

TEST_F(UserConfigTest, StateSurvivesSnapshotsAndReplays) {
  ASSERT_TRUE(send("u1", "CreateUser", {{"name", "Alice"}, {"email", "alice@example.com"}}).ok());
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(send("u1", "UpdateUser", {{"name", "Alice " + std::to_string(i)}}).ok());
  }
  // A fresh router (empty cache) loads from snapshot + events.
  CommandRouter fresh(store_, gateway::LimitsConfig{});
  fresh.add(user_type(aggregate_));
  CommandOutcome o = fresh.get_state("User", "u1");
  ASSERT_TRUE(o.ok()) << o.body;
  EXPECT_EQ(o.body["version"], 7);
  EXPECT_EQ(o.body["state"]["name"], "Alice 6");
  EXPECT_EQ(o.body["state"]["active"], true);
}

TEST_F(UserConfigTest, DecideWithoutTheGatewaysValidationIsSafe) {
  // decide() called directly with data no schema checked: it neither throws
  // nor emits fields that were not given.
  Stream s(aggregate_);
  Decision d = s.run("CreateUser", {{"name", 42}});
  ASSERT_EQ(d.kind, Decision::Kind::kAccepted);
  EXPECT_EQ(d.events[0].data, Json({{"name", 42}}));
  Decision update = s.run("UpdateUser", Json::object());
  ASSERT_EQ(update.kind, Decision::Kind::kRejected);
  EXPECT_THAT(update.errors, ElementsAre("UpdateUser needs at least one of name, email"));
  EXPECT_EQ(s.run("UpdateUser", "not an object").kind, Decision::Kind::kRejected);
}

// Command data a client could send, edited at random from valid data (a
// property renamed, dropped or added, a value of another type, a string
// mangled, deep or long values): through the gateway's validation and the
// User's rules, every command is accepted or refused with reasons (422; 400
// for data that is not an object), never a 500 or an exception, and every
// accepted event folds.
TEST_F(UserConfigTest, EditedCommandDataIsAcceptedOrRefusedNeverAnError) {
  const std::vector<std::pair<std::string, Json>> seeds = {
      {"CreateUser", {{"name", "Alice Johnson"}, {"email", "alice@example.com"}}},
      {"UpdateUser", {{"name", "Alice J."}, {"email", "alice.j@example.com"}}},
      {"DeactivateUser", {{"reason", "left the company"}}},
      {"ActivateUser", Json::object()},
  };
  herald::testing::JsonMutator mutator(herald::testing::test_seed(1127));
  herald::testing::CommandTally tally;
  for (int round = 0; round < 4000 && !HasFailure(); ++round) {
    const auto& [type, data] = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const Json edited = mutator.mutate(data);
    // A few users, so that every command meets new, active and inactive ones.
    const std::string id = "u" + std::to_string(round % 7);
    CommandOutcome o;
    ASSERT_NO_THROW(o = send(id, type, edited)) << type << " " << edited.dump();
    tally.count(type, edited, o);
    // The state still loads: every accepted event folded.
    CommandOutcome state = router_->get_state("User", id);
    ASSERT_TRUE(state.ok() || state.kind == Kind::kNotFound) << state.body;
  }
  EXPECT_GT(tally.accepted, 200);
  EXPECT_GT(tally.refused, 200);
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
