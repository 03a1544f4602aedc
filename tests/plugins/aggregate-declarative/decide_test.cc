// decide(): every precondition kind and test, the default and custom
// rejection messages, every failing rule reported, emits with `when:`, several
// events per command, and safety on data the gateway did not validate.
#include <gmock/gmock.h>

#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A ticket: enough state and commands to exercise every precondition.
const char* const kTicket = R"yaml(
initial_state: { status: draft, owner: null, priority: 1, labels: { area: core } }
commands:
  Open:
    preconditions:
      - stream: new
    emit:
      - event: Opened
        data: { owner: $metadata.user_id }
  Touch:
    preconditions:
      - stream: exists
    emit: [ { event: Touched } ]
  Publish:
    preconditions:
      - stream: exists
      - field: status
        equals: open
      - field: owner
        equals: $metadata.user_id
        message: "only the owner of {type} {id} may publish it"
    emit: [ { event: Published } ]
  Reopen:
    preconditions:
      - field: status
        not_equals: open
    emit: [ { event: Touched } ]
  Escalate:
    preconditions:
      - field: priority
        in: [1, 2]
      - field: labels.area
        not_in: [billing, legal]
    emit: [ { event: Touched } ]
  Assign:
    preconditions:
      - field: owner
        exists: false
      - data: to
        exists: true
      - data: role
        in: [dev, ops]
      - data: to
        not_equals: nobody
    emit:
      - event: Assigned
        data: { owner: $data.to }
  Claim:
    preconditions:
      - field: owner
        exists: true
        message: "{type} {id} has no {field} yet ({value}, want {expected})"
    emit: [ { event: Touched } ]
  Label:
    preconditions:
      - data_any_of: [area, team]
      - data: area
        equals: $state.labels.area
        message: "area must stay {expected}, got {value} (command {command})"
    emit: [ { event: Touched } ]
  Noop:
    emit: []
events:
  Opened: { fold: { set: { status: open, owner: $event.data.owner } } }
  Touched: { fold: {} }
  Published: { fold: { set: { status: published } } }
  Assigned: { fold: { set: { owner: $event.data.owner } } }
)yaml";

class DecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    aggregate_ = make(kTicket);
    ASSERT_NE(aggregate_, nullptr);
  }

  Decision decide(const std::string& type, Json data = Json::object(), Json state = nullptr,
                  Version version = 0, const std::string& user = "") {
    AggregateState current;
    current.version = version;
    current.state = state.is_null() ? aggregate_->initial_state() : std::move(state);
    Command c = command(type, std::move(data), "t1", "Ticket");
    c.metadata.user_id = user;
    return aggregate_->decide(current, c);
  }

  Json state_with(const Json& patch) {
    Json s = aggregate_->initial_state();
    s.merge_patch(patch);
    return s;
  }

  std::shared_ptr<Aggregate> aggregate_;
};

TEST_F(DecideTest, StreamNewAndExists) {
  EXPECT_EQ(decide("Open", {}, nullptr, kNoVersion, "ann").kind, Decision::Kind::kAccepted);
  Decision again = decide("Open", {}, nullptr, 0);
  ASSERT_EQ(again.kind, Decision::Kind::kRejected);
  EXPECT_THAT(again.errors, ElementsAre("Ticket t1 already exists"));
  Decision missing = decide("Touch", {}, nullptr, kNoVersion);
  ASSERT_EQ(missing.kind, Decision::Kind::kRejected);
  EXPECT_THAT(missing.errors, ElementsAre("Ticket t1 does not exist"));
  EXPECT_EQ(decide("Touch", {}, nullptr, 3).kind, Decision::Kind::kAccepted);
}

TEST_F(DecideTest, EqualsWithDefaultAndCustomMessages) {
  Json open_by_ann = state_with({{"status", "open"}, {"owner", "ann"}});
  EXPECT_EQ(decide("Publish", {}, open_by_ann, 1, "ann").kind, Decision::Kind::kAccepted);
  Decision d =
      decide("Publish", {}, state_with({{"status", "published"}, {"owner", "ann"}}), 1, "bob");
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors, ElementsAre("Ticket t1: status must be \"open\", but is \"published\"",
                                    "only the owner of Ticket t1 may publish it"));
}

TEST_F(DecideTest, EqualsAMissingReferenceNeverHolds) {
  // No user in the metadata and no owner: null must not pass for null.
  Json open = state_with({{"status", "open"}});
  Decision d = decide("Publish", {}, open, 1, "");
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors, ElementsAre("only the owner of Ticket t1 may publish it"));
}

TEST_F(DecideTest, WhenTheStreamIsMissingFieldRulesAreNotRepeated) {
  Decision d = decide("Publish", {}, nullptr, kNoVersion, "ann");
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors, ElementsAre("Ticket t1 does not exist"));
}

TEST_F(DecideTest, NotEquals) {
  EXPECT_EQ(decide("Reopen").kind, Decision::Kind::kAccepted);
  Decision d = decide("Reopen", {}, state_with({{"status", "open"}}));
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors, ElementsAre("Ticket t1: status must not be \"open\""));
}

TEST_F(DecideTest, InAndNotInOnNestedFields) {
  EXPECT_EQ(decide("Escalate").kind, Decision::Kind::kAccepted);
  Decision d =
      decide("Escalate", {}, state_with({{"priority", 3}, {"labels", {{"area", "billing"}}}}));
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors,
              ElementsAre("Ticket t1: priority must be one of 1, 2, but is 3",
                          "Ticket t1: labels.area must not be one of \"billing\", \"legal\", but "
                          "is \"billing\""));
  // A number compares by value: 2.0 is in [1, 2].
  EXPECT_EQ(decide("Escalate", {}, state_with({{"priority", 2.0}})).kind,
            Decision::Kind::kAccepted);
}

TEST_F(DecideTest, ExistsAndDataTestsReportEveryFailure) {
  EXPECT_EQ(decide("Assign", {{"to", "ann"}, {"role", "dev"}}).kind, Decision::Kind::kAccepted);
  Decision d = decide("Assign", {{"role", "sales"}}, state_with({{"owner", "bob"}}));
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(
      d.errors,
      ElementsAre("Ticket t1: owner must not be set, but is \"bob\"", "Assign: to must be set",
                  "Assign: role must be one of \"dev\", \"ops\", but is \"sales\""));
  Decision nobody = decide("Assign", {{"to", "nobody"}, {"role", "ops"}});
  ASSERT_EQ(nobody.kind, Decision::Kind::kRejected);
  EXPECT_THAT(nobody.errors, ElementsAre("Assign: to must not be \"nobody\""));
}

TEST_F(DecideTest, NullCountsAsNotSet) {
  Decision d = decide("Assign", {{"to", nullptr}, {"role", "dev"}});
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors, ElementsAre("Assign: to must be set"));
}

TEST_F(DecideTest, CustomMessagePlaceholders) {
  Decision d = decide("Claim");
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  // Custom messages show strings without quotes.
  EXPECT_THAT(d.errors, ElementsAre("Ticket t1 has no owner yet (not set, want set)"));
  Decision label = decide("Label", {{"area", "ui"}});
  ASSERT_EQ(label.kind, Decision::Kind::kRejected);
  EXPECT_THAT(label.errors, ElementsAre("area must stay core, got ui (command Label)"));
}

TEST_F(DecideTest, DataAnyOf) {
  Decision d = decide("Label", Json::object());
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_THAT(d.errors, ElementsAre("Label needs at least one of area, team",
                                    "area must stay core, got not set (command Label)"));
  EXPECT_EQ(decide("Label", {{"area", "core"}}).kind, Decision::Kind::kAccepted);
}

TEST_F(DecideTest, LongValuesAreCutInMessages) {
  Decision d = decide("Assign", {{"to", "ann"}, {"role", std::string(5000, 'x')}});
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_LT(d.errors[0].size(), 250u);
}

TEST_F(DecideTest, UnknownCommandAndEmptyEmit) {
  EXPECT_EQ(decide("Close").kind, Decision::Kind::kUnknownCommand);
  Decision noop = decide("Noop");
  EXPECT_EQ(noop.kind, Decision::Kind::kAccepted);
  EXPECT_THAT(noop.events, IsEmpty());
}

TEST_F(DecideTest, UnvalidatedDataIsSafe) {
  // Data the gateway did not check: wrong types, not an object at all.
  for (Json data : {Json("text"), Json::array({1, 2}), Json(nullptr), Json(42),
                    Json({{"to", {{"deep", Json::array()}}}, {"role", Json::array()}})}) {
    Decision d = decide("Assign", data);
    EXPECT_NE(d.kind, Decision::Kind::kUnknownCommand) << data;
    decide("Label", data);
    decide("Open", data, nullptr, kNoVersion);
  }
  // Invalid UTF-8 (a transport that did not check it) still gets a message.
  Decision bytes = decide("Assign", {{"to", "x"}, {"role", std::string("\xff\xfe")}});
  ASSERT_EQ(bytes.kind, Decision::Kind::kRejected);
  EXPECT_EQ(bytes.errors.size(), 1u);
  // The state may be anything too (a corrupt snapshot).
  EXPECT_EQ(decide("Escalate", {}, Json("not an object")).kind, Decision::Kind::kRejected);
}

const char* const kOrders = R"yaml(
initial_state: { lines: [], total: 0 }
commands:
  PlaceOrder:
    schema:
      type: object
      properties:
        lines: { type: array }
        coupon: { type: string }
        express: { type: boolean }
    preconditions:
      - stream: new
    emit:
      - event: OrderPlaced
        data: { lines: $data.lines }
      - event: CouponApplied
        when: { data: coupon, exists: true }
        data: { code: $data.coupon }
      - event: ExpressRequested
        when: { data: express, equals: true }
  Forward:
    emit:
      - event: Forwarded
        data: $data
  ForwardPart:
    emit:
      - event: Forwarded
        data: $data.part
events:
  OrderPlaced: { fold: { set: { lines: $event.data.lines } } }
  CouponApplied: { fold: { set: { coupon: $event.data.code } } }
  ExpressRequested: { fold: { set: { express: true } } }
  Forwarded: { fold: {} }
)yaml";

TEST(DecideEmitTest, SeveralEventsAndWhen) {
  auto aggregate = make(kOrders);
  ASSERT_NE(aggregate, nullptr);
  AggregateState fresh;
  fresh.state = aggregate->initial_state();
  Decision all = aggregate->decide(
      fresh, command("PlaceOrder", {{"lines", {1, 2}}, {"coupon", "X1"}, {"express", true}}));
  ASSERT_EQ(all.kind, Decision::Kind::kAccepted);
  ASSERT_EQ(all.events.size(), 3u);
  EXPECT_EQ(all.events[0].type, "OrderPlaced");
  EXPECT_EQ(all.events[0].data, Json({{"lines", {1, 2}}}));
  EXPECT_EQ(all.events[1].type, "CouponApplied");
  EXPECT_EQ(all.events[1].data, Json({{"code", "X1"}}));
  EXPECT_EQ(all.events[2].type, "ExpressRequested");
  EXPECT_EQ(all.events[2].data, Json::object());

  Decision plain = aggregate->decide(fresh, command("PlaceOrder", {{"lines", Json::array()}}));
  ASSERT_EQ(plain.kind, Decision::Kind::kAccepted);
  ASSERT_EQ(plain.events.size(), 1u);
  EXPECT_EQ(plain.events[0].type, "OrderPlaced");
}

TEST(DecideEmitTest, DataMayBeAWholeReference) {
  auto aggregate = make(kOrders);
  ASSERT_NE(aggregate, nullptr);
  AggregateState s;
  Decision d = aggregate->decide(s, command("Forward", {{"a", 1}, {"b", {{"c", 2}}}}));
  ASSERT_EQ(d.kind, Decision::Kind::kAccepted);
  EXPECT_EQ(d.events[0].data, Json({{"a", 1}, {"b", {{"c", 2}}}}));
  Decision part = aggregate->decide(s, command("ForwardPart", {{"part", {{"x", true}}}}));
  ASSERT_EQ(part.kind, Decision::Kind::kAccepted);
  EXPECT_EQ(part.events[0].data, Json({{"x", true}}));
  // Missing: an empty object. Not an object: the command is rejected.
  Decision none = aggregate->decide(s, command("ForwardPart", Json::object()));
  ASSERT_EQ(none.kind, Decision::Kind::kAccepted);
  EXPECT_EQ(none.events[0].data, Json::object());
  Decision bad = aggregate->decide(s, command("ForwardPart", {{"part", "text"}}));
  ASSERT_EQ(bad.kind, Decision::Kind::kRejected);
  EXPECT_THAT(bad.errors, ElementsAre("ForwardPart: the data of Forwarded must be an object, but "
                                      "$data.part is a string"));
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
