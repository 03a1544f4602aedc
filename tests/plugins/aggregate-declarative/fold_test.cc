// apply(): set (nested targets, event fields, timestamps), append,
// increment, remove, missing values leaving the state alone, $state reading
// the state before the event, and clear failures.
#include <gmock/gmock.h>

#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

using ::testing::HasSubstr;

const char* const kAccount = R"yaml(
state_format: 3
initial_state: { balance: 0, entries: [], status: new }
commands:
  Noop: { emit: [] }
events:
  Opened:
    schema:
      type: object
      properties:
        owner: { type: string }
        address: { type: object, properties: { city: { type: string } } }
    fold:
      set:
        owner: $event.data.owner
        address.city: $event.data.address.city
        status: open
        opened_at: $event.timestamp
        opened_by: $metadata.user_id
        opened_event: $event.id
        opened_type: $event.type
        opened_version: $event.version
        opened_position: $event.position
        opened_schema: $event.schema_version
        account: $id
        meta: { kind: account, tags: [a, $event.data.owner] }
  Deposited:
    fold:
      increment: { balance: $event.data.amount, deposits: 1 }
      append: { entries: $event.data.amount }
  Renamed:
    fold:
      set: { owner: $event.data.owner, previous_owner: $state.owner, status: $state.status }
  Closed:
    fold:
      set: { status: closed }
      remove: [owner, address.city, previous_owner]
  Broken:
    fold:
      increment: { status: 1 }
  BadAppend:
    fold:
      append: { status: x }
  Deep:
    fold:
      set: { status.inner: 1 }
)yaml";

RecordedEvent event(const std::string& type, Json data, Version version = 0) {
  RecordedEvent e;
  e.id = "ev-" + std::to_string(version);
  e.stream = {"Account", "a1"};
  e.type = type;
  e.version = version;
  e.position = static_cast<Position>(version + 10);
  e.timestamp = Stream::kBaseTime + 123456;
  e.data = std::move(data);
  e.metadata.user_id = "ann";
  return e;
}

class FoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    aggregate_ = make(kAccount);
    ASSERT_NE(aggregate_, nullptr);
    state_ = aggregate_->initial_state();
  }
  Status apply(const std::string& type, Json data, Version version = 0) {
    return aggregate_->apply(state_, event(type, std::move(data), version));
  }
  std::shared_ptr<Aggregate> aggregate_;
  Json state_;
};

TEST_F(FoldTest, InitialStateAndFormatComeFromTheConfig) {
  EXPECT_EQ(aggregate_->initial_state(),
            Json({{"balance", 0}, {"entries", Json::array()}, {"status", "new"}}));
  EXPECT_EQ(aggregate_->state_format(), 3);
}

TEST_F(FoldTest, SetWritesEventFieldsConstantsAndEventFacts) {
  ASSERT_TRUE(apply("Opened", {{"owner", "Ann"}, {"address", {{"city", "Oslo"}}}}, 0).is_ok());
  EXPECT_EQ(state_["owner"], "Ann");
  EXPECT_EQ(state_["address"], Json({{"city", "Oslo"}}));
  EXPECT_EQ(state_["status"], "open");
  EXPECT_EQ(state_["opened_at"], "2026-11-26T21:28:07.123456Z");
  EXPECT_EQ(state_["opened_by"], "ann");
  EXPECT_EQ(state_["opened_event"], "ev-0");
  EXPECT_EQ(state_["opened_type"], "Opened");
  EXPECT_EQ(state_["opened_version"], 0);
  EXPECT_EQ(state_["opened_position"], 10);
  EXPECT_EQ(state_["opened_schema"], 1);
  EXPECT_EQ(state_["account"], "a1");
  EXPECT_EQ(state_["meta"], Json({{"kind", "account"}, {"tags", {"a", "Ann"}}}));
}

TEST_F(FoldTest, AMissingEventFieldLeavesTheStateAlone) {
  state_["owner"] = "Old";
  ASSERT_TRUE(apply("Opened", Json::object()).is_ok());
  EXPECT_EQ(state_["owner"], "Old");
  EXPECT_FALSE(state_.contains("address"));
  EXPECT_EQ(state_["status"], "open");
}

TEST_F(FoldTest, IncrementAndAppend) {
  ASSERT_TRUE(apply("Deposited", {{"amount", 5}}, 1).is_ok());
  ASSERT_TRUE(apply("Deposited", {{"amount", 2.5}}, 2).is_ok());
  ASSERT_TRUE(apply("Deposited", Json::object(), 3).is_ok());
  EXPECT_DOUBLE_EQ(state_["balance"].get<double>(), 7.5);
  EXPECT_EQ(state_["deposits"], 3);  // missing target: starts from the value
  EXPECT_EQ(state_["entries"], Json({5, 2.5}));
}

TEST_F(FoldTest, IncrementReadsLargeIntegersAsWhatTheyAre) {
  // Event data parsed from JSON text holds numbers above INT64_MAX unsigned;
  // read signed, 2^64-1 was -1 and the balance came out 0.
  ASSERT_TRUE(apply("Deposited", {{"amount", Json::parse("18446744073709551615")}}, 1).is_ok());
  ASSERT_TRUE(apply("Deposited", {{"amount", 1}}, 2).is_ok());
  EXPECT_TRUE(state_["balance"].is_number_float()) << state_.dump();
  EXPECT_DOUBLE_EQ(state_["balance"].get<double>(), 18446744073709551616.0);
  // Back within int64, it is an integer again.
  ASSERT_TRUE(apply("Deposited", {{"amount", INT64_MIN}}, 3).is_ok());
  ASSERT_TRUE(apply("Deposited", {{"amount", Json::parse("9223372036854775808")}}, 4).is_ok());
  EXPECT_EQ(state_["deposits"], 4);
}

TEST_F(FoldTest, StateReferencesReadTheStateBeforeTheEvent) {
  ASSERT_TRUE(apply("Opened", {{"owner", "Ann"}}).is_ok());
  ASSERT_TRUE(apply("Renamed", {{"owner", "Bob"}}, 1).is_ok());
  EXPECT_EQ(state_["owner"], "Bob");
  EXPECT_EQ(state_["previous_owner"], "Ann");
  EXPECT_EQ(state_["status"], "open");
}

TEST_F(FoldTest, Remove) {
  ASSERT_TRUE(apply("Opened", {{"owner", "Ann"}, {"address", {{"city", "Oslo"}}}}).is_ok());
  ASSERT_TRUE(apply("Closed", Json::object(), 1).is_ok());
  EXPECT_FALSE(state_.contains("owner"));
  EXPECT_EQ(state_["address"], Json::object());
  EXPECT_EQ(state_["status"], "closed");
}

TEST_F(FoldTest, UnknownEventTypeFailsClearly) {
  Status s = apply("Exploded", Json::object(), 4);
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("cannot fold event type 'Exploded'"));
  EXPECT_THAT(s.message(), HasSubstr("Account/a1"));
  EXPECT_THAT(s.message(), HasSubstr("not listed under events"));
}

TEST_F(FoldTest, TypeClashesFailClearly) {
  Status inc = apply("Broken", Json::object());
  EXPECT_EQ(inc.code(), StatusCode::kFailed);
  EXPECT_THAT(inc.message(), HasSubstr("status is a string, not a number"));
  Status app = apply("BadAppend", Json::object());
  EXPECT_THAT(app.message(), HasSubstr("status is a string, not a list"));
  Status deep = apply("Deep", Json::object());
  EXPECT_THAT(deep.message(),
              HasSubstr("status.inner is inside a state field that is not an object"));
  Json not_object = Json::array();
  EXPECT_EQ(aggregate_->apply(not_object, event("Opened", Json::object())).code(),
            StatusCode::kFailed);
}

TEST_F(FoldTest, IncrementByANonNumberFromTheEventFails) {
  Status s = apply("Deposited", {{"amount", "ten"}});
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_THAT(s.message(), HasSubstr("balance cannot be increased by a string"));
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
