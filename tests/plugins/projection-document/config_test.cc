// Start-up checks: the schema the gateway checks first, and every problem the
// plugin's own checks (descriptor.validate and the factory) report, each with
// its path under the projection's `config:`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/schema_check.h"
#include "document_config.h"
#include "users_config.h"

namespace herald::plugins::document {
namespace {

using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kUsersConfig;
using ::testing::UnorderedElementsAre;

const OptionSpec* find_option(const std::vector<OptionSpec>& specs, const std::string& key) {
  for (const auto& o : specs) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

const char* kOrderSummaries = R"({
  "on": {
    "OrderCreated": {"id": "$event.data.user_id",
                     "increment": {"order_count": 1, "total_spent": "$event.data.total"},
                     "append": {"order_ids": "$stream.id"},
                     "set": {"user_id": "$event.data.user_id"}},
    "OrderCancelled": {"id": "$event.data.user_id", "upsert": false,
                       "decrement": {"order_count": 1, "total_spent": "$event.data.total"},
                       "pull": {"order_ids": "$stream.id"},
                       "increment": {"cancelled_count": 1}}
  }
})";

// Issues for a config with one rule under on/E.
std::vector<ConfigIssue> rule_issues(const Json& rule) {
  return check_config(Json{{"on", {{"E", rule}}}});
}

auto issue(const std::string& path, const std::string& message_part,
           const std::string& hint_part = "") {
  return AllOf(Field(&ConfigIssue::path, path),
               Field(&ConfigIssue::message, HasSubstr(message_part)),
               Field(&ConfigIssue::hint, HasSubstr(hint_part)));
}

TEST(DocumentConfigTest, SchemaDeclaresTheTopLevelKeysWithDefaults) {
  ConfigSchema schema = config_schema();
  ASSERT_EQ(schema.size(), 4u);
  for (const auto& o : schema) EXPECT_FALSE(o.description.empty()) << o.key;

  const OptionSpec* id = find_option(schema, "id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->type, OptionType::kString);
  EXPECT_EQ(id->default_value, "$stream.id");

  const OptionSpec* search = find_option(schema, "search");
  ASSERT_NE(search, nullptr);
  EXPECT_EQ(search->type, OptionType::kList);
  ASSERT_EQ(search->items.size(), 1u);
  EXPECT_EQ(search->items[0].type, OptionType::kString);
  EXPECT_EQ(search->default_value, Json::array());

  const OptionSpec* sort = find_option(schema, "sort");
  ASSERT_NE(sort, nullptr);
  EXPECT_EQ(sort->type, OptionType::kString);
  EXPECT_EQ(sort->default_value, "");

  const OptionSpec* on = find_option(schema, "on");
  ASSERT_NE(on, nullptr);
  EXPECT_EQ(on->type, OptionType::kMap);
  EXPECT_TRUE(on->required);
  ASSERT_EQ(on->items.size(), 1u);
  EXPECT_EQ(on->items[0].type, OptionType::kObject);
  std::vector<std::string> declared;
  for (const auto& f : on->items[0].fields) {
    declared.push_back(f.key);
    EXPECT_FALSE(f.description.empty()) << f.key;
  }
  EXPECT_THAT(declared, ::testing::UnorderedElementsAreArray(operation_keys()));
}

TEST(DocumentConfigTest, ExampleConfigsPassTheGatewaysSchemaCheckAndCompile) {
  for (const char* text : {kUsersConfig, kOrderSummaries}) {
    Json config = Json::parse(text);
    EXPECT_THAT(gateway::check_against_schema(config, config_schema()), IsEmpty()) << text;
    EXPECT_THAT(check_config(config), IsEmpty()) << text;
    EXPECT_NO_THROW(compile_config(config));
  }
  // Defaults filled in by the gateway: id, search and sort.
  Json minimal = Json{{"on", {{"UserCreated", {{"set", {{"name", "$event.data.name"}}}}}}}};
  EXPECT_THAT(gateway::check_against_schema(minimal, config_schema()), IsEmpty());
  EXPECT_EQ(minimal["id"], "$stream.id");
  EXPECT_EQ(minimal["search"], Json::array());
  EXPECT_EQ(minimal["sort"], "");
  EXPECT_THAT(check_config(minimal), IsEmpty());
}

TEST(DocumentConfigTest, CompiledRulesKeepEveryOperation) {
  DocumentConfig c = compile_config(Json::parse(kOrderSummaries));
  const Rule* created = c.rule_for("OrderCreated");
  ASSERT_NE(created, nullptr);
  ASSERT_TRUE(created->id.has_value());
  EXPECT_EQ(created->id->reference()->text(), "$event.data.user_id");
  EXPECT_EQ(created->increment.size(), 2u);
  EXPECT_EQ(created->append.size(), 1u);
  EXPECT_EQ(created->set.size(), 1u);
  EXPECT_TRUE(created->upsert);
  const Rule* cancelled = c.rule_for("OrderCancelled");
  ASSERT_NE(cancelled, nullptr);
  EXPECT_FALSE(cancelled->upsert);
  EXPECT_EQ(cancelled->decrement.size(), 2u);
  EXPECT_EQ(cancelled->pull.size(), 1u);
  EXPECT_EQ(c.rule_for("OrderShipped"), nullptr);
  EXPECT_EQ(c.id.reference()->text(), "$stream.id");  // default without the gateway
  EXPECT_FALSE(c.sort.has_value());
}

TEST(DocumentConfigTest, RulesKnowWhetherTheyCanChangeTheSortAndSearchFields) {
  DocumentConfig users = compile_config(Json::parse(kUsersConfig));
  EXPECT_TRUE(users.rule_for("UserCreated")->touches_sort);
  EXPECT_TRUE(users.rule_for("UserCreated")->touches_search);
  EXPECT_FALSE(users.rule_for("UserDeactivated")->touches_sort);
  EXPECT_FALSE(users.rule_for("UserDeactivated")->touches_search);

  DocumentConfig c = compile_config(Json::parse(R"({"sort": "address.city", "search": ["tags"],
      "on": {"Zip": {"set": {"address.zip": 1}},
             "Move": {"set": {"address": {"city": "x"}}},
             "City": {"increment": {"address.city.n": 1}},
             "Forget": {"remove": ["address"]},
             "Tag": {"append": {"tags": "a"}},
             "Untag": {"pull": {"tags": "a"}},
             "Merge": {"merge": "$event.data"}}})"));
  EXPECT_FALSE(c.rule_for("Zip")->touches_sort);
  EXPECT_TRUE(c.rule_for("Move")->touches_sort);
  EXPECT_TRUE(c.rule_for("City")->touches_sort);
  EXPECT_TRUE(c.rule_for("Forget")->touches_sort);
  EXPECT_FALSE(c.rule_for("Forget")->touches_search);
  EXPECT_TRUE(c.rule_for("Tag")->touches_search);
  EXPECT_TRUE(c.rule_for("Untag")->touches_search);
  EXPECT_TRUE(c.rule_for("Merge")->touches_sort);
  EXPECT_TRUE(c.rule_for("Merge")->touches_search);
  // Without search fields every top-level string is searched.
  DocumentConfig all = compile_config(Json::parse(R"({"on": {"E": {"set": {"n": 1}}}})"));
  EXPECT_TRUE(all.rule_for("E")->touches_search);
  EXPECT_FALSE(all.rule_for("E")->touches_sort);
}

TEST(DocumentConfigTest, UnknownOperationIsReportedWithDidYouMean) {
  auto issues =
      check_config(Json{{"on", {{"UserCreated", {{"sett", {{"name", "$event.data.name"}}}}}}}});
  EXPECT_THAT(issues, UnorderedElementsAre(issue("on/UserCreated/sett", "unknown operation 'sett'",
                                                 "did you mean 'set'?")));
  EXPECT_THAT(rule_issues({{"incremnt", {{"n", 1}}}}),
              UnorderedElementsAre(issue("on/E/incremnt", "unknown operation", "'increment'")));
  // Nothing close: the hint lists the operations.
  EXPECT_THAT(
      rule_issues({{"frobnicate", true}}),
      UnorderedElementsAre(issue("on/E/frobnicate", "unknown operation", "operations: merge")));
}

TEST(DocumentConfigTest, UnknownTopLevelKeyIsReportedWithDidYouMean) {
  auto issues =
      check_config(Json{{"serach", Json::array({"name"})}, {"on", {{"E", {{"set", {{"a", 1}}}}}}}});
  EXPECT_THAT(issues,
              UnorderedElementsAre(issue("serach", "unknown key", "did you mean 'search'?")));
}

TEST(DocumentConfigTest, BadReferencesAreReportedWithTheirPathAndAHint) {
  EXPECT_THAT(rule_issues({{"set", {{"name", "$evnt.data.x"}}}}),
              UnorderedElementsAre(issue("on/E/set/name", "unknown reference '$evnt.data.x'",
                                         "did you mean '$event.data.x'?")));
  EXPECT_THAT(rule_issues({{"set", {{"name", "$event.dta.name"}}}}),
              UnorderedElementsAre(issue("on/E/set/name", "has no field 'dta'",
                                         "did you mean '$event.data.name'?")));
  EXPECT_THAT(rule_issues({{"set", {{"who", "$strem.id"}}}}),
              UnorderedElementsAre(issue("on/E/set/who", "unknown reference", "'$stream.id'")));
  EXPECT_THAT(rule_issues({{"set", {{"t", "$event.type.name"}}}}),
              UnorderedElementsAre(issue("on/E/set/t", "$event.type has no fields")));
  EXPECT_THAT(rule_issues({{"set", {{"t", "$event"}}}}),
              UnorderedElementsAre(issue("on/E/set/t", "needs a field", "$event.data")));
  EXPECT_THAT(rule_issues({{"set", {{"t", "$"}}}}),
              UnorderedElementsAre(issue("on/E/set/t", "lone '$'", "$$")));
  EXPECT_THAT(rule_issues({{"set", {{"t", "$event.data..x"}}}}),
              UnorderedElementsAre(issue("on/E/set/t", "empty name between dots")));
  EXPECT_THAT(rule_issues({{"set", {{"t", "$event.metadata.user_id.x"}}}}),
              UnorderedElementsAre(issue("on/E/set/t", "is a string and has no fields")));
  EXPECT_THAT(rule_issues({{"set", {{"t", "$hello"}}}}),
              UnorderedElementsAre(issue("on/E/set/t", "starts with $event or $stream", "$$")));
  // Inside a constant object and list too.
  EXPECT_THAT(
      rule_issues({{"set",
                    {{"address", {{"city", "$event.data.cty"}, {"zip", "$evnt.zip"}}},
                     {"tags", Json::array({"a", "$event.tpe"})}}}}),
      UnorderedElementsAre(issue("on/E/set/address/zip", "unknown reference"),
                           issue("on/E/set/tags/1", "has no field 'tpe'", "'$event.type'")));
  // "$$" escapes: a constant, no issue.
  EXPECT_THAT(rule_issues({{"set", {{"price", "$$5"}}}}), IsEmpty());
}

TEST(DocumentConfigTest, EveryReferenceKindCompiles) {
  Json set = Json::object();
  int i = 0;
  for (const char* ref :
       {"$stream.id", "$stream.type", "$event.id", "$event.type", "$event.version",
        "$event.position", "$event.timestamp", "$event.schema_version", "$event.data",
        "$event.data.a.b", "$event.data.items.0", "$event.metadata", "$event.metadata.user_id",
        "$event.metadata.correlation_id", "$event.metadata.causation_id", "$event.metadata.source",
        "$event.metadata.tenant.region"}) {
    set["f" + std::to_string(i++)] = ref;
  }
  EXPECT_THAT(rule_issues({{"set", set}}), IsEmpty());
}

TEST(DocumentConfigTest, IncrementAndDecrementTakeNumbers) {
  EXPECT_THAT(
      rule_issues({{"increment", {{"order_count", "one"}}}}),
      UnorderedElementsAre(issue("on/E/increment/order_count",
                                 "takes a number or a reference to one, got string \"one\"")));
  EXPECT_THAT(rule_issues({{"increment", {{"n", true}}}}),
              UnorderedElementsAre(issue("on/E/increment/n", "got boolean true")));
  EXPECT_THAT(rule_issues({{"decrement", {{"n", "$stream.id"}}}}),
              UnorderedElementsAre(issue("on/E/decrement/n", "'$stream.id' is never one")));
  EXPECT_THAT(rule_issues({{"increment", {{"n", {{"a", 1}}}}}}),
              UnorderedElementsAre(issue("on/E/increment/n", "got object")));
  EXPECT_THAT(rule_issues({{"increment", Json::array({"n"})}}),
              UnorderedElementsAre(issue("on/E/increment", "expects a map of field: value")));
  // A bad reference is reported once, as a reference.
  EXPECT_THAT(rule_issues({{"increment", {{"n", "$event.dat.total"}}}}),
              UnorderedElementsAre(issue("on/E/increment/n", "has no field 'dat'")));
  EXPECT_THAT(
      rule_issues({{"increment",
                    {{"n", 1.5}, {"m", -2}, {"v", "$event.version"}, {"t", "$event.data.total"}}}}),
      IsEmpty());
}

TEST(DocumentConfigTest, MergeTakesAReferenceToAnObject) {
  EXPECT_THAT(rule_issues({{"merge", "data"}}),
              UnorderedElementsAre(
                  issue("on/E/merge", "expects a reference to an object", "merge: $event.data")));
  EXPECT_THAT(rule_issues({{"merge", {{"a", 1}}}}),
              UnorderedElementsAre(issue("on/E/merge", "got object")));
  EXPECT_THAT(rule_issues({{"merge", "$event.type"}}),
              UnorderedElementsAre(issue("on/E/merge", "'$event.type' is never one")));
  EXPECT_THAT(rule_issues({{"merge", "$evnt.data"}}),
              UnorderedElementsAre(issue("on/E/merge", "unknown reference", "'$event.data'")));
  EXPECT_THAT(rule_issues({{"merge", "$event.data.address"}}), IsEmpty());
  EXPECT_THAT(rule_issues({{"merge", "$event.metadata"}}), IsEmpty());
}

TEST(DocumentConfigTest, RemoveDeleteAndUpsertTakeTheirTypes) {
  EXPECT_THAT(rule_issues({{"remove", "email"}}),
              UnorderedElementsAre(
                  issue("on/E/remove", "expects a list of field names", "a list is written")));
  EXPECT_THAT(rule_issues({{"remove", Json::array({"email", 5})}}),
              UnorderedElementsAre(issue("on/E/remove/1", "expected a field name, got number 5")));
  EXPECT_THAT(rule_issues({{"delete", "yes"}}),
              UnorderedElementsAre(issue("on/E/delete", "expects true or false")));
  EXPECT_THAT(rule_issues({{"upsert", 0}}),
              UnorderedElementsAre(issue("on/E/upsert", "expects true or false")));
  EXPECT_THAT(rule_issues({{"delete", true}, {"set", {{"a", 1}}}, {"remove", Json::array({"b"})}}),
              UnorderedElementsAre(issue("on/E/delete", "cannot be combined with set, remove")));
  EXPECT_THAT(rule_issues({{"delete", true}, {"id", "$event.data.user_id"}}), IsEmpty());
}

TEST(DocumentConfigTest, TargetFieldsArePlainNamesOtherThanId) {
  EXPECT_THAT(rule_issues({{"set", {{"id", "$event.data.x"}}}}),
              UnorderedElementsAre(issue("on/E/set/id", "holds the document's id", "`id:`")));
  EXPECT_THAT(rule_issues({{"remove", Json::array({"id"})}}),
              UnorderedElementsAre(issue("on/E/remove/0", "holds the document's id")));
  EXPECT_THAT(rule_issues({{"set", {{"$event.data.name", "x"}}}}),
              UnorderedElementsAre(issue("on/E/set/$event.data.name", "is a reference")));
  EXPECT_THAT(rule_issues({{"append", {{"a..b", 1}}}}),
              UnorderedElementsAre(issue("on/E/append/a..b", "empty segment")));
  EXPECT_THAT(rule_issues({{"set", {{"address.city", "$event.data.city"}}}}), IsEmpty());
}

TEST(DocumentConfigTest, IdsMustBeUsable) {
  EXPECT_THAT(
      rule_issues({{"id", "$event.dta.user_id"}}),
      UnorderedElementsAre(issue("on/E/id", "has no field 'dta'", "'$event.data.user_id'")));
  EXPECT_THAT(rule_issues({{"id", 5}}),
              UnorderedElementsAre(issue("on/E/id", "expected a reference or a name")));
  EXPECT_THAT(rule_issues({{"id", "$event.data"}}),
              UnorderedElementsAre(issue("on/E/id", "whole data object")));
  EXPECT_THAT(check_config(Json{{"id", "$stream.idd"}, {"on", {{"E", Json::object()}}}}),
              UnorderedElementsAre(issue("id", "has no field 'idd'", "'$stream.id'")));
  // A constant id: one document for every event (a global counter).
  EXPECT_THAT(rule_issues({{"id", "totals"}, {"increment", {{"events", 1}}}}), IsEmpty());
}

TEST(DocumentConfigTest, SearchSortAndOnAreChecked) {
  Json on = {{"E", {{"set", {{"a", 1}}}}}};
  EXPECT_THAT(check_config(Json{{"search", Json::array({"name", "a..b"})}, {"on", on}}),
              UnorderedElementsAre(issue("search/1", "empty segment")));
  EXPECT_THAT(check_config(Json{{"search", "name"}, {"on", on}}),
              UnorderedElementsAre(issue("search", "expected a list of field names")));
  EXPECT_THAT(check_config(Json{{"sort", "$event.data.name"}, {"on", on}}),
              UnorderedElementsAre(issue("sort", "is a reference")));
  EXPECT_THAT(check_config(Json{{"sort", "id"}, {"search", Json::array({"id"})}, {"on", on}}),
              IsEmpty());
  EXPECT_THAT(check_config(Json::object()),
              UnorderedElementsAre(issue("on", "missing required key", "UserCreated")));
  EXPECT_THAT(check_config(Json{{"on", Json::object()}}),
              UnorderedElementsAre(issue("on", "no event types")));
  EXPECT_THAT(check_config(Json{{"on", Json::array()}}),
              UnorderedElementsAre(issue("on", "expected a map from event type")));
  EXPECT_THAT(
      check_config(Json{{"on", {{"UserCreated", nullptr}}}}),
      UnorderedElementsAre(issue("on/UserCreated", "expected a map of operations, got null")));
  EXPECT_THAT(check_config(Json::array()),
              UnorderedElementsAre(issue("", "expected a map of options")));
  // An empty rule is fine: the event makes the document (with just its id).
  EXPECT_THAT(check_config(Json{{"on", {{"UserCreated", Json::object()}}}}), IsEmpty());
}

TEST(DocumentConfigTest, EveryProblemIsReportedAtOnce) {
  Json config = Json::parse(R"({
    "sotr": "name",
    "on": {
      "UserCreated": {"set": {"name": "$evnt.data.name"}, "sett": {}},
      "OrderCreated": {"increment": {"n": "many"}, "remove": "x"},
      "A/B": {"upsert": "no"}
    }
  })");
  std::vector<ConfigIssue> issues = check_config(config);
  EXPECT_THAT(issues, UnorderedElementsAre(issue("sotr", "unknown key", "'sort'"),
                                           issue("on/UserCreated/set/name", "unknown reference"),
                                           issue("on/UserCreated/sett", "unknown operation"),
                                           issue("on/OrderCreated/increment/n", "takes a number"),
                                           issue("on/OrderCreated/remove", "expects a list"),
                                           issue("on/A~1B/upsert", "expects true or false")));
  try {
    compile_config(config);
    FAIL() << "compile_config accepted a bad config";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.issues().size(), issues.size());
  }
}

TEST(DocumentConfigTest, TheGatewaysSchemaCheckCatchesUnknownOperationsFirst) {
  // The gateway calls validate only when the schema check is clean, so
  // these never appear twice.
  Json config = Json{{"on", {{"UserCreated", {{"sett", Json::object()}, {"delete", "yes"}}}}}};
  EXPECT_THAT(
      gateway::check_against_schema(config, config_schema()),
      UnorderedElementsAre(issue("on/UserCreated/sett", "unknown key", "did you mean 'set'?"),
                           issue("on/UserCreated/delete", "expected boolean")));
}

}  // namespace
}  // namespace herald::plugins::document
