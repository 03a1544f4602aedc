// query(): equality filters, case-insensitive search, sort with missing
// values, paging and total.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "test_support.h"

namespace herald::plugins::document {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::EventLog;
using ::testing::IsEmpty;
using testing::make_projection;

std::vector<std::string> ids(const QueryPage& page) {
  std::vector<std::string> out;
  for (const auto& item : page.items) out.push_back(item.at("id").get<std::string>());
  return out;
}

class DocumentQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    projection_ = make_projection(R"({"search": ["name", "email", "tags"], "on": {
        "Put": {"merge": "$event.data"}}})");
    put("u1", {{"name", "Charlie Brown"},
               {"email", "charlie@peanuts.org"},
               {"age", 8},
               {"active", true},
               {"tags", {"kid", "Blockhead"}}});
    put("u2", {{"name", "alice"},
               {"email", "alice@x.io"},
               {"age", 31},
               {"active", false},
               {"score", 2.0}});
    put("u3", {{"name", "Bob"}, {"email", "bob@x.io"}, {"age", 8.0}, {"active", true}});
    put("u4",
        {{"name", "dave"}, {"email", "dave@CHARLIE.example"}, {"active", true}, {"score", 19.99}});
    put("u5", {{"email", "nameless@x.io"}, {"age", 120}, {"active", nullptr}});
  }

  void put(const std::string& id, Json data) {
    ASSERT_TRUE(projection_->apply(log_.next("User", id, "Put", std::move(data))).is_ok());
  }

  QueryPage run(Query q) {
    auto r = projection_->query(q);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? *r : QueryPage{};
  }

  EventLog log_;
  std::unique_ptr<DocumentProjection> projection_;
};

TEST_F(DocumentQueryTest, ListsByIdByDefaultWithTotal) {
  QueryPage page = run({});
  EXPECT_THAT(ids(page), ElementsAre("u1", "u2", "u3", "u4", "u5"));
  EXPECT_EQ(page.total, 5u);
  EXPECT_EQ(page.items[1], Json::parse(R"({"id": "u2", "name": "alice", "email": "alice@x.io",
                                           "age": 31, "active": false, "score": 2.0})"));
  Query q;
  q.descending = true;
  EXPECT_THAT(ids(run(q)), ElementsAre("u5", "u4", "u3", "u2", "u1"));
}

TEST_F(DocumentQueryTest, LimitAndOffsetPageAfterTotalIsCounted) {
  Query q;
  q.limit = 2;
  q.offset = 1;
  QueryPage page = run(q);
  EXPECT_THAT(ids(page), ElementsAre("u2", "u3"));
  EXPECT_EQ(page.total, 5u);
  q.offset = 4;
  EXPECT_THAT(ids(run(q)), ElementsAre("u5"));
  q.offset = 5;
  page = run(q);
  EXPECT_THAT(page.items, IsEmpty());
  EXPECT_EQ(page.total, 5u);
  q.offset = 0;
  q.limit = 0;
  page = run(q);
  EXPECT_THAT(page.items, IsEmpty());
  EXPECT_EQ(page.total, 5u);
  // The same with a sort field.
  q.sort = "name";
  q.limit = 2;
  q.offset = 3;
  page = run(q);
  EXPECT_THAT(ids(page), ElementsAre("u4", "u5"));
  EXPECT_EQ(page.total, 5u);
  q.offset = 9;
  EXPECT_THAT(run(q).items, IsEmpty());
}

TEST_F(DocumentQueryTest, SortsAscendingAndDescendingWithMissingValuesLast) {
  Query q;
  q.sort = "name";  // case-insensitive: alice, Bob, Charlie Brown, dave; u5 has none
  EXPECT_THAT(ids(run(q)), ElementsAre("u2", "u3", "u1", "u4", "u5"));
  q.descending = true;
  EXPECT_THAT(ids(run(q)), ElementsAre("u4", "u1", "u3", "u2", "u5"));

  q = {};
  q.sort = "age";  // 8 (u1) and 8.0 (u3) tie: by id; u4 has no age
  EXPECT_THAT(ids(run(q)), ElementsAre("u1", "u3", "u2", "u5", "u4"));
  q.descending = true;  // the reverse, but missing stays last
  EXPECT_THAT(ids(run(q)), ElementsAre("u5", "u2", "u3", "u1", "u4"));

  q = {};
  q.sort = "active";  // null counts as missing: false, true x3, then u5
  EXPECT_THAT(ids(run(q)), ElementsAre("u2", "u1", "u3", "u4", "u5"));

  q = {};
  q.sort = "no_such_field";  // all missing: by id
  EXPECT_THAT(ids(run(q)), ElementsAre("u1", "u2", "u3", "u4", "u5"));
  q.descending = true;
  EXPECT_THAT(ids(run(q)), ElementsAre("u5", "u4", "u3", "u2", "u1"));
  q.descending = false;
  q.sort = "id";
  q.descending = true;
  EXPECT_THAT(ids(run(q)), ElementsAre("u5", "u4", "u3", "u2", "u1"));
}

// The configured sort field is served from an index kept by apply(); it
// must answer exactly like the scan-and-sort path for any other field.
TEST_F(DocumentQueryTest, ConfiguredSortIndexAgreesWithScanAndSort) {
  // Two models with the same documents: one sorts `rank` from its index,
  // the other has no index for it.
  auto indexed = make_projection(R"({"sort": "rank", "on": {
      "Put": {"merge": "$event.data"}, "Drop": {"remove": ["rank"]}, "Gone": {"delete": true}}})");
  auto scanned = make_projection(R"({"on": {
      "Put": {"merge": "$event.data"}, "Drop": {"remove": ["rank"]}, "Gone": {"delete": true}}})");
  EventLog log;
  std::mt19937 rng(3);
  for (int i = 0; i < 600; ++i) {
    std::string id = "d" + std::to_string(rng() % 120);
    RecordedEvent e;
    switch (rng() % 6) {
      case 0: e = log.next("T", id, "Drop"); break;
      case 1: e = log.next("T", id, "Gone"); break;
      case 2: e = log.next("T", id, "Put", {{"rank", static_cast<double>(rng() % 9) / 2}}); break;
      case 3: e = log.next("T", id, "Put", {{"rank", rng() % 2 ? Json("x") : Json(true)}}); break;
      default: e = log.next("T", id, "Put", {{"rank", rng() % 9}, {"odd", rng() % 2}}); break;
    }
    ASSERT_TRUE(indexed->apply(e).is_ok());
    ASSERT_TRUE(scanned->apply(e).is_ok());
  }
  for (bool descending : {false, true}) {
    for (const char* odd : {"", "0", "1"}) {
      for (std::size_t offset : {0, 7, 40}) {
        Query q;
        q.sort = "rank";
        q.descending = descending;
        q.offset = offset;
        q.limit = 25;
        if (*odd) q.equals = {{"odd", odd}};
        QueryPage a = *indexed->query(q);
        QueryPage b = *scanned->query(q);
        EXPECT_EQ(ids(a), ids(b)) << descending << " " << odd << " " << offset;
        EXPECT_EQ(a.total, b.total);
        q.sort.clear();  // the default is the configured sort
        EXPECT_EQ(ids(*indexed->query(q)), ids(b));
      }
    }
  }
}

// get(), the id filter and the list find documents by id through a hash
// index kept beside the map; through creates, deletes and re-creates they
// must agree with a plain model, also for ids that have no document.
TEST_F(DocumentQueryTest, LookupsByIdAgreeWithTheDocumentsThroughDeletesAndRecreates) {
  auto p = make_projection(R"({"on": {
      "Put": {"merge": "$event.data"}, "Gone": {"delete": true},
      "Touch": {"upsert": false, "increment": {"touched": 1}}}})");
  EventLog log;
  std::map<std::string, int> model;  // id -> its latest "n"
  std::mt19937 rng(11);
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "k" + std::to_string(rng() % 60);
    const int n = static_cast<int>(rng() % 1000);
    switch (rng() % 4) {
      case 0:
        ASSERT_TRUE(p->apply(log.next("T", id, "Gone")).is_ok());
        model.erase(id);
        break;
      case 1: ASSERT_TRUE(p->apply(log.next("T", id, "Touch")).is_ok()); break;
      default:
        ASSERT_TRUE(p->apply(log.next("T", id, "Put", {{"n", n}})).is_ok());
        model[id] = n;
        break;
    }
    if (i % 100 != 99) continue;
    for (int k = 0; k < 60; ++k) {
      const std::string probe = "k" + std::to_string(k);
      auto found = model.find(probe);
      auto got = p->get(probe);
      ASSERT_TRUE(got.is_ok());
      ASSERT_EQ(got->has_value(), found != model.end()) << probe << " after " << i;
      Query by_id;
      by_id.equals = {{"id", probe}};
      QueryPage page = *p->query(by_id);
      ASSERT_EQ(page.total, found != model.end() ? 1u : 0u) << probe;
      if (found != model.end()) {
        EXPECT_EQ((**got)["n"], found->second) << probe;
        EXPECT_EQ(page.items.at(0), **got);
      }
    }
    Query all;
    all.limit = 100;
    std::vector<std::string> expected;
    for (const auto& [id, n] : model) expected.push_back(id);
    EXPECT_EQ(ids(*p->query(all)), expected);
    EXPECT_EQ(p->size(), model.size());
  }
}

TEST_F(DocumentQueryTest, TheConfiguredSortIsTheDefault) {
  auto p = make_projection(R"({"sort": "rank", "on": {"Put": {"merge": "$event.data"}}})");
  EventLog log;
  ASSERT_TRUE(p->apply(log.next("T", "a", "Put", {{"rank", 3}})).is_ok());
  ASSERT_TRUE(p->apply(log.next("T", "b", "Put", {{"rank", 1}})).is_ok());
  ASSERT_TRUE(p->apply(log.next("T", "c", "Put", {{"rank", 2}})).is_ok());
  EXPECT_THAT(ids(*p->query({})), ElementsAre("b", "c", "a"));
  Query q;
  q.sort = "id";
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("a", "b", "c"));
}

TEST_F(DocumentQueryTest, EqualityFiltersCompareTheStringForm) {
  Query q;
  q.equals = {{"active", "true"}};
  QueryPage page = run(q);
  EXPECT_THAT(ids(page), ElementsAre("u1", "u3", "u4"));
  EXPECT_EQ(page.total, 3u);

  q.equals = {{"active", "true"}, {"age", "8"}};  // 8 and 8.0 both read "8"
  EXPECT_THAT(ids(run(q)), ElementsAre("u1", "u3"));
  q.equals = {{"score", "2"}};
  EXPECT_THAT(ids(run(q)), ElementsAre("u2"));
  q.equals = {{"score", "19.99"}};
  EXPECT_THAT(ids(run(q)), ElementsAre("u4"));
  q.equals = {{"active", "null"}};  // a null field counts as missing
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.equals = {{"name", "alice"}};  // exact: case matters in filters
  EXPECT_THAT(ids(run(q)), ElementsAre("u2"));
  q.equals = {{"name", "Alice"}};
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.equals = {{"tags", "kid"}};  // a list matches when any element does
  EXPECT_THAT(ids(run(q)), ElementsAre("u1"));
  q.equals = {{"nothing", ""}};  // a missing field never matches
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.equals = {{"id", "u3"}};
  EXPECT_THAT(ids(run(q)), ElementsAre("u3"));
  q.equals = {{"id", "u3"}, {"active", "false"}};
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.equals = {{"id", "u3"}};
  q.offset = 1;
  page = run(q);
  EXPECT_THAT(page.items, IsEmpty());
  EXPECT_EQ(page.total, 1u);
}

TEST_F(DocumentQueryTest, SearchIsCaseInsensitiveOverTheSearchFields) {
  Query q;
  q.text = "charlie";
  QueryPage page = run(q);
  EXPECT_THAT(ids(page), ElementsAre("u1", "u4"));  // name of u1; email of u4
  EXPECT_EQ(page.total, 2u);
  q.text = "CHARLIE BROWN";
  EXPECT_THAT(ids(run(q)), ElementsAre("u1"));
  q.text = "blockhead";  // an element of a list field
  EXPECT_THAT(ids(run(q)), ElementsAre("u1"));
  q.text = "31";  // age is not a search field
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.text =
      "brown"
      "charlie";  // never across two fields
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.text =
      "brown\x1f"
      "charlie";  // not with the separator the search text keeps either (q=brown%1Fcharlie)
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.text = "\x1f";
  EXPECT_THAT(ids(run(q)), IsEmpty());
  q.text = "x.io";
  q.sort = "name";
  q.descending = true;
  q.limit = 2;
  page = run(q);
  EXPECT_THAT(ids(page), ElementsAre("u3", "u2"));
  EXPECT_EQ(page.total, 3u);
  q.equals = {{"active", "true"}};
  EXPECT_THAT(ids(run(q)), ElementsAre("u3"));
}

TEST_F(DocumentQueryTest, SearchAndSortFoldTheCaseOfEuropeanLetters) {
  put("u6", {{"name", "\xC3\x89mile Zola"}, {"email", "ez@x.fr"}});  // Émile Zola
  put("u7", {{"name",
              "\xC3\xA9"
              "douard"},
             {"email", "ed@x.fr"}});                                               // édouard
  put("u8", {{"name", "\xD0\x94\xD0\xB8\xD0\xBC\xD0\xB0"}, {"email", "d@x.ru"}});  // Дима
  Query q;
  q.text = "\xC3\xA9mile";  // émile
  EXPECT_THAT(ids(run(q)), ElementsAre("u6"));
  q.text = "\xC3\x89";  // É: both names
  EXPECT_THAT(ids(run(q)), ElementsAre("u6", "u7"));
  q.text = "\xD0\xB4\xD0\xB8\xD0\xBC";  // дим
  EXPECT_THAT(ids(run(q)), ElementsAre("u8"));
  // Sorted case-insensitively: édouard and Émile sit together, é before É
  // only by their bytes when all else is equal.
  q = {};
  q.equals = {{"email", "ez@x.fr"}};
  EXPECT_THAT(ids(run(q)), ElementsAre("u6"));
  q = {};
  q.sort = "name";
  q.limit = 100;
  auto sorted = ids(run(q));
  auto at = [&](const char* id) {
    return std::find(sorted.begin(), sorted.end(), id) - sorted.begin();
  };
  EXPECT_EQ(at("u6"), at("u7") + 1) << ::testing::PrintToString(sorted);  // édouard, Émile
}

TEST_F(DocumentQueryTest, SearchWithoutSearchFieldsLooksAtEveryTopLevelString) {
  auto p = make_projection(R"({"on": {"Put": {"merge": "$event.data"}}})");
  EventLog log;
  ASSERT_TRUE(p->apply(log.next("T", "a", "Put", {{"title", "Hello World"}, {"n", 5}})).is_ok());
  ASSERT_TRUE(p->apply(log.next("T", "b", "Put", {{"nested", {{"title", "world"}}}})).is_ok());
  Query q;
  q.text = "WORLD";
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("a"));
  q.text = "b";  // the id is a string field too
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("b"));
}

TEST_F(DocumentQueryTest, SearchFollowsUpdates) {
  put("u1", {{"name", "Linus"}});
  Query q;
  q.text = "charlie";
  EXPECT_THAT(ids(run(q)), ElementsAre("u1", "u4"));  // u1's email still has it
  put("u1", {{"email", "linus@peanuts.org"}});
  EXPECT_THAT(ids(run(q)), ElementsAre("u4"));
}

TEST_F(DocumentQueryTest, NestedFieldsFilterAndSort) {
  auto p = make_projection(R"({"on": {"Put": {"set": {"address.city": "$event.data.city"}}}})");
  EventLog log;
  ASSERT_TRUE(p->apply(log.next("T", "a", "Put", {{"city", "Utrecht"}})).is_ok());
  ASSERT_TRUE(p->apply(log.next("T", "b", "Put", {{"city", "Amsterdam"}})).is_ok());
  ASSERT_TRUE(p->apply(log.next("T", "c", "Put")).is_ok());
  Query q;
  q.sort = "address.city";
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("b", "a", "c"));
  q.equals = {{"address.city", "Utrecht"}};
  EXPECT_THAT(ids(*p->query(q)), ElementsAre("a"));
}

TEST_F(DocumentQueryTest, MalformedFieldNamesAreFieldsNoDocumentHas) {
  Query q;
  q.sort = "a..b";
  q.descending = true;
  EXPECT_THAT(ids(run(q)), ElementsAre("u5", "u4", "u3", "u2", "u1"));  // id order
  q = {};
  q.equals = {{".x", "1"}};
  QueryPage page = run(q);
  EXPECT_THAT(page.items, IsEmpty());
  EXPECT_EQ(page.total, 0u);
}

TEST_F(DocumentQueryTest, PagesOfALargerSetAreDisjointAndCoverEverything) {
  auto p = make_projection(R"({"on": {"Put": {"merge": "$event.data"}}})");
  EventLog log;
  for (int i = 0; i < 250; ++i) {
    Json data = {{"group", i % 7}};
    if (i % 5 != 0) data["rank"] = (i * 37) % 11;  // many ties, some missing
    ASSERT_TRUE(p->apply(log.next("T", "d" + std::to_string(1000 + i), "Put", data)).is_ok());
  }
  for (bool descending : {false, true}) {
    Query q;
    q.sort = "rank";
    q.descending = descending;
    q.limit = 250;
    std::vector<std::string> all = ids(*p->query(q));
    ASSERT_EQ(all.size(), 250u);
    std::vector<std::string> paged;
    q.limit = 17;
    for (q.offset = 0; q.offset < 260; q.offset += q.limit) {
      QueryPage page = *p->query(q);
      EXPECT_EQ(page.total, 250u);
      for (auto& id : ids(page)) paged.push_back(id);
    }
    EXPECT_THAT(paged, ElementsAreArray(all));
    // Missing ranks (every fifth) come last in both directions.
    for (std::size_t i = 200; i < 250; ++i) {
      EXPECT_FALSE(p->get(all[i])->value().contains("rank")) << all[i];
    }
  }
}

}  // namespace
}  // namespace herald::plugins::document
