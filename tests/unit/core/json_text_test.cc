// append_json (SDK) writes exactly what Json::dump() writes.
#include <gtest/gtest.h>

#include "herald/json_text.h"

namespace herald {
namespace {

std::string text(const Json& j, Json::error_handler_t h = Json::error_handler_t::strict) {
  std::string out = "prefix:";
  append_json(out, j, h);
  return out.substr(7);
}

TEST(AppendJson, MatchesDumpOnEveryKindOfValue) {
  const Json docs[] = {
      nullptr, true, false, 0, -42, std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(), 3.25, -0.0, 1e300, "", "plain text",
      "quote \" backslash \\ tab \t newline \n", "caf\u00e9 \u65e5\u672c", Json::object(),
      Json::array(),
      Json::parse(R"({"b":[1,2.5,{"x":null}],"a":{"k\"ey":"v","\u00e9":[]},"n":-1})"),
      Json::parse(R"([[[]],{},"",[{"deep":[true,false]}]])"),
  };
  for (const Json& j : docs) EXPECT_EQ(text(j), j.dump()) << j.dump();
}

TEST(AppendJson, InvalidUtf8ThrowsOrIsReplacedAsDumpDoes) {
  const Json bad = {{"name", std::string("ab\xff" "cd")}};
  EXPECT_THROW(text(bad), Json::type_error);
  EXPECT_EQ(text(bad, Json::error_handler_t::replace),
            bad.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace
}  // namespace herald
