// check_against_schema and the "did you mean" matcher.
#include "config/schema_check.h"
#include "text/suggest.h"

#include <gtest/gtest.h>

namespace herald::gateway {
namespace {

// A store-like plugin schema exercising every option type.
ConfigSchema sample_schema() {
  return {
      opt::string("path", "Log file.").req(),
      opt::choice("fsync", {"always", "batch", "never"}, "When to fsync.").def("batch"),
      opt::integer("port", "Port.").def(6379).min(1).max(65535),
      opt::number("ratio", "A ratio.").def(0.5).min(0).max(1),
      opt::boolean("tls", "Use TLS."),
      opt::list("hosts", opt::string("host", "A host."), "Hosts.").def(Json::array()),
      opt::object("pool",
                  {opt::integer("size", "Pool size.").def(4).min(1),
                   opt::object("timeouts", {opt::integer("connect_ms", "Connect.").def(1000)},
                               "Timeouts.")},
                  "Connection pool."),
      opt::object("auth", {opt::string("user", "User.").req(), opt::string("password", "Pw.")},
                  "Credentials."),
      opt::map("headers", opt::string("value", "Header value."), "Extra headers."),
      opt::list("endpoints",
                opt::object(
                    "endpoint",
                    {opt::string("url", "URL.").req(), opt::integer("retries", "Retries.").def(3)},
                    "An endpoint."),
                "Endpoints."),
      opt::any("extra", "Anything."),
  };
}

std::vector<ConfigIssue> check(Json& value) { return check_against_schema(value, sample_schema()); }

std::string paths(const std::vector<ConfigIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += (out.empty() ? "" : " ") + i.path;
  return out;
}

TEST(ClosestMatch, Cases) {
  std::vector<std::string> keys = {"path", "fsync", "store", "aggregates", "projections"};
  EXPECT_EQ(closest_match("fsnyc", keys), "fsync");           // transposition
  EXPECT_EQ(closest_match("stroe", keys), "store");           // transposition
  EXPECT_EQ(closest_match("FSYNC", keys), "fsync");           // case-insensitive
  EXPECT_EQ(closest_match("agregates", keys), "aggregates");  // deletion
  EXPECT_EQ(closest_match("projection", keys), "projections");
  EXPECT_EQ(closest_match("pth", keys), "path");
  EXPECT_EQ(closest_match("xyz", keys), "");
  EXPECT_EQ(closest_match("completely_else", keys), "");
  EXPECT_EQ(closest_match("", keys), "");
  EXPECT_EQ(closest_match("fsync", {}), "");
  // Short words accept one edit at most.
  EXPECT_EQ(closest_match("ab", {"abc"}), "abc");
  EXPECT_EQ(closest_match("ab", {"abcd"}), "");
  // Longer words accept len/3 edits: "agregats" (8 letters) allows 2, "prjctns" (7) too few.
  EXPECT_EQ(closest_match("agregats", {"aggregates"}), "aggregates");
  EXPECT_EQ(closest_match("prjctns", {"projections"}), "");
  // Ties go to the earlier candidate; a closer later one still wins.
  EXPECT_EQ(closest_match("bat", {"cat", "bad"}), "cat");
  EXPECT_EQ(closest_match("bat", {"cat", "Bat"}), "Bat");
  EXPECT_EQ(did_you_mean("fsnyc", keys), "did you mean 'fsync'?");
  EXPECT_EQ(did_you_mean("xyz", keys), "");
}

TEST(SchemaCheck, ValidConfigFillsDefaults) {
  Json v = {{"path", "/tmp/x"}};
  auto issues = check(v);
  EXPECT_TRUE(issues.empty()) << paths(issues);
  EXPECT_EQ(v["fsync"], Json("batch"));
  EXPECT_EQ(v["port"], Json(6379));
  EXPECT_EQ(v["ratio"], Json(0.5));
  EXPECT_EQ(v["hosts"], Json::array());
  // An absent optional object whose fields have defaults is created, recursively.
  EXPECT_EQ(v["pool"], (Json{{"size", 4}, {"timeouts", {{"connect_ms", 1000}}}}));
  // ... but not one with a required field, nor keys with no default.
  EXPECT_FALSE(v.contains("auth"));
  EXPECT_FALSE(v.contains("tls"));
  EXPECT_FALSE(v.contains("headers"));
}

TEST(SchemaCheck, NullMeansUseTheDefault) {
  Json v = {{"path", "p"}, {"fsync", nullptr}, {"tls", nullptr}, {"pool", nullptr}};
  EXPECT_TRUE(check(v).empty());
  EXPECT_EQ(v["fsync"], Json("batch"));
  EXPECT_EQ(v["pool"]["size"], Json(4));
  // Null and no default: as if not written.
  EXPECT_FALSE(v.contains("tls"));
  Json null_config = nullptr;
  EXPECT_EQ(paths(check_against_schema(null_config, sample_schema())), "path");
  EXPECT_TRUE(null_config.is_object());
}

TEST(SchemaCheck, UnknownKeyWithDidYouMean) {
  Json v = {{"path", "p"}, {"fsnyc", "batch"}, {"zzz", 1}};
  auto issues = check(v);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].path, "fsnyc");
  EXPECT_EQ(issues[0].message, "unknown key");
  EXPECT_EQ(issues[0].hint, "did you mean 'fsync'?");
  EXPECT_EQ(issues[1].path, "zzz");
  EXPECT_EQ(issues[1].hint.rfind("known keys: path, fsync, port", 0), 0u) << issues[1].hint;
}

TEST(SchemaCheck, WrongTypesNameExpectedAndActual) {
  Json v = {{"path", 5},        {"port", "abc"},  {"ratio", "x"}, {"tls", "true"},
            {"hosts", "a.b.c"}, {"pool", {1, 2}}, {"headers", 3}, {"extra", {{"x", 1}}}};
  auto issues = check(v);
  ASSERT_EQ(issues.size(), 7u) << paths(issues);
  EXPECT_EQ(issues[0].path, "path");
  EXPECT_EQ(issues[0].message, "expected string, got integer 5");
  EXPECT_EQ(issues[1].path, "port");
  EXPECT_EQ(issues[1].message, "expected integer, got string \"abc\"");
  EXPECT_EQ(issues[2].message, "expected number, got string \"x\"");
  EXPECT_EQ(issues[3].message, "expected boolean, got string \"true\"");
  EXPECT_EQ(issues[3].hint, "remove the quotes");
  EXPECT_EQ(issues[4].message, "expected list, got string \"a.b.c\"");
  EXPECT_EQ(issues[4].hint, "a list is written [a, b] or as lines starting with '- '");
  EXPECT_EQ(issues[5].message, "expected object, got list");
  EXPECT_EQ(issues[6].message, "expected map, got integer 3");
}

TEST(SchemaCheck, BracketedStringHint) {
  Json v = {{"path", {"::1"}}};
  auto issues = check(v);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "expected string, got list");
  EXPECT_EQ(issues[0].hint, "quote a value that starts with '[' or '{'");
}

TEST(SchemaCheck, NumbersIntegersAndRanges) {
  Json ok = {{"path", "p"}, {"ratio", 1}, {"port", 1e3}};
  EXPECT_TRUE(check(ok).empty());
  EXPECT_TRUE(ok["ratio"].is_number_float());  // kDouble accepts an integer
  EXPECT_EQ(ok["port"], Json(1000));           // a whole float is an integer

  Json bad = {{"path", "p"}, {"port", 1.5}};
  auto issues = check(bad);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "expected integer, got number 1.5");

  Json range = {{"path", "p"}, {"port", 0}, {"ratio", 1.5}, {"pool", {{"size", -1}}}};
  issues = check(range);
  ASSERT_EQ(issues.size(), 3u) << paths(issues);
  EXPECT_EQ(issues[0].path, "port");
  EXPECT_EQ(issues[0].message, "must be at least 1, got 0");
  EXPECT_EQ(issues[1].message, "must be at most 1, got 1.5");
  EXPECT_EQ(issues[2].path, "pool/size");

  Json high = {{"path", "p"}, {"port", 70000}};
  issues = check(high);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "must be at most 65535, got 70000");
}

TEST(SchemaCheck, EnumTypo) {
  Json v = {{"path", "p"}, {"fsync", "bacth"}};
  auto issues = check(v);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "fsync");
  EXPECT_EQ(issues[0].message, "expected one of always, batch, never, got \"bacth\"");
  EXPECT_EQ(issues[0].hint, "did you mean 'batch'?");
  Json n = {{"path", "p"}, {"fsync", 3}};
  EXPECT_EQ(check(n)[0].message, "expected one of always, batch, never, got integer 3");
}

TEST(SchemaCheck, MissingRequired) {
  Json v = {{"auth", {{"password", "x"}}}, {"endpoints", {{{"retries", 1}}}}};
  auto issues = check(v);
  ASSERT_EQ(issues.size(), 3u) << paths(issues);
  EXPECT_EQ(issues[0].path, "path");
  EXPECT_EQ(issues[0].message, "missing required key");
  EXPECT_EQ(issues[0].hint, "Log file.");
  EXPECT_EQ(issues[1].path, "auth/user");
  EXPECT_EQ(issues[2].path, "endpoints/0/url");
  Json null_required = {{"path", nullptr}};
  EXPECT_EQ(check(null_required)[0].message, "a value is required, got null");
}

TEST(SchemaCheck, ListsAndMapsRecurse) {
  Json v = {{"path", "p"},
            {"hosts", {"a", 2, "c"}},
            {"headers", {{"X-A", "1"}, {"X-B", false}}},
            {"endpoints", {{{"url", "http://a"}}, {{"url", "http://b"}, {"retires", 2}}, nullptr}}};
  auto issues = check(v);
  EXPECT_EQ(paths(issues), "hosts/1 headers/X-B endpoints/1/retires endpoints/2");
  EXPECT_EQ(issues[2].hint, "did you mean 'retries'?");
  EXPECT_EQ(v["endpoints"][0]["retries"], Json(3));  // defaults inside list items
}

TEST(SchemaCheck, KeysWithSlashesAreEscapedInPaths) {
  Json v = {{"path", "p"}, {"headers", {{"a/b", 1}}}};
  EXPECT_EQ(paths(check(v)), "headers/a~1b");
}

TEST(SchemaCheck, AnyAcceptsAnything) {
  for (Json x : {Json(1), Json("s"), Json::array({1, "a"}), Json{{"k", {1}}}, Json(true)}) {
    Json v = {{"path", "p"}, {"extra", x}};
    EXPECT_TRUE(check(v).empty()) << x.dump();
    EXPECT_EQ(v["extra"], x);
  }
}

TEST(SchemaCheck, EveryProblemAtOnce) {
  Json v = {{"fsync", "sometimes"}, {"port", "x"}, {"bogus", 1}, {"pool", {{"size", 0}}}};
  EXPECT_EQ(paths(check(v)), "bogus path fsync port pool/size");
}

TEST(SchemaCheck, RootMustBeAnObject) {
  Json v = Json::array();
  auto issues = check(v);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "");
  EXPECT_EQ(issues[0].message, "expected object, got list");
}

}  // namespace
}  // namespace herald::gateway
