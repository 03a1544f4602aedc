// The request-head parser and the answer formatter of herald's HTTP loop.
#include <gtest/gtest.h>

#include "http/http_message.h"

#include <vector>

namespace herald::gateway {
namespace {

HttpRequestHead parsed(const std::string& bytes) {
  HttpRequestHead head;
  HeadParse p = parse_head(bytes, head);
  EXPECT_EQ(p.kind, HeadParse::kDone) << bytes << " → " << p.problem;
  return head;
}

std::string problem_of(const std::string& bytes, const HeadLimits& limits = {}) {
  HttpRequestHead head;
  HeadParse p = parse_head(bytes, head, limits);
  EXPECT_EQ(p.kind, HeadParse::kBad) << bytes;
  return p.problem;
}

TEST(ParseHead, ReadsTheRequestLineAndFields) {
  const std::string bytes =
      "POST /v1/commands/User/u1?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length:  12 \t\r\n"
      "X-Empty:\r\n\r\nBODY";
  HttpRequestHead head;
  HeadParse p = parse_head(bytes, head);
  ASSERT_EQ(p.kind, HeadParse::kDone) << p.problem;
  EXPECT_EQ(p.consumed, bytes.size() - 4);  // the body is not the head's
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/v1/commands/User/u1?x=1");
  EXPECT_EQ(head.version, "HTTP/1.1");
  ASSERT_EQ(head.fields.size(), 3u);
  EXPECT_EQ(*head.find("content-length"), "12");  // trimmed, found in any case
  EXPECT_EQ(*head.find("X-EMPTY"), "");
  EXPECT_EQ(head.find("Expect"), nullptr);
  EXPECT_EQ(head.values("host"), std::vector<std::string>{"h"});
}

TEST(ParseHead, AcceptsBareLineFeedsAndLeadingEmptyLines) {
  HttpRequestHead head = parsed("\r\n\nGET /health/live HTTP/1.0\nConnection: keep-alive\n\n");
  EXPECT_EQ(head.target, "/health/live");
  EXPECT_TRUE(head.is_http10());
  EXPECT_TRUE(head.wants_keep_alive());
}

TEST(ParseHead, WaitsForTheBlankLine) {
  for (const std::string& partial : std::vector<std::string>{
           "", "\r", "\r\n", "\r\n\r", "GET", "GET ", "M-SEARCH /", "GET / HTTP/1.1",
           "GET / HTTP/1.1\r\nHost: x\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r"}) {
    HttpRequestHead head;
    EXPECT_EQ(parse_head(partial, head).kind, HeadParse::kIncomplete) << partial;
  }
}

// What Poco's reader let through or dropped without a word.
TEST(ParseHead, RefusesWhatTwoReadersCouldTakeDifferently) {
  EXPECT_NE(problem_of("POST / HTTP/1.1\r\nContent-Length 5\r\n\r\n").find("has no colon"),
            std::string::npos);
  EXPECT_NE(problem_of("GET / HTTP/1.1\r\nHost: x\r\n Content-Length: 5\r\n\r\n")
                .find("obsolete line folding"),
            std::string::npos);
  EXPECT_NE(problem_of("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\n")
                .find("'Content-Length ' is malformed"),
            std::string::npos);
  EXPECT_NE(problem_of("GET / HTTP/1.1\r\n: v\r\n\r\n").find("no name"), std::string::npos);
  EXPECT_NE(problem_of("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n").find("CR that does not end"),
            std::string::npos);
  EXPECT_NE(
      problem_of(std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26)).find("control character"),
      std::string::npos);
}

TEST(ParseHead, RefusesMalformedRequestLines) {
  for (const std::string& line : std::vector<std::string>{
           "GARBAGE", "GET /health/live", "GET  / HTTP/1.1", "GET / HTTP/1.1 extra",
           "G(T / HTTP/1.1", "GET / HTTP/1", "GET / http/1.1", "GET / HTTP/1.10",
           std::string("GET /a\x01 HTTP/1.1")}) {
    EXPECT_FALSE(problem_of(line + "\r\n\r\n").empty()) << line;
  }
  // HTTP/2.0 is well-formed: what to answer it is the connection's call (505).
  EXPECT_EQ(parsed("PRI * HTTP/2.0\r\n\r\n").version, "HTTP/2.0");
}

// What cannot start a request is refused before its line ends: a TLS
// handshake or another protocol's greeting may never send a line feed, and
// would otherwise hold the connection until the head times out.
TEST(ParseHead, RefusesWhatCannotStartARequestWithoutWaitingForTheLineEnd) {
  const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  EXPECT_NE(problem_of(hello).find("TLS handshake"), std::string::npos);
  EXPECT_NE(problem_of(hello + "\n\r\n").find("TLS handshake"), std::string::npos);
  for (const std::string& start :
       {std::string("\x05\x01\x00", 3), std::string("\xff"), std::string(" GET / HTTP/1.1"),
        std::string("GET\t/"), std::string("G(T"), std::string(33, 'A'), std::string("\r\n\x01")}) {
    EXPECT_NE(problem_of(start).find("does not start with a method"), std::string::npos) << start;
  }
}

TEST(ParseHead, KeepsToItsLimits) {
  HeadLimits limits;
  limits.max_fields = 3;
  limits.max_line = 64;
  limits.max_target = 32;
  EXPECT_NE(problem_of("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits)
                .find("more than 3 header fields"),
            std::string::npos);
  EXPECT_NE(problem_of("GET / HTTP/1.1\r\nA: " + std::string(100, 'a') + "\r\n\r\n", limits)
                .find("longer than 64"),
            std::string::npos);
  EXPECT_NE(problem_of("GET /" + std::string(40, 'a') + " HTTP/1.1\r\n\r\n", limits)
                .find("target is longer than 32"),
            std::string::npos);
  // Too long before the line even ends: refused without waiting for the rest.
  HttpRequestHead head;
  HeadParse early = parse_head("GET / HTTP/1.1\r\nA: " + std::string(100, 'a'), head, limits);
  EXPECT_EQ(early.kind, HeadParse::kBad);
  // Statuses: fields too large 431, a target too long 414, the rest 400.
  EXPECT_EQ(early.status, 431);
  EXPECT_EQ(parse_head("GET /" + std::string(40, 'a') + " HTTP/1.1\r\n\r\n", head, limits).status,
            414);
  EXPECT_EQ(
      parse_head("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", head, limits).status,
      431);
  EXPECT_EQ(parse_head("GARBAGE\r\n\r\n", head, limits).status, 400);

  // A field line of exactly the limit is accepted wherever the segment
  // ends, also between its CR and its LF.
  const std::string at_limit = "GET / HTTP/1.1\r\nA: " + std::string(61, 'a');
  ASSERT_EQ(at_limit.size() - at_limit.find("A: "), 64u);
  EXPECT_EQ(parse_head(at_limit, head, limits).kind, HeadParse::kIncomplete);
  EXPECT_EQ(parse_head(at_limit + "\r", head, limits).kind, HeadParse::kIncomplete);
  EXPECT_EQ(parse_head(at_limit + "\r\n\r\n", head, limits).kind, HeadParse::kDone);
  EXPECT_EQ(parse_head(at_limit + "a\r", head, limits).status, 431);
  // Nothing yet, or only empty lines: nothing to judge (no byte before the
  // first looked at).
  for (const char* start : {"", "\r", "\r\n", "\r\n\r"}) {
    EXPECT_EQ(parse_head(start, head, limits).kind, HeadParse::kIncomplete) << start;
  }
}

TEST(RequestHead, KeepAliveFollowsTheVersionAndConnection) {
  EXPECT_TRUE(parsed("GET / HTTP/1.1\r\n\r\n").wants_keep_alive());
  EXPECT_FALSE(parsed("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").wants_keep_alive());
  EXPECT_FALSE(
      parsed("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n").wants_keep_alive());
  EXPECT_FALSE(parsed("GET / HTTP/1.0\r\n\r\n").wants_keep_alive());
  EXPECT_TRUE(parsed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").wants_keep_alive());
}

// Field names and tokens compare as ASCII does (RFC 9110 §5.1), bytes
// beyond it only to themselves, whatever a locale would fold.
TEST(EqualsIgnoringCase, FoldsAsciiLettersOnly) {
  EXPECT_TRUE(equals_ignoring_case("Content-LENGTH", "content-length"));
  EXPECT_TRUE(equals_ignoring_case("", ""));
  EXPECT_TRUE(equals_ignoring_case("\xc4x", "\xc4X"));
  EXPECT_FALSE(equals_ignoring_case("\xc4", "\xe4"));  // Latin-1 Ä and ä
  EXPECT_FALSE(equals_ignoring_case("[", "{"));        // 0x5B and 0x7B: 32 apart, not letters
  EXPECT_FALSE(equals_ignoring_case("@", "`"));
  EXPECT_FALSE(equals_ignoring_case("Host", "Hosts"));
  EXPECT_TRUE(parsed("GET / HTTP/1.1\r\nhOsT: x\r\n\r\n").find("HOST") != nullptr);
}

TEST(FormatAnswer, WritesStatusFieldsAndBody) {
  HttpAnswer a;
  a.status = 405;
  a.content_type = "application/problem+json";
  a.body = "{}";
  a.fields.emplace_back("Allow", "GET, HEAD");
  std::string out;
  AnswerFraming f;
  f.date = "Fri, 27 Nov 2026 10:00:00 GMT";
  format_answer(out, a, f);
  EXPECT_EQ(
      out,
      "HTTP/1.1 405 Method Not Allowed\r\nDate: Fri, 27 Nov 2026 10:00:00 GMT\r\n"
      "Connection: Keep-Alive\r\nAllow: GET, HEAD\r\nContent-Type: application/problem+json\r\n"
      "Content-Length: 2\r\n\r\n{}");
  out.clear();
  f.http10 = true;
  f.keep_alive = false;
  f.omit_body = true;  // HEAD: the length of the body it would have had
  f.server = "herald";
  format_answer(out, a, f);
  EXPECT_EQ(out.rfind("HTTP/1.0 405 Method Not Allowed\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nServer: herald\r\nConnection: Close\r\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("Content-Length: 2\r\n\r\n")) << out;
}

}  // namespace
}  // namespace herald::gateway
