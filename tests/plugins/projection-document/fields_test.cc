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

TEST(DocumentFieldsTest, FoldCaseLowersEuropeanLettersAndKeepsTheRest) {
  EXPECT_EQ(fold_case("Charlie BROWN"), "charlie brown");
  EXPECT_EQ(fold_case("\xC3\x89MILE Zola"), "\xC3\xA9mile zola");            // ÉMILE → émile
  EXPECT_EQ(fold_case("\xC3\x98RSTED \xC3\x97"), "\xC3\xB8rsted \xC3\x97");  // Ø → ø; × stays
  EXPECT_EQ(fold_case("\xC5\x81\xC3\x93"
                      "D\xC5\xB9"),
            "\xC5\x82\xC3\xB3"
            "d\xC5\xBA");                                        // ŁÓDŹ → łódź
  EXPECT_EQ(fold_case("\xC5\xB8"), "\xC3\xBF");                  // Ÿ → ÿ
  EXPECT_EQ(fold_case("\xC4\xB0"), "i");                         // İ → i
  EXPECT_EQ(fold_case("\xCE\xA9\xCE\x91"), "\xCF\x89\xCE\xB1");  // ΩΑ → ωα
  EXPECT_EQ(fold_case("\xD0\x94\xD0\x81"), "\xD0\xB4\xD1\x91");  // ДЁ → дё
  // Already lower, other scripts, and bytes that are not UTF-8 stay as they are.
  EXPECT_EQ(fold_case("\xC3\xA9t\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC"),
            "\xC3\xA9t\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC");
  EXPECT_EQ(fold_case("A\xFF\xC3"
                      "B\xE2\x82"),
            "a\xFF\xC3"
            "b\xE2\x82");
}

TEST(DocumentFieldsTest, SortKeysAndValueComparisonAgreeOnFoldedCase) {
  // emma < édouard < Émile < émile: é sorts after the ASCII letters (by its
  // UTF-8 bytes), and "Émile" and "émile" fold alike, so their bytes decide.
  const std::vector<Json> values = {Json("emma"),
                                    Json("\xC3\xA9"
                                         "douard"),
                                    Json("\xC3\x89"
                                         "mile"),
                                    Json("\xC3\xA9"
                                         "mile")};
  for (const auto& a : values) {
    for (const auto& b : values) {
      EXPECT_EQ(compare_values(a, b), compare_sort_keys(make_sort_key(&a), make_sort_key(&b)))
          << a.dump() << " vs " << b.dump();
    }
  }
  EXPECT_LT(compare_values(values[1], values[2]), 0);  // édouard < Émile
  EXPECT_LT(compare_values(values[0], values[1]), 0);  // emma < édouard
  EXPECT_LT(compare_values(values[2], values[3]), 0);  // Émile < émile: the bytes break the tie
}

}  // namespace
}  // namespace herald::plugins::document
