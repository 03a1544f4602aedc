// Start-up checks: every problem a config can have is reported, all at once,
// with its path under `config:` and a hint, before anything serves.
#include <gmock/gmock.h>

#include "model_compiler.h"
#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A valid base; each test breaks one thing in it.
std::string user_config(const std::string& create_extra = "", const std::string& fold_extra = "",
                        const std::string& more_commands = "",
                        const std::string& more_events = "") {
  return R"yaml(
initial_state: { name: null, email: null, active: false }
commands:
  CreateUser:
    schema:
      type: object
      required: [name, email]
      additionalProperties: false
      properties:
        name: { type: string }
        email: { type: string, format: email }
        profile: { type: object, properties: { city: { type: string } } }
)yaml" + create_extra +
         R"yaml(
)yaml" + more_commands +
         R"yaml(
events:
  UserCreated:
    schema:
      type: object
      properties:
        name: { type: string }
        email: { type: string }
        city: { type: string }
)yaml" + fold_extra +
         R"yaml(
)yaml" + more_events;
}

const std::string kGoodCreate = R"yaml(
    preconditions:
      - stream: new
    emit:
      - event: UserCreated
        data: { name: $data.name, email: $data.email }
)yaml";
const std::string kGoodFold = R"yaml(
    fold:
      set: { name: $event.data.name, email: $event.data.email, active: true }
)yaml";

// The issues of a config, with the issue at `path` expected.
class StartupChecks : public ::testing::Test {
 protected:
  const ConfigIssue& expect_issue(const std::string& config, const std::string& path) {
    issues_ = startup_issues(config);
    const ConfigIssue* found = issue_at(issues_, path);
    if (found == nullptr) {
      ADD_FAILURE() << "no issue at " << path << "; got:" << describe(issues_);
      static const ConfigIssue kNone;
      return kNone;
    }
    return *found;
  }
  std::vector<ConfigIssue> issues_;
};

TEST_F(StartupChecks, TheBaseConfigIsClean) {
  EXPECT_THAT(startup_issues(user_config(kGoodCreate, kGoodFold)), IsEmpty())
      << describe(startup_issues(user_config(kGoodCreate, kGoodFold)));
}

TEST_F(StartupChecks, EmitOfAnUnknownEvent) {
  const auto& i = expect_issue(user_config(R"yaml(
    emit:
      - event: UserCreatd
)yaml",
                                           kGoodFold),
                               "commands/CreateUser/emit/0/event");
  EXPECT_THAT(i.message, HasSubstr("unknown event 'UserCreatd'"));
  EXPECT_EQ(i.hint, "did you mean 'UserCreated'?");
  const auto& far = expect_issue(user_config(R"yaml(
    emit:
      - event: Completely
)yaml",
                                             kGoodFold),
                                 "commands/CreateUser/emit/0/event");
  EXPECT_EQ(far.hint, "events: UserCreated");
}

TEST_F(StartupChecks, UnknownCommandField) {
  const auto& i = expect_issue(user_config(R"yaml(
    emit:
      - event: UserCreated
        data: { name: $data.nme, city: $data.profile.cty }
)yaml",
                                           kGoodFold),
                               "commands/CreateUser/emit/0/data/name");
  EXPECT_THAT(i.message, HasSubstr("$data.nme"));
  EXPECT_THAT(i.message, HasSubstr("command CreateUser declares no field 'nme'"));
  EXPECT_EQ(i.hint, "did you mean 'name'?");
  const ConfigIssue* nested = issue_at(issues_, "commands/CreateUser/emit/0/data/city");
  ASSERT_NE(nested, nullptr) << describe(issues_);
  EXPECT_THAT(nested->message, HasSubstr("no field 'profile.cty'"));
  EXPECT_EQ(nested->hint, "did you mean 'city'?");
}

TEST_F(StartupChecks, UnknownEventFieldWritten) {
  const auto& i = expect_issue(user_config(R"yaml(
    emit:
      - event: UserCreated
        data: { name: $data.name, emial: $data.email }
)yaml",
                                           kGoodFold),
                               "commands/CreateUser/emit/0/data/emial");
  EXPECT_THAT(i.message, HasSubstr("event UserCreated declares no field 'emial'"));
  EXPECT_EQ(i.hint, "did you mean 'email'?");
}

TEST_F(StartupChecks, UnknownEventFieldInAFold) {
  const auto& i = expect_issue(user_config(kGoodCreate, R"yaml(
    fold:
      set: { name: $event.data.nam, email: $event.data.x }
)yaml"),
                               "events/UserCreated/fold/set/name");
  EXPECT_THAT(i.message, HasSubstr("event UserCreated declares no field 'nam'"));
  EXPECT_EQ(i.hint, "did you mean 'name'?");
  const ConfigIssue* far = issue_at(issues_, "events/UserCreated/fold/set/email");
  ASSERT_NE(far, nullptr) << describe(issues_);
  EXPECT_EQ(far->hint, "declared fields: city, email, name");
}

TEST_F(StartupChecks, UnknownReferenceRoots) {
  const auto& i = expect_issue(user_config(R"yaml(
    emit:
      - event: UserCreated
        data: { name: $dat.name, email: $event.data.email, city: $comand.type }
)yaml",
                                           R"yaml(
    fold:
      set: { name: $data.name, email: $evnt.data.email, city: $command.type }
)yaml"),
                               "commands/CreateUser/emit/0/data/name");
  EXPECT_THAT(i.message, HasSubstr("unknown reference '$dat'"));
  EXPECT_THAT(i.hint, StartsWith("did you mean '$data'?"));
  EXPECT_THAT(i.hint, HasSubstr("'$$'"));
  const ConfigIssue* event_in_command = issue_at(issues_, "commands/CreateUser/emit/0/data/email");
  ASSERT_NE(event_in_command, nullptr);
  EXPECT_THAT(event_in_command->message, HasSubstr("$event is available only in folds"));
  const ConfigIssue* command_typo = issue_at(issues_, "commands/CreateUser/emit/0/data/city");
  ASSERT_NE(command_typo, nullptr);
  EXPECT_THAT(command_typo->hint, StartsWith("did you mean '$command'?"));
  const ConfigIssue* data_in_fold = issue_at(issues_, "events/UserCreated/fold/set/name");
  ASSERT_NE(data_in_fold, nullptr);
  EXPECT_THAT(data_in_fold->message, HasSubstr("available only in commands"));
  EXPECT_EQ(data_in_fold->hint, "in a fold use $event.data");
  const ConfigIssue* fold_typo = issue_at(issues_, "events/UserCreated/fold/set/email");
  ASSERT_NE(fold_typo, nullptr);
  EXPECT_THAT(fold_typo->hint, StartsWith("did you mean '$event'?"));
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/set/city"), nullptr);
}

TEST_F(StartupChecks, ReferenceFieldsAreChecked) {
  expect_issue(user_config(R"yaml(
    emit:
      - event: UserCreated
        data:
          name: $command.tpe
          email: $metadata.usr_id
          city: $id.x
)yaml",
                           R"yaml(
    fold:
      set: { name: $event.timestmp, email: $event.data.email, city: $state.actve, x: $ }
)yaml"),
               "commands/CreateUser/emit/0/data/name");
  EXPECT_EQ(issue_at(issues_, "commands/CreateUser/emit/0/data/name")->hint,
            "did you mean 'type'?");
  ASSERT_NE(issue_at(issues_, "commands/CreateUser/emit/0/data/email"), nullptr);
  EXPECT_EQ(issue_at(issues_, "commands/CreateUser/emit/0/data/email")->hint,
            "did you mean 'user_id'?");
  ASSERT_NE(issue_at(issues_, "commands/CreateUser/emit/0/data/city"), nullptr);
  EXPECT_THAT(issue_at(issues_, "commands/CreateUser/emit/0/data/city")->message,
              HasSubstr("$id has no fields"));
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/set/name"), nullptr);
  EXPECT_EQ(issue_at(issues_, "events/UserCreated/fold/set/name")->hint,
            "did you mean 'timestamp'?");
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/set/city"), nullptr);
  EXPECT_THAT(issue_at(issues_, "events/UserCreated/fold/set/city")->message,
              HasSubstr("no state field 'actve'"));
  EXPECT_EQ(issue_at(issues_, "events/UserCreated/fold/set/city")->hint, "did you mean 'active'?");
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/set/x"), nullptr);
  EXPECT_EQ(issue_at(issues_, "events/UserCreated/fold/set/x")->hint,
            "write '$$' for a literal '$'");
}

TEST_F(StartupChecks, PreconditionWithAnUnknownKind) {
  const auto& i = expect_issue(user_config(R"yaml(
    preconditions:
      - strem: new
      - {}
    emit: []
)yaml",
                                           kGoodFold),
                               "commands/CreateUser/preconditions/0/strem");
  EXPECT_EQ(i.message, "unknown precondition kind 'strem'");
  EXPECT_EQ(i.hint, "did you mean 'stream'?");
  const ConfigIssue* empty = issue_at(issues_, "commands/CreateUser/preconditions/1");
  ASSERT_NE(empty, nullptr);
  EXPECT_THAT(empty->message, HasSubstr("needs one of stream, field, data, data_any_of"));
}

TEST_F(StartupChecks, MalformedPreconditions) {
  expect_issue(user_config(R"yaml(
    preconditions:
      - stream: neww
      - field: actve
        equals: true
      - field: active
      - field: active
        equals: true
        not_equals: false
      - field: active
        in: yes
      - data: name
        exists: "yes"
      - stream: new
        field: active
      - field: active
        equal: true
      - field: active
        equals: true
        message: "user {idd} is {value}"
      - data: nme
        exists: true
      - data_any_of: [name, emial]
      - field: $state.active
        equals: true
      - just a string
    emit: []
)yaml",
                           kGoodFold),
               "commands/CreateUser/preconditions/0/stream");
  const std::string base = "commands/CreateUser/preconditions/";
  EXPECT_EQ(issue_at(issues_, base + "0/stream")->hint, "did you mean 'new'?");
  ASSERT_NE(issue_at(issues_, base + "1/field"), nullptr) << describe(issues_);
  EXPECT_EQ(issue_at(issues_, base + "1/field")->hint, "did you mean 'active'?");
  ASSERT_NE(issue_at(issues_, base + "2"), nullptr);
  EXPECT_THAT(issue_at(issues_, base + "2")->message, HasSubstr("needs a test"));
  ASSERT_NE(issue_at(issues_, base + "3"), nullptr);
  EXPECT_THAT(issue_at(issues_, base + "3")->message, HasSubstr("has one test"));
  ASSERT_NE(issue_at(issues_, base + "4/in"), nullptr);
  EXPECT_THAT(issue_at(issues_, base + "4/in")->message, HasSubstr("takes a list"));
  ASSERT_NE(issue_at(issues_, base + "5/exists"), nullptr);
  ASSERT_NE(issue_at(issues_, base + "6"), nullptr);
  EXPECT_THAT(issue_at(issues_, base + "6")->message, HasSubstr("has one kind"));
  ASSERT_NE(issue_at(issues_, base + "7/equal"), nullptr);
  EXPECT_EQ(issue_at(issues_, base + "7/equal")->hint, "did you mean 'equals'?");
  ASSERT_NE(issue_at(issues_, base + "8/message"), nullptr);
  EXPECT_THAT(issue_at(issues_, base + "8/message")->message, HasSubstr("{idd}"));
  EXPECT_EQ(issue_at(issues_, base + "8/message")->hint, "did you mean 'id'?");
  ASSERT_NE(issue_at(issues_, base + "9/data"), nullptr);
  EXPECT_EQ(issue_at(issues_, base + "9/data")->hint, "did you mean 'name'?");
  ASSERT_NE(issue_at(issues_, base + "10/data_any_of/1"), nullptr);
  EXPECT_EQ(issue_at(issues_, base + "10/data_any_of/1")->hint, "did you mean 'email'?");
  ASSERT_NE(issue_at(issues_, base + "11/field"), nullptr);
  EXPECT_EQ(issue_at(issues_, base + "11/field")->hint, "write 'active'");
  ASSERT_NE(issue_at(issues_, base + "12"), nullptr);
  EXPECT_THAT(issue_at(issues_, base + "12")->message, HasSubstr("must be a map"));
}

TEST_F(StartupChecks, EmitEntries) {
  expect_issue(user_config(R"yaml(
    emit:
      - evnt: UserCreated
      - event: UserCreated
        data: just text
      - event: UserCreated
        when: { feld: active }
      - 42
)yaml",
                           kGoodFold),
               "commands/CreateUser/emit/0/evnt");
  const std::string base = "commands/CreateUser/emit/";
  EXPECT_EQ(issue_at(issues_, base + "0/evnt")->hint, "did you mean 'event'?");
  ASSERT_NE(issue_at(issues_, base + "0/event"), nullptr) << describe(issues_);
  ASSERT_NE(issue_at(issues_, base + "1/data"), nullptr);
  ASSERT_NE(issue_at(issues_, base + "2/when/feld"), nullptr);
  EXPECT_EQ(issue_at(issues_, base + "2/when/feld")->hint, "did you mean 'field'?");
  ASSERT_NE(issue_at(issues_, base + "3"), nullptr);
}

TEST_F(StartupChecks, ACommandWithoutEmit) {
  const auto& i = expect_issue(user_config(R"yaml(
    preconditions: [ { stream: new } ]
)yaml",
                                           kGoodFold),
                               "commands/CreateUser/emit");
  EXPECT_THAT(i.hint, HasSubstr("emit: []"));
}

TEST_F(StartupChecks, AnEventNeverFoldedIsAnError) {
  const auto& i = expect_issue(user_config(kGoodCreate, ""), "events/UserCreated/fold");
  EXPECT_THAT(i.message, HasSubstr("has no fold"));
  EXPECT_EQ(i.hint, "write fold: {} if the event changes no state");
}

TEST_F(StartupChecks, MalformedFolds) {
  expect_issue(user_config(kGoodCreate, R"yaml(
    fold:
      sett: { name: x }
      remove: [nme]
      increment: { count: many }
      append: [a]
)yaml"),
               "events/UserCreated/fold/sett");
  EXPECT_EQ(issue_at(issues_, "events/UserCreated/fold/sett")->hint, "did you mean 'set'?");
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/remove/0"), nullptr) << describe(issues_);
  EXPECT_EQ(issue_at(issues_, "events/UserCreated/fold/remove/0")->hint, "did you mean 'name'?");
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/increment/count"), nullptr);
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/append"), nullptr);
}

// An empty name would stand for the whole state: a set would replace it
// with one value, and every field the next fold writes would then be inside
// something that is not an object.
TEST_F(StartupChecks, AnEmptyFoldTargetIsRefused) {
  const ConfigIssue& set = expect_issue(user_config(kGoodCreate, R"yaml(
    fold:
      set: { "": $event.timestamp, name: $event.data.name }
      remove: [""]
)yaml"),
                                        "events/UserCreated/fold/set/");
  EXPECT_THAT(set.message, HasSubstr("an empty name names none"));
  ASSERT_NE(issue_at(issues_, "events/UserCreated/fold/remove/0"), nullptr) << describe(issues_);
  EXPECT_THAT(issue_at(issues_, "events/UserCreated/fold/remove/0")->message,
              HasSubstr("an empty name names none"));
}

TEST_F(StartupChecks, MalformedSchemas) {
  const auto& i = expect_issue(user_config(R"yaml(
    emit: []
)yaml",
                                           kGoodFold, R"yaml(
  UpdateUser:
    schema: { type: object, properties: { name: { type: strng } } }
    emit: []
  DeleteUser:
    schema: not a schema
    emit: []
)yaml",
                                           R"yaml(
  UserDeleted:
    schema: { type: object, minProperties: -1 }
    fold: {}
)yaml"),
                               "commands/DeleteUser/schema");
  EXPECT_THAT(i.message, HasSubstr("must be a JSON Schema"));
  const ConfigIssue* bad_type = nullptr;
  const ConfigIssue* bad_event = nullptr;
  for (const auto& issue : issues_) {
    if (issue.path.starts_with("commands/UpdateUser/schema")) bad_type = &issue;
    if (issue.path.starts_with("events/UserDeleted/schema")) bad_event = &issue;
  }
  ASSERT_NE(bad_type, nullptr) << describe(issues_);
  EXPECT_THAT(bad_type->message, HasSubstr("invalid JSON Schema"));
  EXPECT_THAT(bad_type->message, HasSubstr("strng"));
  EXPECT_THAT(bad_type->path, HasSubstr("properties/name"));
  ASSERT_NE(bad_event, nullptr) << describe(issues_);
}

TEST_F(StartupChecks, EveryProblemAtOnce) {
  auto issues = startup_issues(user_config(R"yaml(
    preconditions:
      - strem: new
    emit:
      - event: UserCreatd
        data: { name: $data.nme }
)yaml",
                                           R"yaml(
    fold:
      set: { name: $event.data.nam }
)yaml"));
  EXPECT_EQ(issues.size(), 4u) << describe(issues);
}

TEST_F(StartupChecks, TopLevelTyposAreCaughtByTheGatewaySchema) {
  auto issues = startup_issues(R"yaml(
initial_state: {}
comands:
  A: { emit: [] }
events: {}
)yaml");
  const ConfigIssue* typo = issue_at(issues, "comands");
  ASSERT_NE(typo, nullptr) << describe(issues);
  EXPECT_EQ(typo->hint, "did you mean 'commands'?");
  ASSERT_NE(issue_at(issues, "commands"), nullptr) << describe(issues);

  auto deeper = startup_issues(R"yaml(
commands:
  A: { emits: [] }
events:
  E: { fold: {}, shema: {} }
)yaml");
  ASSERT_NE(issue_at(deeper, "commands/A/emits"), nullptr) << describe(deeper);
  EXPECT_EQ(issue_at(deeper, "commands/A/emits")->hint, "did you mean 'emit'?");
  ASSERT_NE(issue_at(deeper, "events/E/shema"), nullptr) << describe(deeper);
  EXPECT_EQ(issue_at(deeper, "events/E/shema")->hint, "did you mean 'schema'?");
}

TEST_F(StartupChecks, CompileWorksWithoutTheGatewaysCheckToo) {
  // The same checks run on raw YAML (tests, other hosts).
  CompileResult bad = compile_model(yaml(R"yaml(
state_format: zero
initial_state: [1]
commands: {}
events: []
extra: 1
)yaml"));
  EXPECT_EQ(bad.model, nullptr);
  for (const char* path : {"state_format", "initial_state", "commands", "events", "extra"}) {
    EXPECT_NE(issue_at(bad.issues, path), nullptr) << path << describe(bad.issues);
  }
  CompileResult not_a_map = compile_model(Json::array());
  ASSERT_EQ(not_a_map.issues.size(), 1u);
  EXPECT_EQ(not_a_map.issues[0].path, "");
}

TEST_F(StartupChecks, AnEventNoCommandEmitsIsAWarning) {
  CompileResult r = compile_model(yaml(user_config(kGoodCreate, kGoodFold, "", R"yaml(
  UserImported:
    fold: {}
)yaml")));
  EXPECT_THAT(r.issues, IsEmpty()) << describe(r.issues);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("UserImported"));
}

TEST_F(StartupChecks, TheFactoryThrowsEveryIssue) {
  Json config = yaml(user_config(R"yaml(
    emit:
      - event: Nope
      - event: Nope2
)yaml",
                                 kGoodFold));
  PluginContext context{"User", config, nullptr, nullptr};
  try {
    make_aggregate(context);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.issues().size(), 2u);
    EXPECT_EQ(e.issues()[0].path, "commands/CreateUser/emit/0/event");
  }
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
