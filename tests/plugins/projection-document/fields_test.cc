// Field paths, the string form of values (equality filters) and the sort
// order, including the sort index's prepared keys.
#include <gtest/gtest.h>

#include "document_fields.h"

namespace herald::plugins::document {
namespace {

TEST(DocumentFieldsTest, FieldPathsAreDottedNames) {
  std::string error;
  auto p = parse_field_path("address.city", &error);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->segments, (std::vector<std::string>{"address", "city"}));
  EXPECT_TRUE(parse_field_path("id", &error)->is_id());
  EXPECT_FALSE(parse_field_path("id.x", &error)->is_id());
  for (const char* bad : {"", ".a", "a.", "a..b"}) {
    EXPECT_FALSE(parse_field_path(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST(DocumentFieldsTest, FindWriteAndEraseNestedFields) {
  std::string error;
  Json doc = Json::parse(R"({"a": {"b": 1}, "s": "x"})");
  EXPECT_EQ(*find_field(doc, *parse_field_path("a.b", &error)), 1);
  EXPECT_EQ(find_field(doc, *parse_field_path("a.c", &error)), nullptr);
  EXPECT_EQ(find_field(doc, *parse_field_path("s.x", &error)), nullptr);
  Json* parent = parent_for_write(doc, *parse_field_path("n.m.k", &error));
  ASSERT_NE(parent, nullptr);
  (*parent)["k"] = 2;
  EXPECT_EQ(doc["n"]["m"]["k"], 2);
  EXPECT_EQ(parent_for_write(doc, *parse_field_path("s.x", &error)), nullptr);
  EXPECT_TRUE(erase_field(doc, *parse_field_path("n.m.k", &error)));
  EXPECT_FALSE(erase_field(doc, *parse_field_path("n.m.k", &error)));
  EXPECT_EQ(doc["n"]["m"], Json::object());
}

TEST(DocumentFieldsTest, StringFormIsHowFiltersReadValues) {
  EXPECT_EQ(string_form("Alice"), "Alice");
  EXPECT_EQ(string_form(42), "42");
  EXPECT_EQ(string_form(-7), "-7");
  EXPECT_EQ(string_form(Json::parse("18446744073709551615")), "18446744073709551615");
  EXPECT_EQ(string_form(20.0), "20");
  EXPECT_EQ(string_form(-0.0), "0");
  EXPECT_EQ(string_form(19.99), "19.99");
  EXPECT_EQ(string_form(0.1), "0.1");
  EXPECT_EQ(string_form(1e300), "1e+300");
  EXPECT_EQ(string_form(true), "true");
  EXPECT_EQ(string_form(false), "false");
  EXPECT_EQ(string_form(nullptr), "null");
  EXPECT_EQ(string_form(Json::parse(R"({"a": [1, "x"]})")), R"({"a":[1,"x"]})");
}

TEST(DocumentFieldsTest, SortOrderAcrossTypes) {
  // In ascending order; equal neighbours marked by the same group number.
  std::vector<std::pair<int, Json>> ordered = {
      {0, false},
      {1, true},
      {2, -5},
      {3, 1},
      {3, 1.0},
      {4, 1.5},
      {5, Json::parse("18446744073709551615")},
      {6, "Alice"},
      {7, "alice"},  // equal folded; byte order breaks the tie
      {8, "alicia"},
      {9, "Bob"},
      {10, "bob"},
      {11, "charlie brown"},
      {12, Json::array({1})},
      {13, Json::object({{"a", 1}})},
  };
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    for (std::size_t j = 0; j < ordered.size(); ++j) {
      int expected =
          ordered[i].first < ordered[j].first ? -1 : (ordered[i].first > ordered[j].first ? 1 : 0);
      const Json& a = ordered[i].second;
      const Json& b = ordered[j].second;
      EXPECT_EQ(compare_values(a, b), expected) << a.dump() << " vs " << b.dump();
      // The sort index's keys agree with compare_values.
      EXPECT_EQ(compare_sort_keys(make_sort_key(&a), make_sort_key(&b)), expected)
          << a.dump() << " vs " << b.dump();
    }
    // Missing sorts after every value.
    EXPECT_LT(compare_sort_keys(make_sort_key(&ordered[i].second), make_sort_key(nullptr)), 0);
  }
  Json null_value;
  EXPECT_EQ(make_sort_key(&null_value), make_sort_key(nullptr));
}

TEST(DocumentFieldsTest, AsciiLowerKeepsOtherBytes) {
  EXPECT_EQ(ascii_lower("Charlie BROWN"), "charlie brown");
  EXPECT_EQ(ascii_lower("\xC3\x89mile"), "\xC3\x89mile");  // É stays as it is
}

}  // namespace
}  // namespace herald::plugins::document
