// YAML to JSON with locations: typing, locations, errors.
#include "config/config_document.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "config/yaml_scalar.h"

namespace herald::gateway {
namespace {

// Runs `f`, expecting ConfigErrors, and returns its problems.
template <typename F>
std::vector<ConfigProblem> problems_of(F&& f) {
  try {
    f();
  } catch (const ConfigErrors& e) {
    return e.problems();
  }
  ADD_FAILURE() << "expected ConfigErrors";
  return {};
}

TEST(YamlScalar, CoreSchemaTyping) {
  EXPECT_TRUE(type_plain_scalar("").is_null());
  EXPECT_TRUE(type_plain_scalar("~").is_null());
  EXPECT_TRUE(type_plain_scalar("NULL").is_null());
  for (const char* t : {"true", "True", "TRUE"}) EXPECT_EQ(type_plain_scalar(t), Json(true)) << t;
  for (const char* f : {"false", "False", "FALSE"}) EXPECT_EQ(type_plain_scalar(f), Json(false));
  // YAML 1.1 booleans are strings in 1.2.
  for (const char* s : {"yes", "no", "on", "off", "tRUE"}) EXPECT_EQ(type_plain_scalar(s), Json(s));
  EXPECT_EQ(type_plain_scalar("42"), Json(42));
  EXPECT_EQ(type_plain_scalar("-7"), Json(-7));
  EXPECT_EQ(type_plain_scalar("+7"), Json(7));
  EXPECT_EQ(type_plain_scalar("0x1F"), Json(31));
  EXPECT_EQ(type_plain_scalar("0o17"), Json(15));
  EXPECT_EQ(type_plain_scalar("9223372036854775807"), Json(INT64_MAX));
  EXPECT_EQ(type_plain_scalar("-9223372036854775808"), Json(INT64_MIN));
  EXPECT_EQ(type_plain_scalar("18446744073709551615"), Json(UINT64_MAX));
  EXPECT_TRUE(type_plain_scalar("99999999999999999999999").is_number_float());
  EXPECT_EQ(type_plain_scalar("1.5"), Json(1.5));
  EXPECT_EQ(type_plain_scalar(".5"), Json(0.5));
  EXPECT_EQ(type_plain_scalar("1."), Json(1.0));
  EXPECT_EQ(type_plain_scalar("-2.5E-3"), Json(-0.0025));
  EXPECT_EQ(type_plain_scalar("1e3"), Json(1000.0));
  EXPECT_TRUE(std::isinf(type_plain_scalar("-.inf").get<double>()));
  EXPECT_TRUE(std::isnan(type_plain_scalar(".NaN").get<double>()));
  for (const char* s : {"1_000", "0x", "1e", "e3", ".", "1.2.3", "127.0.0.1:8080", "12abc", "-"}) {
    EXPECT_EQ(type_plain_scalar(s), Json(s)) << s;
  }
  EXPECT_EQ(type_plain_scalar("", true), Json(""));
}

TEST(ConfigDocument, PlainScalarsAreTypedQuotedStayStrings) {
  auto doc = ConfigDocument::from_string(
      "a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: ~\nf:\ng: 2.5\nh: hello\ni: !!str 5\nj: !!float 3\n",
      "t.yaml");
  const Json& r = doc.root();
  EXPECT_EQ(r["a"], Json(1));
  EXPECT_EQ(r["b"], Json("1"));
  EXPECT_EQ(r["c"], Json(true));
  EXPECT_EQ(r["d"], Json("true"));
  EXPECT_TRUE(r["e"].is_null());
  EXPECT_TRUE(r["f"].is_null());
  EXPECT_EQ(r["g"], Json(2.5));
  EXPECT_EQ(r["h"], Json("hello"));
  EXPECT_EQ(r["i"], Json("5"));
  EXPECT_TRUE(r["j"].is_number_float());
}

TEST(ConfigDocument, EmptyFileIsAnEmptyObject) {
  EXPECT_EQ(ConfigDocument::from_string("", "t.yaml").root(), Json::object());
  EXPECT_EQ(ConfigDocument::from_string("# only a comment\n", "t.yaml").root(), Json::object());
  EXPECT_EQ(ConfigDocument::from_string("~\n", "t.yaml").root(), Json::object());
}

TEST(ConfigDocument, LocatesValuesAndKeys) {
  auto doc = ConfigDocument::from_string(
      "store:\n"
      "  plugin: memory\n"
      "  config:\n"
      "    fsync:   batch\n"
      "aggregates:\n"
      "  - type: User\n"
      "    plugin: user\n",
      "t.yaml");
  auto v = doc.locate("/store/config/fsync");
  EXPECT_EQ(v.file, "t.yaml");
  EXPECT_EQ(v.line, 4);
  EXPECT_EQ(v.column, 14);
  auto k = doc.locate_key("/store/config/fsync");
  EXPECT_EQ(k.line, 4);
  EXPECT_EQ(k.column, 5);
  EXPECT_EQ(doc.locate("/aggregates/0/plugin").line, 7);
  EXPECT_EQ(doc.locate("/aggregates/0").line, 6);
  EXPECT_EQ(doc.locate("aggregates/0/type").column, 11);  // leading slash optional
  // Not in the file: the nearest ancestor that is.
  EXPECT_EQ(doc.locate("/store/config/path").line, 4);      // the config map
  EXPECT_EQ(doc.locate_key("/store/config/path").line, 3);  // the `config:` key
  EXPECT_EQ(doc.locate_key("/aggregates/0").line, 6);       // list items have no key
  EXPECT_EQ(doc.locate("/nothing/here").line, 1);
}

TEST(ConfigDocument, EmptyValueIsLocatedAtItsKey) {
  auto doc = ConfigDocument::from_string("a:\n\n\nb: 1\n", "t.yaml");
  EXPECT_EQ(doc.locate("/a").line, 1);
}

TEST(ConfigDocument, Dotted) {
  EXPECT_EQ(ConfigDocument::dotted("/store/config/fsync"), "store.config.fsync");
  EXPECT_EQ(ConfigDocument::dotted("/aggregates/0/type"), "aggregates[0].type");
  EXPECT_EQ(ConfigDocument::dotted("/aggregates/0"), "aggregates[0]");
  EXPECT_EQ(ConfigDocument::dotted("/a/1/2/b"), "a[1][2].b");
  EXPECT_EQ(ConfigDocument::dotted(""), "");
  EXPECT_EQ(ConfigDocument::dotted("store/plugin"), "store.plugin");
  EXPECT_EQ(ConfigDocument::dotted("/headers/a~1b"), "headers.a/b");
  EXPECT_EQ(ConfigDocument::dotted("/hosts/example.com"), "hosts[\"example.com\"]");
}

TEST(ConfigDocument, ProblemFromIssue) {
  auto doc = ConfigDocument::from_string("store:\n  plugin: memory\n  config:\n    fsnyc: batch\n",
                                         "config/herald.yaml");
  auto p =
      doc.problem("/store/config", {"fsnyc", "unknown key", "did you mean 'fsync'?"}, "memory");
  EXPECT_EQ(p.where.line, 4);
  EXPECT_EQ(p.where.column, 5);
  EXPECT_EQ(p.path, "store.config.fsnyc");
  EXPECT_EQ(p.to_string(),
            "config/herald.yaml:4:5: store.config.fsnyc: unknown key (did you mean 'fsync'?) "
            "[plugin memory]");
  // An issue about the section itself.
  auto whole = doc.problem("/store/config", {"", "bad", ""});
  EXPECT_EQ(whole.path, "store.config");
  EXPECT_EQ(whole.where.line, 3);
  EXPECT_EQ(whole.to_string(), "config/herald.yaml:3:3: store.config: bad");
}

TEST(ConfigDocument, ErrorsWhatListsEveryProblem) {
  ConfigErrors one({{{"a.yaml", 2, 3}, "x", "m", "", ""}});
  EXPECT_STREQ(one.what(), "a.yaml: 1 problem\na.yaml:2:3: x: m");
  ConfigErrors three({{{"a.yaml", 1, 1}, "a", "m1", "h", ""},
                      {{"a.yaml", 2, 0}, "b", "m2", "", "redis"},
                      {{"a.yaml", 0, 0}, "", "m3", "", ""}});
  EXPECT_STREQ(three.what(),
               "a.yaml: 3 problems\n"
               "a.yaml:1:1: a: m1 (h)\n"
               "a.yaml:2: b: m2 [plugin redis]\n"
               "a.yaml: m3");
}

TEST(ConfigDocument, SyntaxErrorHasLineAndColumn) {
  auto problems = problems_of([] {
    ConfigDocument::from_string("store:\n  plugin: memory\n  config: [1, 2\n", "bad.yaml");
  });
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].where.file, "bad.yaml");
  EXPECT_GE(problems[0].where.line, 3);
  EXPECT_GT(problems[0].where.column, 0);
  EXPECT_NE(problems[0].message.find("YAML syntax error: "), std::string::npos);
  EXPECT_NE(problems[0].message.find("end of sequence flow not found"), std::string::npos);

  auto indent = problems_of([] { ConfigDocument::from_string("a: 1\n b: 2\n", "bad.yaml"); });
  ASSERT_EQ(indent.size(), 1u);
  EXPECT_EQ(indent[0].where.line, 2);
  EXPECT_EQ(indent[0].message, "YAML syntax error: illegal map value");
}

TEST(ConfigDocument, DuplicateKeysAreProblems) {
  auto problems = problems_of([] {
    ConfigDocument::from_string(
        "store:\n"
        "  plugin: memory\n"
        "  plugin: redis\n"
        "gateway: {}\n"
        "gateway: {}\n",
        "dup.yaml");
  });
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].where.line, 3);
  EXPECT_EQ(problems[0].path, "store.plugin");
  EXPECT_EQ(problems[0].message, "duplicate key 'plugin'");
  EXPECT_EQ(problems[0].hint, "first defined at line 2");
  EXPECT_EQ(problems[1].where.line, 5);
}

TEST(ConfigDocument, AnchorsAliasesAndMergeKeys) {
  auto doc = ConfigDocument::from_string(
      "defaults: &defaults\n"
      "  retries: 3\n"
      "  timeout: 5\n"
      "a:\n"
      "  <<: *defaults\n"
      "  timeout: 10\n"
      "b: *defaults\n"
      "list: &l [1, 2]\n"
      "again: *l\n",
      "t.yaml");
  const Json& r = doc.root();
  EXPECT_EQ(r["a"], (Json{{"retries", 3}, {"timeout", 10}}));
  EXPECT_EQ(r["b"], (Json{{"retries", 3}, {"timeout", 5}}));
  EXPECT_EQ(r["again"], (Json{1, 2}));
  EXPECT_EQ(doc.locate_key("/a/timeout").line, 6);
  EXPECT_EQ(doc.locate_key("/a/retries").line, 2);  // where the merged key is written
}

TEST(ConfigDocument, RecursiveAliasIsAProblemNotACrash) {
  auto problems = problems_of([] { ConfigDocument::from_string("a: &x [1, *x]\n", "t.yaml"); });
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "a[1]");
  EXPECT_EQ(problems[0].message, "recursive alias: this value contains itself");
  // Branching recursion must not blow up either.
  problems = problems_of(
      [] { ConfigDocument::from_string("a: &x { b: *x, c: *x, <<: [*x, *x] }\n", "t.yaml"); });
  EXPECT_EQ(problems.size(), 4u);
}

TEST(ConfigDocument, AliasBombIsRefused) {
  // Each level doubles: 2^30 values if expanded.
  std::string yaml = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    std::string prev = "l" + std::to_string(i - 1);
    yaml +=
        "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*" + prev + ", *" + prev + "]\n";
  }
  auto problems = problems_of([&] { ConfigDocument::from_string(yaml, "t.yaml"); });
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("the config expands to more than"), std::string::npos);
}

TEST(ConfigDocument, SameAliasTwiceIsNotRecursion) {
  auto doc = ConfigDocument::from_string("x: &x [1]\ny: [*x, *x, {a: *x}]\n", "t.yaml");
  EXPECT_EQ(doc.root()["y"], (Json{{1}, {1}, {{"a", {1}}}}));
}

TEST(ConfigDocument, SecondDocumentIsAProblem) {
  auto problems = problems_of([] { ConfigDocument::from_string("a: 1\n---\nb: 2\n", "t.yaml"); });
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].where.line, 3);
}

// A file that is not UTF-8 is refused where its bytes are, line by line,
// before any of it is read as YAML (yaml-cpp takes such bytes as they are,
// into keys and values that cannot be printed).
TEST(ConfigDocument, BytesThatAreNotUtf8AreProblemsWithTheirPlace) {
  auto problems = problems_of([] {
    ConfigDocument::from_string(
        "store:\n  plugin: memory\n  config:\n    fsync: b\x80tch\n"
        "# caf\xe9\n# caf\xc3\xa9 is fine\n",
        "t.yaml");
  });
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].to_string(),
            "t.yaml:4:13: not UTF-8 text: byte 0x80 starts no UTF-8 character (save the file as "
            "UTF-8)");
  EXPECT_EQ(problems[1].where.line, 5);
  EXPECT_EQ(problems[1].where.column, 6);
}

TEST(ConfigDocument, AVariableThatIsNotUtf8IsAProblemAtItsValue) {
  ::setenv("HERALD_TEST_LATIN1", "caf\xe9", 1);
  auto problems = problems_of(
      [] { ConfigDocument::from_string("a:\n  b: ${HERALD_TEST_LATIN1}\n", "t.yaml"); });
  ::unsetenv("HERALD_TEST_LATIN1");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].to_string(),
            "t.yaml:2:6: a.b: the value is not UTF-8 text once its ${...} variables are "
            "substituted (check the environment variable's value)");
}

TEST(ConfigDocument, FromFile) {
  std::string path = ::testing::TempDir() + "herald_config_document_test.yaml";
  {
    std::ofstream out(path);
    out << "gateway:\n  http:\n    listen: 0.0.0.0:9000\n";
  }
  auto doc = ConfigDocument::from_file(path);
  EXPECT_EQ(doc.file(), path);
  EXPECT_EQ(doc.root()["gateway"]["http"]["listen"], Json("0.0.0.0:9000"));
  EXPECT_EQ(doc.locate("/gateway/http/listen").line, 3);
  ::unlink(path.c_str());
}

TEST(ConfigDocument, UnreadableFileNamesPathAndReason) {
  auto missing = problems_of([] { ConfigDocument::from_file("/nonexistent/herald.yaml"); });
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].to_string(),
            "/nonexistent/herald.yaml: cannot read config file: No such file or directory");
  auto directory = problems_of([] { ConfigDocument::from_file("/"); });
  ASSERT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory[0].message, "cannot read config file: Is a directory");
}

}  // namespace
}  // namespace herald::gateway
