// The helpers under the validator: formats, URI resolution for $ref, and the
// JSON equality and lengths JSON Schema wants.
#include "validation/formats.h"

#include <gtest/gtest.h>

#include "validation/json_util.h"
#include "validation/uri_reference.h"

namespace herald::gateway::validation {
namespace {

TEST(Formats, Email) {
  EXPECT_TRUE(is_email("bob@example.com"));
  EXPECT_TRUE(is_email("first.last+tag@sub.example.co.uk"));
  EXPECT_TRUE(is_email("\"bob smith\"@example.com"));
  EXPECT_TRUE(is_email("bob@[192.168.0.1]"));
  EXPECT_TRUE(is_email("bob@[IPv6:2001:db8::1]"));
  EXPECT_FALSE(is_email("bob"));
  EXPECT_FALSE(is_email("@example.com"));
  EXPECT_FALSE(is_email("bob@"));
  EXPECT_FALSE(is_email("bob@@example.com"));
  EXPECT_FALSE(is_email("bob..smith@example.com"));
  EXPECT_FALSE(is_email("bob@-example.com"));
  EXPECT_FALSE(is_email("bob smith@example.com"));
  EXPECT_FALSE(is_email(std::string(65, 'a') + "@example.com"));
}

TEST(Formats, Uuid) {
  EXPECT_TRUE(is_uuid("98d80576-482e-427f-8434-7f86890ab222"));
  EXPECT_TRUE(is_uuid("98D80576-482E-427F-8434-7F86890AB222"));
  EXPECT_FALSE(is_uuid("98d80576482e427f84347f86890ab222"));
  EXPECT_FALSE(is_uuid("98d80576-482e-427f-8434-7f86890ab22g"));
  EXPECT_FALSE(is_uuid("{98d80576-482e-427f-8434-7f86890ab222}"));
}

TEST(Formats, DateTime) {
  EXPECT_TRUE(is_date_time("2026-11-26T21:28:07.123456Z"));
  EXPECT_TRUE(is_date_time("2024-02-29T00:00:00+05:30"));
  EXPECT_TRUE(is_date_time("2016-12-31T23:59:60Z"));
  EXPECT_TRUE(is_date_time("2016-12-31T18:59:60-05:00"));
  EXPECT_FALSE(is_date_time("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(is_date_time("2016-12-31T22:59:60Z"));
  EXPECT_FALSE(is_date_time("2024-01-01T24:00:00Z"));
  EXPECT_FALSE(is_date_time("2024-01-01 10:00:00Z"));
  EXPECT_FALSE(is_date_time("2024-01-01T10:00:00"));
  EXPECT_FALSE(is_date_time("2024-01-01T10:00:00.Z"));
  EXPECT_FALSE(is_date_time("2024-01-01T10:00:00+0100"));
  EXPECT_TRUE(is_date("1900-02-28"));
  EXPECT_FALSE(is_date("1900-02-29"));
  EXPECT_TRUE(is_date("2000-02-29"));
}

TEST(Formats, Uri) {
  EXPECT_TRUE(is_uri("https://example.com"));
  EXPECT_TRUE(is_uri("https://user:pw@example.com:8443/a/b?c=d&e#f"));
  EXPECT_TRUE(is_uri("urn:uuid:98d80576-482e-427f-8434-7f86890ab222"));
  EXPECT_TRUE(is_uri("http://[::1]:8080/"));
  EXPECT_FALSE(is_uri("/relative/path"));
  EXPECT_FALSE(is_uri("example.com"));
  EXPECT_FALSE(is_uri("https://exa mple.com"));
  EXPECT_FALSE(is_uri("https://example.com/%zz"));
  EXPECT_FALSE(is_uri("http://example.com:80a/"));
}

TEST(Formats, IpAndHostname) {
  EXPECT_TRUE(is_ipv4("10.0.0.255"));
  EXPECT_FALSE(is_ipv4("10.0.0.256"));
  EXPECT_FALSE(is_ipv4("10.0.0"));
  EXPECT_FALSE(is_ipv4("010.0.0.1"));
  EXPECT_TRUE(is_ipv6("::"));
  EXPECT_TRUE(is_ipv6("2001:db8::ff00:42:8329"));
  EXPECT_TRUE(is_ipv6("::ffff:192.0.2.128"));
  EXPECT_FALSE(is_ipv6("2001:db8::1::2"));
  EXPECT_FALSE(is_ipv6("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(is_ipv6("12345::"));
  EXPECT_TRUE(is_hostname("api.example.com"));
  EXPECT_FALSE(is_hostname("-api.example.com"));
  EXPECT_FALSE(is_hostname("api..example.com"));
}

TEST(UriReference, ResolvesPerRfc3986) {
  const std::string base = "http://a/b/c/d;p?q";
  EXPECT_EQ(resolve_uri(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(resolve_uri(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(resolve_uri(base, "/g"), "http://a/g");
  EXPECT_EQ(resolve_uri(base, "//g"), "http://g");
  EXPECT_EQ(resolve_uri(base, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(resolve_uri(base, "#s"), "http://a/b/c/d;p?q#s");
  EXPECT_EQ(resolve_uri(base, ""), "http://a/b/c/d;p?q");
  EXPECT_EQ(resolve_uri(base, "../g"), "http://a/b/g");
  EXPECT_EQ(resolve_uri(base, "../../../g"), "http://a/g");
  EXPECT_EQ(resolve_uri(base, "g/./h/../i"), "http://a/b/c/g/i");
  EXPECT_EQ(resolve_uri("urn:uuid:1234", "#/$defs/x"), "urn:uuid:1234#/$defs/x");
  EXPECT_EQ(split_fragment("a.json#/x").second, "/x");
  EXPECT_EQ(percent_decode("%25field%2"), "%field%2");
}

TEST(JsonUtil, EqualityAndHashFollowJsonSchema) {
  EXPECT_TRUE(json_equal(Json(1), Json(1.0)));
  EXPECT_TRUE(json_equal(Json(-0.0), Json(0)));
  EXPECT_FALSE(json_equal(Json(1), Json(true)));
  EXPECT_FALSE(json_equal(Json(-1), Json(18446744073709551615ULL)));
  EXPECT_TRUE(json_equal(Json::parse(R"({"a": [1, {"b": 2}]})"),
                         Json::parse(R"({"a": [1.0, {"b": 2.0}]})")));
  EXPECT_EQ(json_hash(Json::parse(R"({"a": [1, {"b": 2}]})")),
            json_hash(Json::parse(R"({"a": [1.0, {"b": 2.0}]})")));
  EXPECT_LT(compare_numbers(Json(9007199254740992LL), Json(9007199254740993LL)), 0);
}

TEST(JsonUtil, LengthsAndPreviews) {
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("日本"), 2u);
  EXPECT_EQ(utf8_length("😀"), 1u);
  EXPECT_EQ(preview(Json("short")), "\"short\"");
  const std::string cut = preview(Json(std::string(100, 'x')), 10);
  EXPECT_EQ(cut, "\"xxxxxxxxx…");
  // Never cuts a multi-byte character in half.
  EXPECT_EQ(preview(Json("ééééé"), 4), "\"é…");
  EXPECT_EQ(escape_pointer_token("a/b~c"), "a~1b~0c");
}

}  // namespace
}  // namespace herald::gateway::validation
