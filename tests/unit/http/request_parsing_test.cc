// Request parsing: the depth bound that protects the parser, and the command
// body taken apart without copies.
#include <gtest/gtest.h>

#include "http/request_parsing.h"

namespace herald::gateway {
namespace {

std::string nested(int depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

TEST(JsonNestingDepth, CountsArraysAndObjectsButNotStrings) {
  EXPECT_EQ(json_nesting_depth("1", 64), 0);
  EXPECT_EQ(json_nesting_depth(R"({"a":[{"b":[]}]})", 64), 4);
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[[{{{{"})", 64), 1);
  EXPECT_EQ(json_nesting_depth(R"({"a":"quote \" then [[[["})", 64), 1);
  EXPECT_EQ(json_nesting_depth(R"({"a":"backslash \\"}, [[1]])", 64), 2);
  EXPECT_EQ(json_nesting_depth(nested(1000), 64), 65);  // stops past the limit
}

TEST(ParseJsonBody, RefusesTooDeepButParsesDeepStrings) {
  EXPECT_TRUE(std::holds_alternative<Json>(parse_json_body(nested(kMaxDepth))));
  auto deep = parse_json_body(nested(kMaxDepth + 1));
  ASSERT_TRUE(std::holds_alternative<BadInput>(deep));
  EXPECT_NE(std::get<BadInput>(deep).problem["detail"].get<std::string>().find("nested deeper"),
            std::string::npos);
  auto text = parse_json_body(R"({"s":")" + std::string(500, '[') + R"("})");
  ASSERT_TRUE(std::holds_alternative<Json>(text));
  EXPECT_EQ(std::get<Json>(text)["s"].get<std::string>().size(), 500u);
  auto broken = parse_json_body(R"({"a":)");
  ASSERT_TRUE(std::holds_alternative<BadInput>(broken));
  EXPECT_EQ(std::get<BadInput>(broken).status, 400);
  // Where and what, without the library's exception tag.
  EXPECT_EQ(std::get<BadInput>(broken).problem["detail"],
            "the body is not valid JSON: parse error at line 1, column 6: syntax error while "
            "parsing value - unexpected end of input; expected '[', '{', or a literal");
  EXPECT_EQ(std::get<BadInput>(broken).problem["offset"], 6);
  auto huge = parse_json_body(R"({"a":1e400})");
  ASSERT_TRUE(std::holds_alternative<BadInput>(huge));
  EXPECT_EQ(std::get<BadInput>(huge).problem["detail"].get<std::string>().find("json.exception"),
            std::string::npos);
}

// A key twice in one object: nlohmann keeps the last, other readers (a proxy
// or a filter in front) the first, so the two would act on different
// commands. Refused, at any depth (RFC 7493 I-JSON).
TEST(ParseJsonBody, RefusesAKeyTwiceInOneObject) {
  for (const char* text : {R"({"type":"DeactivateUser","type":"UpdateUser","data":{}})",
                           R"({"type":"UpdateUser","data":{"name":"A","name":"B"}})",
                           R"([{"a":1},{"b":[{"c":1,"c":2}]}])"}) {
    auto parsed = parse_json_body(text);
    ASSERT_TRUE(std::holds_alternative<BadInput>(parsed)) << text;
    EXPECT_NE(std::get<BadInput>(parsed).problem["detail"].get<std::string>().find("twice"),
              std::string::npos)
        << text;
  }
  // The same key in different objects, and an array's repeated values, are fine.
  auto fine = parse_json_body(R"({"a":{"a":1},"b":[{"a":1},{"a":2}],"c":[1,1]})");
  ASSERT_TRUE(std::holds_alternative<Json>(fine));
  EXPECT_EQ(std::get<Json>(fine)["b"][1]["a"], 2);
  // Many keys (past the short list) are checked too, and still parse.
  std::string many = "{";
  for (int i = 0; i < 20000; ++i)
    many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  auto distinct = parse_json_body(many + "\"last\":0}");
  ASSERT_TRUE(std::holds_alternative<Json>(distinct));
  EXPECT_EQ(std::get<Json>(distinct).size(), 20001u);
  EXPECT_TRUE(std::holds_alternative<BadInput>(parse_json_body(many + "\"k19999\":0}")));
}

// nlohmann throws out_of_range, not parse_error, for a number beyond a
// double: it was answered 500 Internal error.
TEST(ParseJsonBody, BuildsTheDocumentNlohmannsParserBuilds) {
  for (
      const char* text :
      {R"({"type":"UpdateUser","data":{"name":"Ada","tags":["a","b"],"n":-3,"u":18446744073709551615,"f":1.5e3,"t":true,"z":null}})",
       R"([1,[2,[3,{"a":[{},[]]}]],{"b":{"c":{"d":"e"}}},"x"])", R"("just a string")", "42", "null",
       R"({"":{"":[""]},"\u00e9t\u00e9":"caf\u00e9","esc":"a\"b\\c\n"})",
       R"({"m":[{"k":1,"l":[{"k":2}]},{"k":3}],"last":{}})"}) {
    auto parsed = parse_json_body(text);
    ASSERT_TRUE(std::holds_alternative<Json>(parsed)) << text;
    EXPECT_EQ(std::get<Json>(parsed), Json::parse(text)) << text;
  }
}

TEST(ParseJsonBody, ANumberBeyondADoubleIsBadInput) {
  for (const char* body : {R"({"n":1e400})", R"({"n":-1e400})", R"([1,2,1E+999])"}) {
    auto parsed = parse_json_body(body);
    ASSERT_TRUE(std::holds_alternative<BadInput>(parsed)) << body;
    EXPECT_EQ(std::get<BadInput>(parsed).status, 400);
    EXPECT_NE(std::get<BadInput>(parsed).problem["detail"].get<std::string>().find("too large"),
              std::string::npos);
  }
  // The largest double and the smallest subnormal still parse.
  EXPECT_TRUE(std::holds_alternative<Json>(parse_json_body(R"({"n":1.7976931348623157e308})")));
  EXPECT_TRUE(std::holds_alternative<Json>(parse_json_body(R"({"n":4.9e-324})")));
}

TEST(ParseCommand, MovesTypeAndDataOut) {
  auto parsed = parse_command(Json::parse(R"({"type":"UpdateUser","data":{"name":"Ann"},"expected_version":3})"));
  ASSERT_TRUE(std::holds_alternative<CommandRequest>(parsed));
  const auto& r = std::get<CommandRequest>(parsed);
  EXPECT_EQ(r.type, "UpdateUser");
  EXPECT_EQ(r.data, Json({{"name", "Ann"}}));
  EXPECT_EQ(r.expected_version, 3);
}

TEST(ParseCommand, ListsEveryProblem) {
  auto parsed = parse_command(Json::parse(R"({"data":[],"expectedVersion":1})"));
  ASSERT_TRUE(std::holds_alternative<BadInput>(parsed));
  const Json& p = std::get<BadInput>(parsed).problem;
  ASSERT_EQ(p["errors"].size(), 3u) << p.dump();
  EXPECT_NE(p["errors"].dump().find("did you mean 'expected_version'"), std::string::npos);
  EXPECT_NE(p["errors"].dump().find("\"type\\\" is required"), std::string::npos);
}

TEST(ParseCommand, MetadataProblemsReadAsTheOthersDo) {
  auto parsed = parse_command(Json::parse(R"({"type":"T","metadata":{"correlation_id":5}})"));
  ASSERT_TRUE(std::holds_alternative<BadInput>(parsed));
  EXPECT_EQ(std::get<BadInput>(parsed).problem["detail"],
            "metadata.correlation_id must be a string");
  parsed = parse_command(Json::parse(R"({"type":"T","metadata":"x"})"));
  ASSERT_TRUE(std::holds_alternative<BadInput>(parsed));
  EXPECT_EQ(std::get<BadInput>(parsed).problem["detail"], "metadata must be an object");
  parsed = parse_command(Json::parse(R"({"type":"T","metadata":{"user_id":"ann","tenant":"t1"}})"));
  ASSERT_TRUE(std::holds_alternative<CommandRequest>(parsed));
  EXPECT_EQ(std::get<CommandRequest>(parsed).metadata.user_id, "ann");
  EXPECT_EQ(std::get<CommandRequest>(parsed).metadata.extra, Json({{"tenant", "t1"}}));
}

TEST(ParseCommand, ExpectedVersionIsAnInt64FromMinusOne) {
  auto version_of = [](const std::string& v) -> std::optional<std::int64_t> {
    auto parsed = parse_command(Json::parse(R"({"type":"T","expected_version":)" + v + "}"));
    if (std::holds_alternative<BadInput>(parsed)) return std::nullopt;
    return std::get<CommandRequest>(parsed).expected_version.value_or(-99);
  };
  EXPECT_EQ(version_of("-1"), -1);
  EXPECT_EQ(version_of("0"), 0);
  EXPECT_EQ(version_of("null"), -99);  // absent: any version
  EXPECT_EQ(version_of("9223372036854775807"), INT64_MAX);
  // Unsigned beyond INT64_MAX: refused, never wrapped round to -1 or below.
  EXPECT_EQ(version_of("18446744073709551615"), std::nullopt);
  EXPECT_EQ(version_of("9223372036854775808"), std::nullopt);
  EXPECT_EQ(version_of("-2"), std::nullopt);
  EXPECT_EQ(version_of("1.0"), std::nullopt);
  EXPECT_EQ(version_of("\"1\""), std::nullopt);
}

TEST(UintParam, RefusesWhatIsNotANumberUpToItsMaximum) {
  const QueryParams q = {{"a", {"18446744073709551615"}},
                         {"b", {"9223372036854775808"}},
                         {"c", {"-1"}},
                         {"d", {"12x"}},
                         {"e", {"18446744073709551616"}}};
  EXPECT_EQ(std::get<std::uint64_t>(uint_param(q, "a", 0)), UINT64_MAX);
  EXPECT_EQ(std::get<std::uint64_t>(uint_param(q, "missing", 7)), 7u);
  EXPECT_EQ(std::get<std::uint64_t>(uint_param(q, "b", 0, 1ull << 63)), 1ull << 63);
  auto over = uint_param(q, "b", 0, INT64_MAX);
  ASSERT_TRUE(std::holds_alternative<BadInput>(over));
  EXPECT_EQ(std::get<BadInput>(over).problem["detail"],
            "query parameter b=9223372036854775808 is too large: at most 9223372036854775807");
  // Beyond 64 bits is a number too, only too large; a sign or a letter is not.
  auto detail = [&](const char* key) {
    auto v = uint_param(q, key, 0);
    return std::holds_alternative<BadInput>(v)
               ? std::get<BadInput>(v).problem["detail"].get<std::string>()
               : std::string("accepted");
  };
  EXPECT_EQ(detail("e"),
            "query parameter e=18446744073709551616 is too large: at most 18446744073709551615");
  EXPECT_EQ(detail("c"), "query parameter c=-1 must be a non-negative integer");
  EXPECT_EQ(detail("d"), "query parameter d=12x must be a non-negative integer");
}

TEST(ParseTarget, DecodesSegmentsAndQuery) {
  auto parsed = parse_target("/v1//streams/User/a%2Fb%20c?q=charlie+brown&q=1%2B1&flag&x=");
  ASSERT_TRUE(std::holds_alternative<RequestTarget>(parsed));
  const auto& t = std::get<RequestTarget>(parsed);
  EXPECT_EQ(t.path, (std::vector<std::string>{"v1", "streams", "User", "a/b c"}));
  EXPECT_EQ(t.query.at("q"), (std::vector<std::string>{"charlie brown", "1+1"}));
  EXPECT_EQ(t.query.at("flag"), std::vector<std::string>{""});
  EXPECT_EQ(t.query.at("x"), std::vector<std::string>{""});
  // '+' is a space only in the query.
  EXPECT_EQ(std::get<RequestTarget>(parse_target("/a+b")).path, std::vector<std::string>{"a+b"});
}

TEST(ParseTarget, TheAbsoluteFormMeansItsPath) {
  for (const char* uri :
       {"http://localhost:8080/v1/events?after=3", "HTTPS://h/v1/events?after=3"}) {
    auto parsed = parse_target(uri);
    ASSERT_TRUE(std::holds_alternative<RequestTarget>(parsed)) << uri;
    EXPECT_EQ(std::get<RequestTarget>(parsed).path, (std::vector<std::string>{"v1", "events"}))
        << uri;
    EXPECT_EQ(std::get<RequestTarget>(parsed).query.at("after"), std::vector<std::string>{"3"});
  }
  EXPECT_TRUE(std::get<RequestTarget>(parse_target("http://host")).path.empty());
  // Only at the start: a path segment that looks like a scheme is a segment.
  EXPECT_EQ(std::get<RequestTarget>(parse_target("/http://x")).path,
            (std::vector<std::string>{"http:", "x"}));
}

TEST(ParseTarget, MalformedPercentEncodingIsBadInput) {
  for (const char* uri : {"/v1/streams/User/%ZZ", "/v1/streams/User/ab%", "/v1/streams/User/%4",
                          "/v1/events?after=%G1", "/v1/events?a%=1"}) {
    auto parsed = parse_target(uri);
    ASSERT_TRUE(std::holds_alternative<BadInput>(parsed)) << uri;
    const BadInput& b = std::get<BadInput>(parsed);
    EXPECT_EQ(b.status, 400) << uri;
    EXPECT_NE(b.problem["detail"].get<std::string>().find("malformed percent-encoding"),
              std::string::npos)
        << b.problem.dump();
  }
}

QueryParams query_of(const std::string& target) {
  return std::get<RequestTarget>(parse_target(target)).query;
}

TEST(ChoiceParam, TakesOneOfItsChoicesAndRefusesTheRestWithAHint) {
  const std::vector<std::string> choices = {"forward", "backward"};
  const QueryParams q = {{"a", {"backward"}}, {"b", {"Backwards"}}, {"c", {""}}, {"d", {"up"}}};
  EXPECT_EQ(std::get<std::string>(choice_param(q, "a", "forward", choices)), "backward");
  EXPECT_EQ(std::get<std::string>(choice_param(q, "missing", "forward", choices)), "forward");
  auto detail = [&](const char* key) {
    auto v = choice_param(q, key, "forward", choices);
    return std::holds_alternative<BadInput>(v)
               ? std::get<BadInput>(v).problem["detail"].get<std::string>()
               : std::string("accepted");
  };
  // Exact: a case or a letter off is refused, not read as the nearest.
  EXPECT_EQ(detail("b"),
            "query parameter b=Backwards must be one of forward, backward; did you mean "
            "'backward'?");
  EXPECT_EQ(detail("c"), "query parameter c= must be one of forward, backward");
  EXPECT_EQ(detail("d"), "query parameter d=up must be one of forward, backward");
}

TEST(CheckParams, RefusesUnknownKeysWithTheNearestSpelling) {
  ParamRules rules;
  rules.single = {"after", "limit"};
  rules.repeatable = {"type"};
  EXPECT_FALSE(check_params(query_of("/v1/events?after=1&type=a&type=b"), rules, "GET /v1/events"));
  auto bad = check_params(query_of("/v1/events?typ=a"), rules, "GET /v1/events");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  const std::string detail = bad->problem["detail"];
  EXPECT_NE(detail.find("unknown query parameter 'typ' for GET /v1/events"), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("did you mean 'type'?"), std::string::npos) << detail;
  EXPECT_NE(detail.find("it takes after, limit, type"), std::string::npos) << detail;
  EXPECT_EQ(bad->problem["accepted"], (Json{"after", "limit", "type"}));
  auto none = check_params(query_of("/x?a=1"), ParamRules{}, "GET /x");
  ASSERT_TRUE(none);
  EXPECT_NE(none->problem["detail"].get<std::string>().find("takes no query parameters"),
            std::string::npos);
}

TEST(CheckParams, RefusesRepeatsOfSingleValuedKeysAndFields) {
  ParamRules rules;
  rules.single = {"limit"};
  auto twice = check_params(query_of("/l?limit=1&limit=2"), rules, "GET /l");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->problem["parameter"], "limit");
  rules.other_fields = true;  // any field once, as a filter
  EXPECT_FALSE(check_params(query_of("/l?active=true&name=x"), rules, "GET /l"));
  EXPECT_TRUE(check_params(query_of("/l?active=true&active=false"), rules, "GET /l"));
}

TEST(CheckParams, SaysWhenAKeyBelongsInTheBody) {
  ParamRules rules;
  rules.body_fields = {"expected_version"};
  auto bad = check_params(query_of("/c?expected_version=3"), rules, "POST /c");
  ASSERT_TRUE(bad);
  EXPECT_NE(
      bad->problem["detail"].get<std::string>().find("'expected_version' goes in the JSON body"),
      std::string::npos)
      << bad->problem.dump();
}

std::string key_or_detail(const std::vector<std::string>& values) {
  auto k = idempotency_key_of(values);
  if (auto* b = std::get_if<BadInput>(&k)) return "400: " + b->problem["detail"].get<std::string>();
  return std::get<std::string>(k);
}

TEST(IdempotencyKeyOf, BareAndQuotedFormsAreTheSameKey) {
  EXPECT_EQ(key_or_detail({}), "");
  EXPECT_EQ(key_or_detail({"create-u1-once"}), "create-u1-once");
  EXPECT_EQ(key_or_detail({"\"create-u1-once\""}), "create-u1-once");
  EXPECT_EQ(key_or_detail({"  spaced key\t"}), "spaced key");
  EXPECT_EQ(key_or_detail({R"("a\"b\\c")"}), R"(a"b\c)");
  EXPECT_EQ(key_or_detail({std::string(kMaxIdempotencyKey, 'k')}),
            std::string(kMaxIdempotencyKey, 'k'));
}

TEST(IdempotencyKeyOf, RefusesWhatItCannotReadOneWay) {
  auto refused = [](const std::vector<std::string>& values, const std::string& why) {
    std::string got = key_or_detail(values);
    EXPECT_EQ(got.rfind("400: ", 0), 0u) << got;
    EXPECT_NE(got.find(why), std::string::npos) << got;
  };
  refused({"a", "b"}, "given 2 times");
  refused({"a", "a"}, "given 2 times");
  refused({""}, "is empty");
  refused({"   "}, "is empty");
  refused({"\"\""}, "is empty");
  refused({"caf\xc3\xa9"}, "printable ASCII");
  refused({std::string("a\0b", 3)}, "printable ASCII");
  refused({"\"open"}, "quoted string");
  refused({"\"a\" trailing"}, "quoted string");
  refused({R"("bad \n escape")"}, "quoted string");
  refused({std::string(kMaxIdempotencyKey + 1, 'k')}, "at most 256");
}

}  // namespace
}  // namespace herald::gateway
