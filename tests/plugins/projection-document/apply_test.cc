// apply(): every operation, every reference kind, per-event ids, delete,
// upsert: false, and at-least-once delivery.
#include <gtest/gtest.h>

#include "test_support.h"

namespace herald::plugins::document {
namespace {

using testing::EventLog;
using testing::make_projection;

Json doc(const DocumentProjection& p, const std::string& id) {
  auto r = p.get(id);
  EXPECT_TRUE(r.is_ok());
  return r->value_or(Json());
}

void apply_ok(DocumentProjection& p, const RecordedEvent& e) {
  Status s = p.apply(e);
  ASSERT_TRUE(s.is_ok()) << s.message();
}

TEST(DocumentApplyTest, SetCopiesFieldsConstantsAndMakesNestedObjects) {
  auto p = make_projection(R"({"on": {"UserCreated": {"set": {
      "name": "$event.data.name", "active": true, "score": 1.5, "tags": ["a", "b"],
      "address.city": "$event.data.city", "address.country": "NL",
      "price": "$$5", "profile": {"nick": "$event.data.nick", "kind": "user"}}}}})");
  EventLog log;
  apply_ok(*p,
           log.user("u1", "UserCreated", {{"name", "Alice"}, {"city", "Utrecht"}, {"nick", "al"}}));
  EXPECT_EQ(doc(*p, "u1"), Json::parse(R"({"id": "u1", "name": "Alice", "active": true,
      "score": 1.5, "tags": ["a", "b"], "address": {"city": "Utrecht", "country": "NL"},
      "price": "$5", "profile": {"nick": "al", "kind": "user"}})"));
}

TEST(DocumentApplyTest, SetLeavesAFieldAloneWhenTheEventLacksIt) {
  auto p = make_projection(R"({"on": {
      "UserCreated": {"set": {"name": "$event.data.name", "email": "$event.data.email"}},
      "UserUpdated": {"set": {"name": "$event.data.name", "email": "$event.data.email",
                              "profile": {"nick": "$event.data.nick", "x": 1}}}}})");
  EventLog log;
  apply_ok(*p, log.user("u1", "UserCreated", {{"name", "Alice"}, {"email", "a@x.io"}}));
  apply_ok(*p, log.user("u1", "UserUpdated", {{"email", "alice@x.io"}}));
  // A missing reference inside an object leaves its key out.
  EXPECT_EQ(doc(*p, "u1"), Json::parse(R"({"id": "u1", "name": "Alice", "email": "alice@x.io",
                                            "profile": {"x": 1}})"));
  // An explicit null in the event is a value.
  apply_ok(*p, log.user("u1", "UserUpdated", {{"name", nullptr}}));
  EXPECT_TRUE(doc(*p, "u1")["name"].is_null());
}

TEST(DocumentApplyTest, RemoveDropsFieldsNestedOrNot) {
  auto p = make_projection(R"({"on": {
      "Made": {"set": {"a": 1, "b": 2, "n.x": 1, "n.y": 2}},
      "Trimmed": {"remove": ["a", "n.x", "missing", "n.deeper.still"]}}})");
  EventLog log;
  apply_ok(*p, log.next("T", "t1", "Made"));
  apply_ok(*p, log.next("T", "t1", "Trimmed"));
  EXPECT_EQ(doc(*p, "t1"), Json::parse(R"({"id": "t1", "b": 2, "n": {"y": 2}})"));
}

TEST(DocumentApplyTest, MergeCopiesAnObjectShallowlyBeforeSetAndRemove) {
  auto p = make_projection(R"({"on": {
      "Profiled": {"merge": "$event.data.profile", "set": {"source": "profile"},
                   "remove": ["password"]},
      "Wide": {"merge": "$event.data", "set": {"city": "fixed"}},
      "Meta": {"merge": "$event.metadata"}}})");
  EventLog log;
  apply_ok(*p, log.next("U", "u1", "Profiled",
                        {{"profile",
                          {{"name", "Bob"},
                           {"password", "pw"},
                           {"address", {{"city", "A"}}},
                           {"source", "event"}}}}));
  EXPECT_EQ(doc(*p, "u1"), Json::parse(R"({"id": "u1", "name": "Bob",
      "address": {"city": "A"}, "source": "profile"})"));
  // Shallow: a nested object is replaced, not merged; set runs after merge.
  apply_ok(*p, log.next("U", "u1", "Wide", {{"address", {{"zip", "1234"}}}, {"city", "B"}}));
  EXPECT_EQ(doc(*p, "u1")["address"], Json::parse(R"({"zip": "1234"})"));
  EXPECT_EQ(doc(*p, "u1")["city"], "fixed");
  // An "id" in the merged object never replaces the document's id.
  apply_ok(*p, log.next("U", "u1", "Wide", {{"id", "other"}}));
  EXPECT_EQ(doc(*p, "u1")["id"], "u1");
  EXPECT_FALSE(p->get("other")->has_value());
  // Missing source: nothing changes.
  Json before = doc(*p, "u1");
  apply_ok(*p, log.next("U", "u1", "Profiled", {{"nothing", 1}}));
  EXPECT_EQ(doc(*p, "u1"), before);
  // Metadata is an object too.
  Metadata m;
  m.user_id = "admin";
  m.extra = {{"tenant", "t9"}};
  apply_ok(*p, log.next("U", "u2", "Meta", Json::object(), m));
  EXPECT_EQ(doc(*p, "u2"), Json::parse(R"({"id": "u2", "user_id": "admin", "tenant": "t9"})"));
}

TEST(DocumentApplyTest, IncrementStartsAtZeroAndKeepsIntegersIntegers) {
  auto p = make_projection(R"({"on": {
      "Hit": {"increment": {"count": 1, "total": "$event.data.amount", "stats.n": 2}},
      "Miss": {"decrement": {"count": 1, "total": "$event.data.amount"}}}})");
  EventLog log;
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", 10}}));
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", 5}}));
  Json d = doc(*p, "c1");
  EXPECT_EQ(d["count"], 2);
  EXPECT_TRUE(d["count"].is_number_integer());
  EXPECT_EQ(d["total"], 15);
  EXPECT_TRUE(d["total"].is_number_integer());
  EXPECT_EQ(d["stats"]["n"], 4);
  EXPECT_EQ(d.dump(), R"({"count":2,"id":"c1","stats":{"n":4},"total":15})");

  // A float makes the sum a float.
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", 2.5}}));
  EXPECT_DOUBLE_EQ(doc(*p, "c1")["total"].get<double>(), 17.5);
  apply_ok(*p, log.next("C", "c1", "Miss", {{"amount", 7.5}}));
  EXPECT_DOUBLE_EQ(doc(*p, "c1")["total"].get<double>(), 10.0);
  EXPECT_EQ(doc(*p, "c1")["count"], 2);

  // Unsigned values (as parsed from JSON text) add as integers.
  apply_ok(*p, log.next("C", "c2", "Hit", Json::parse(R"({"amount": 3})")));
  apply_ok(*p, log.next("C", "c2", "Miss", Json::parse(R"({"amount": 5})")));
  EXPECT_EQ(doc(*p, "c2")["total"], -2);
  EXPECT_TRUE(doc(*p, "c2")["total"].is_number_integer());
}

TEST(DocumentApplyTest, IncrementLeavesNonNumbersAloneAndWarns) {
  auto p = make_projection(R"({"on": {
      "Set": {"set": {"count": "many"}},
      "Hit": {"increment": {"count": 1, "total": "$event.data.amount"}}}})");
  EventLog log;
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", "ten"}}));  // not a number: left out
  apply_ok(*p, log.next("C", "c1", "Hit", Json::object()));       // missing: left alone
  EXPECT_EQ(doc(*p, "c1"), Json::parse(R"({"id": "c1", "count": 2})"));
  apply_ok(*p, log.next("C", "c1", "Set"));
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", 1}}));  // count holds a string
  EXPECT_EQ(doc(*p, "c1"), Json::parse(R"({"id": "c1", "count": "many", "total": 1})"));
  EXPECT_EQ(p->stats().warnings, 2u);
  EXPECT_EQ(p->position(), 4u);
}

// An increment beyond a double gave an infinity, which JSON cannot hold:
// the document said null. It is left as it was, with a warning.
TEST(DocumentApplyTest, IncrementBeyondADoubleLeavesTheFieldAndWarns) {
  auto p = make_projection(R"({"on": {"Hit": {"increment": {"total": "$event.data.amount"}}}})");
  EventLog log;
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", 1e308}}));
  apply_ok(*p, log.next("C", "c1", "Hit", {{"amount", 1e308}}));
  EXPECT_EQ(doc(*p, "c1")["total"], 1e308);
  EXPECT_EQ(p->stats().warnings, 1u);
}

// pull compares numbers exactly: nlohmann's == took -1 for 2^64 - 1 and
// 2^53 + 1 for the float 2^53.
TEST(DocumentApplyTest, PullComparesNumbersExactly) {
  auto p = make_projection(R"({"on": {
      "Added": {"append": {"ids": "$event.data.id"}},
      "Removed": {"pull": {"ids": "$event.data.id"}}}})");
  EventLog log;
  apply_ok(*p, log.next("P", "p1", "Added", {{"id", std::uint64_t{18446744073709551615u}}}));
  apply_ok(*p, log.next("P", "p1", "Added", {{"id", 9007199254740992.0}}));
  apply_ok(*p, log.next("P", "p1", "Added", {{"id", 2}}));
  apply_ok(*p, log.next("P", "p1", "Removed", {{"id", -1}}));
  apply_ok(*p, log.next("P", "p1", "Removed", {{"id", std::int64_t{9007199254740993}}}));
  EXPECT_EQ(doc(*p, "p1")["ids"].size(), 3u) << doc(*p, "p1").dump();
  apply_ok(*p, log.next("P", "p1", "Removed", {{"id", 2.0}}));  // 2 and 2.0 are one number
  EXPECT_EQ(doc(*p, "p1")["ids"].size(), 2u) << doc(*p, "p1").dump();
}

TEST(DocumentApplyTest, AppendMakesAListAndPullRemovesEveryEqualElement) {
  auto p = make_projection(R"({"on": {
      "Tagged": {"append": {"tags": "$event.data.tag", "history": {"at": "$event.position"}}},
      "Untagged": {"pull": {"tags": "$event.data.tag"}},
      "Broken": {"set": {"tags": "not a list"}}}})");
  EventLog log;
  apply_ok(*p, log.next("P", "p1", "Tagged", {{"tag", "red"}}));
  apply_ok(*p, log.next("P", "p1", "Tagged", {{"tag", "blue"}}));
  apply_ok(*p, log.next("P", "p1", "Tagged", {{"tag", "red"}}));
  apply_ok(*p, log.next("P", "p1", "Tagged", Json::object()));  // no tag: nothing appended
  Json d = doc(*p, "p1");
  EXPECT_EQ(d["tags"], Json::parse(R"(["red", "blue", "red"])"));
  EXPECT_EQ(d["history"], Json::parse(R"([{"at": 1}, {"at": 2}, {"at": 3}, {"at": 4}])"));
  apply_ok(*p, log.next("P", "p1", "Untagged", {{"tag", "red"}}));
  EXPECT_EQ(doc(*p, "p1")["tags"], Json::parse(R"(["blue"])"));
  apply_ok(*p, log.next("P", "p1", "Broken"));
  apply_ok(*p, log.next("P", "p1", "Tagged", {{"tag", "x"}}));
  EXPECT_EQ(doc(*p, "p1")["tags"], "not a list");
  EXPECT_GE(p->stats().warnings, 1u);
}

TEST(DocumentApplyTest, EveryReferenceKindResolves) {
  auto p = make_projection(R"({"on": {"Everything": {"set": {
      "stream_id": "$stream.id", "stream_type": "$stream.type",
      "event_id": "$event.id", "type": "$event.type", "version": "$event.version",
      "position": "$event.position", "at": "$event.timestamp",
      "schema_version": "$event.schema_version",
      "data": "$event.data", "nested": "$event.data.a.b", "first_item": "$event.data.items.0",
      "out_of_range": "$event.data.items.9",
      "metadata": "$event.metadata", "user": "$event.metadata.user_id",
      "correlation": "$event.metadata.correlation_id",
      "causation": "$event.metadata.causation_id", "source": "$event.metadata.source",
      "region": "$event.metadata.tenant.region", "no_such": "$event.metadata.nothing"}}}})");
  EventLog log;
  log.next("Other", "x", "Filler");  // position 1 goes elsewhere
  RecordedEvent e = log.next("Order", "o-7", "Everything",
                             {{"a", {{"b", 42}}}, {"items", Json::array({"first", "second"})}});
  e.schema_version = 2;
  e.metadata.user_id = "u1";
  e.metadata.correlation_id = "corr";
  e.metadata.causation_id = "cause";
  e.metadata.source = "http";
  e.metadata.extra = {{"tenant", {{"region", "eu"}}}};
  apply_ok(*p, e);
  Json d = doc(*p, "o-7");
  EXPECT_EQ(d["stream_id"], "o-7");
  EXPECT_EQ(d["stream_type"], "Order");
  EXPECT_EQ(d["event_id"], "evt-2");
  EXPECT_EQ(d["type"], "Everything");
  EXPECT_EQ(d["version"], 0);
  EXPECT_EQ(d["position"], 2);
  EXPECT_EQ(d["at"], "2026-01-01T00:00:02.000000Z");
  EXPECT_EQ(d["schema_version"], 2);
  EXPECT_EQ(d["data"], e.data);
  EXPECT_EQ(d["nested"], 42);
  EXPECT_EQ(d["first_item"], "first");
  EXPECT_FALSE(d.contains("out_of_range"));
  EXPECT_EQ(d["metadata"], to_json(e.metadata));
  EXPECT_EQ(d["user"], "u1");
  EXPECT_EQ(d["correlation"], "corr");
  EXPECT_EQ(d["causation"], "cause");
  EXPECT_EQ(d["source"], "http");
  EXPECT_EQ(d["region"], "eu");
  EXPECT_FALSE(d.contains("no_such"));
}

TEST(DocumentApplyTest, EmptyMetadataFieldsCountAsMissing) {
  auto p = make_projection(R"({"on": {"E": {"set": {"user": "$event.metadata.user_id"}}}})");
  EventLog log;
  apply_ok(*p, log.next("T", "t1", "E"));
  EXPECT_FALSE(doc(*p, "t1").contains("user"));
}

TEST(DocumentApplyTest, PerEventIdGathersOrdersPerUser) {
  auto p = make_projection(R"({"on": {
      "OrderCreated": {"id": "$event.data.user_id",
                       "increment": {"order_count": 1, "total_spent": "$event.data.total"},
                       "append": {"order_ids": "$stream.id"},
                       "set": {"user_id": "$event.data.user_id"}},
      "OrderCancelled": {"id": "$event.data.user_id", "upsert": false,
                         "decrement": {"order_count": 1, "total_spent": "$event.data.total"},
                         "pull": {"order_ids": "$stream.id"}}}})");
  EventLog log;
  apply_ok(*p, log.next("Order", "o1", "OrderCreated", {{"user_id", "u1"}, {"total", 30}}));
  apply_ok(*p, log.next("Order", "o2", "OrderCreated", {{"user_id", "u2"}, {"total", 5}}));
  apply_ok(*p, log.next("Order", "o3", "OrderCreated", {{"user_id", "u1"}, {"total", 12}}));
  apply_ok(*p, log.next("Order", "o1", "OrderCancelled", {{"user_id", "u1"}, {"total", 30}}));
  EXPECT_EQ(doc(*p, "u1"), Json::parse(R"({"id": "u1", "user_id": "u1", "order_count": 1,
                                            "total_spent": 12, "order_ids": ["o3"]})"));
  EXPECT_EQ(doc(*p, "u2"), Json::parse(R"({"id": "u2", "user_id": "u2", "order_count": 1,
                                            "total_spent": 5, "order_ids": ["o2"]})"));
  EXPECT_FALSE(p->get("o1")->has_value());
  EXPECT_EQ(p->size(), 2u);
}

TEST(DocumentApplyTest, IdsFromNumbersConstantsAndMissingFields) {
  auto p = make_projection(R"({"id": "$event.data.user_id", "on": {
      "Seen": {"increment": {"seen": 1}},
      "Counted": {"id": "totals", "increment": {"events": 1}}}})");
  EventLog log;
  apply_ok(*p, log.next("T", "t1", "Seen", {{"user_id", 42}}));
  EXPECT_EQ(doc(*p, "42")["seen"], 1);
  EXPECT_EQ(doc(*p, "42")["id"], "42");
  apply_ok(*p, log.next("T", "t1", "Counted"));
  apply_ok(*p, log.next("T", "t2", "Counted"));
  EXPECT_EQ(doc(*p, "totals")["events"], 2);
  // No usable id: skipped (and logged), the position still advances.
  apply_ok(*p, log.next("T", "t1", "Seen"));
  apply_ok(*p, log.next("T", "t1", "Seen", {{"user_id", ""}}));
  apply_ok(*p, log.next("T", "t1", "Seen", {{"user_id", {{"a", 1}}}}));
  apply_ok(*p, log.next("T", "t1", "Seen", {{"user_id", 1.5}}));
  EXPECT_EQ(p->size(), 2u);
  EXPECT_EQ(p->stats().skipped, 4u);
  EXPECT_EQ(p->position(), 7u);
}

TEST(DocumentApplyTest, DeleteRemovesTheDocumentAndALaterEventMakesANewOne) {
  auto p = make_projection(R"({"on": {
      "UserCreated": {"set": {"name": "$event.data.name"}},
      "UserUpdated": {"set": {"email": "$event.data.email"}},
      "UserDeleted": {"delete": true}}})");
  EventLog log;
  apply_ok(*p, log.user("u1", "UserCreated", {{"name", "Alice"}}));
  apply_ok(*p, log.user("u1", "UserDeleted"));
  EXPECT_FALSE(p->get("u1")->has_value());
  EXPECT_EQ(p->size(), 0u);
  apply_ok(*p, log.user("u1", "UserDeleted"));                         // nothing to delete: fine
  apply_ok(*p, log.user("u1", "UserUpdated", {{"email", "a@x.io"}}));  // upsert by default
  EXPECT_EQ(doc(*p, "u1"), Json::parse(R"({"id": "u1", "email": "a@x.io"})"));
}

TEST(DocumentApplyTest, UpsertFalseOnlyTouchesExistingDocuments) {
  auto p = make_projection(R"({"on": {
      "UserCreated": {"set": {"name": "$event.data.name"}},
      "UserUpdated": {"upsert": false, "set": {"name": "$event.data.name"}}}})");
  EventLog log;
  apply_ok(*p, log.user("u1", "UserUpdated", {{"name", "Ghost"}}));
  EXPECT_FALSE(p->get("u1")->has_value());
  EXPECT_EQ(p->stats().skipped, 1u);
  EXPECT_EQ(p->position(), 1u);
  apply_ok(*p, log.user("u1", "UserCreated", {{"name", "Alice"}}));
  apply_ok(*p, log.user("u1", "UserUpdated", {{"name", "Alicia"}}));
  EXPECT_EQ(doc(*p, "u1")["name"], "Alicia");
}

TEST(DocumentApplyTest, EmptyRuleMakesADocumentWithItsId) {
  auto p = make_projection(R"({"on": {"UserCreated": {}}})");
  EventLog log;
  apply_ok(*p, log.user("u1", "UserCreated"));
  EXPECT_EQ(doc(*p, "u1"), Json::parse(R"({"id": "u1"})"));
}

TEST(DocumentApplyTest, AtLeastOnceTheSameEventTwiceChangesNothing) {
  auto p = make_projection(R"({"on": {
      "Hit": {"increment": {"n": 1}, "append": {"seen": "$event.id"}}}})");
  EventLog log;
  RecordedEvent first = log.next("C", "c1", "Hit");
  RecordedEvent second = log.next("C", "c1", "Hit");
  apply_ok(*p, first);
  apply_ok(*p, second);
  Json before = doc(*p, "c1");
  apply_ok(*p, second);  // redelivered after a crash
  apply_ok(*p, first);
  EXPECT_EQ(doc(*p, "c1"), before);
  EXPECT_EQ(before["n"], 2);
  EXPECT_EQ(p->position(), 2u);
  EXPECT_EQ(p->stats().duplicates, 2u);
  EXPECT_EQ(p->stats().applied, 2u);
}

TEST(DocumentApplyTest, EventsWithoutARuleOnlyAdvanceThePosition) {
  auto p = make_projection(R"({"on": {"UserCreated": {"set": {"a": 1}}}})");
  EventLog log;
  EXPECT_EQ(p->position(), 0u);
  apply_ok(*p, log.user("u1", "UserRenamed"));
  EXPECT_EQ(p->position(), 1u);
  EXPECT_EQ(p->size(), 0u);
  EXPECT_EQ(p->stats().unhandled, 1u);
  EXPECT_FALSE(p->persistent());
}

TEST(DocumentApplyTest, ParentThatIsNotAnObjectIsLeftAlone) {
  auto p = make_projection(R"({"on": {
      "A": {"set": {"address": "Main St 1"}},
      "B": {"set": {"address.city": "Utrecht"}, "increment": {"address.n": 1},
            "append": {"address.l": 1}}}})");
  EventLog log;
  apply_ok(*p, log.next("T", "t1", "A"));
  apply_ok(*p, log.next("T", "t1", "B"));
  EXPECT_EQ(doc(*p, "t1")["address"], "Main St 1");
  EXPECT_EQ(p->stats().warnings, 3u);
}

}  // namespace
}  // namespace herald::plugins::document
