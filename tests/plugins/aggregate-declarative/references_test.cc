// References and value templates: every root, constants of every shape,
// `$$` escapes, missing values left out (nested too), lists.
#include <gmock/gmock.h>

#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

const char* const kEcho = R"yaml(
initial_state: { plan: gold, limits: { seats: 5 }, history: [a, b] }
commands:
  Echo:
    schema:
      type: object
      properties:
        name: { type: string }
        address: { type: object, properties: { city: { type: string }, zip: { type: string } } }
        items: { type: array, items: { type: object, properties: { sku: { type: string } } } }
        note: { type: [string, "null"] }
        extra: { type: string }
    emit:
      - event: Echoed
        data:
          name: $data.name
          city: $data.address.city
          first_sku: $data.items.0.sku
          note: $data.note
          id: $id
          command: $command.type
          command_id: $command.id
          user: $metadata.user_id
          source: $metadata.source
          correlation: $metadata.correlation_id
          causation: $metadata.causation_id
          tenant: $metadata.tenant
          region: $metadata.location.region
          plan: $state.plan
          seats: $state.limits.seats
          second: $state.history.1
          price: "$$5"
          dollars: "$$$$"
          mid: "costs $5"
          constant: { nested: [1, two, { three: 3 }], flag: true, nothing: null }
          nested:
            city: $data.address.city
            zip: $data.address.zip
            fixed: 7
          list: [ $data.name, $data.extra, literal ]
events:
  Echoed: { fold: {} }
)yaml";

class ReferencesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    aggregate_ = make(kEcho);
    ASSERT_NE(aggregate_, nullptr);
  }

  Json echo(Json data, Metadata metadata = {}) {
    AggregateState s;
    s.version = 0;
    s.state = aggregate_->initial_state();
    Command c = command("Echo", std::move(data), "acct-7", "Account");
    c.metadata = std::move(metadata);
    Decision d = aggregate_->decide(s, c);
    EXPECT_EQ(d.kind, Decision::Kind::kAccepted);
    EXPECT_EQ(d.events.size(), 1u);
    return d.events.empty() ? Json() : d.events[0].data;
  }

  std::shared_ptr<Aggregate> aggregate_;
};

TEST_F(ReferencesTest, EveryRootResolves) {
  Metadata m;
  m.user_id = "ann";
  m.source = "tests";
  m.correlation_id = "corr-1";
  m.causation_id = "cause-1";
  m.extra = {{"tenant", "acme"}, {"location", {{"region", "eu"}}}};
  Json d = echo({{"name", "Ann"},
                 {"address", {{"city", "Oslo"}, {"zip", "0150"}}},
                 {"items", {{{"sku", "A-1"}}, {{"sku", "B-2"}}}},
                 {"note", nullptr}},
                m);
  EXPECT_EQ(d["name"], "Ann");
  EXPECT_EQ(d["city"], "Oslo");
  EXPECT_EQ(d["first_sku"], "A-1");
  EXPECT_TRUE(d.contains("note"));  // present as null: kept as null
  EXPECT_TRUE(d["note"].is_null());
  EXPECT_EQ(d["id"], "acct-7");
  EXPECT_EQ(d["command"], "Echo");
  EXPECT_EQ(d["command_id"], "cmd-1");
  EXPECT_EQ(d["user"], "ann");
  EXPECT_EQ(d["source"], "tests");
  EXPECT_EQ(d["correlation"], "corr-1");
  EXPECT_EQ(d["causation"], "cause-1");
  EXPECT_EQ(d["tenant"], "acme");
  EXPECT_EQ(d["region"], "eu");
  EXPECT_EQ(d["plan"], "gold");
  EXPECT_EQ(d["seats"], 5);
  EXPECT_EQ(d["second"], "b");
  EXPECT_EQ(d["nested"], Json({{"city", "Oslo"}, {"zip", "0150"}, {"fixed", 7}}));
  EXPECT_EQ(d["list"], Json({"Ann", "literal"}));
}

TEST_F(ReferencesTest, ConstantsAndEscapes) {
  Json d = echo(Json::object());
  EXPECT_EQ(d["price"], "$5");
  EXPECT_EQ(d["dollars"], "$$$");
  EXPECT_EQ(d["mid"], "costs $5");  // only a leading '$' makes a reference
  EXPECT_EQ(d["constant"],
            Json({{"nested", {1, "two", {{"three", 3}}}}, {"flag", true}, {"nothing", nullptr}}));
}

TEST_F(ReferencesTest, MissingValuesAreLeftOut) {
  Json d = echo({{"address", {{"zip", "0150"}}}, {"items", Json::array()}});
  for (const char* key : {"name", "city", "first_sku", "note", "user", "source", "correlation",
                          "causation", "tenant", "region"}) {
    EXPECT_FALSE(d.contains(key)) << key << " in " << d.dump();
  }
  EXPECT_EQ(d["nested"], Json({{"zip", "0150"}, {"fixed", 7}}));
  EXPECT_EQ(d["list"], Json({"literal"}));
  EXPECT_EQ(d["id"], "acct-7");
}

TEST_F(ReferencesTest, PathsThroughTheWrongTypesAreMissing) {
  Json d = echo({{"name", {{"not", "a string"}}}, {"address", "a string"}, {"items", {{"x", 1}}}});
  EXPECT_EQ(d["name"], Json({{"not", "a string"}}));  // the value is copied as it is
  EXPECT_FALSE(d.contains("city"));
  EXPECT_FALSE(d.contains("first_sku"));
}

TEST_F(ReferencesTest, DecideIsDeterministic) {
  Json data = {{"name", "Ann"}, {"address", {{"city", "Oslo"}}}};
  EXPECT_EQ(echo(data), echo(data));
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
