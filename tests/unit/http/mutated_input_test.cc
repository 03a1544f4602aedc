// Bytes a client may send, mutated at random from valid requests (a flipped
// byte, a byte inserted or dropped, a span doubled, the end cut off): every
// parser of the HTTP layer gives a definite outcome (parsed, incomplete, or
// refused with a status and a problem), never an exception, a crash or an
// answer that contradicts itself. A deterministic seed per test (or
// HERALD_TEST_SEED), so a failure prints the input that caused it and is
// reproducible; a run under
// -DHERALD_SANITIZE=address,undefined checks the memory accesses too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "http/chunked_body.h"
#include "http/http_message.h"
#include "http/request_parsing.h"
#include "support/byte_mutator.h"
#include "support/test_seed.h"

namespace herald::gateway {
namespace {

using herald::testing::printable;

constexpr int kRounds = 20000;

bool is_problem(const Json& problem, int status) {
  return problem.is_object() && problem.value("status", 0) == status && problem.contains("type") &&
         problem.contains("detail") && !problem["detail"].get<std::string>().empty();
}

TEST(MutatedInput, RequestHeadsParseOrAreRefusedWithAReason) {
  const std::vector<std::string> seeds = {
      "GET /v1/streams/User/u1?after=3&limit=10 HTTP/1.1\r\nHost: localhost\r\n"
      "Accept: */*\r\n\r\n",
      "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n"
      "Content-Type: application/json\r\nIdempotency-Key: k-1\r\n\r\n{\"type\":\"x\"}",
      "POST /v1/commands/User HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n",
      "GET http://localhost:8080/v1/events?after=0 HTTP/1.0\nConnection: keep-alive\n\n",
  };
  HeadLimits limits;
  limits.max_target = 256;
  limits.max_line = 256;
  limits.max_fields = 8;
  limits.max_head = 1024;
  herald::testing::ByteMutator mutator(herald::testing::test_seed(20261127));
  int done = 0, bad = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string bytes = mutator.mutate(seeds[round % seeds.size()]);
    HttpRequestHead head;
    HeadParse parse;
    ASSERT_NO_THROW(parse = parse_head(bytes, head, limits)) << printable(bytes);
    switch (parse.kind) {
      case HeadParse::kDone: {
        ++done;
        ASSERT_LE(parse.consumed, bytes.size()) << printable(bytes);
        ASSERT_FALSE(head.method.empty()) << printable(bytes);
        ASSERT_EQ(head.version.rfind("HTTP/", 0), 0u) << printable(bytes);
        ASSERT_LE(head.target.size(), limits.max_target) << printable(bytes);
        ASSERT_LE(head.fields.size(), limits.max_fields) << printable(bytes);
        // The head ends where it says: one byte less is not a whole head.
        HttpRequestHead shorter;
        const HeadParse cut =
            parse_head(std::string_view(bytes).substr(0, parse.consumed - 1), shorter, limits);
        ASSERT_NE(cut.kind, HeadParse::kDone) << printable(bytes);
        // What it parsed may go on to the target and query parsers.
        std::variant<RequestTarget, BadInput> target;
        ASSERT_NO_THROW(target = parse_target(head.target)) << printable(bytes);
        if (auto* b = std::get_if<BadInput>(&target)) {
          ASSERT_TRUE(is_problem(b->problem, b->status)) << printable(bytes);
        }
        break;
      }
      case HeadParse::kBad:
        ++bad;
        ASSERT_TRUE(parse.status == 400 || parse.status == 414 || parse.status == 431)
            << parse.status << " " << printable(bytes);
        ASSERT_FALSE(parse.problem.empty()) << printable(bytes);
        break;
      case HeadParse::kIncomplete:
        ASSERT_LE(bytes.size(), limits.max_head) << printable(bytes);
        break;
    }
  }
  // The mutations reach both sides.
  EXPECT_GT(done, kRounds / 20);
  EXPECT_GT(bad, kRounds / 20);
}

TEST(MutatedInput, TargetsAndQueriesParseOrAreRefusedWithAProblem) {
  const std::vector<std::string> seeds = {
      "/v1/streams/User/a%2Fb?after=3&limit=10",
      "/v1/projections/users?q=alice&sort=-name&active=false&limit=5&offset=10",
      "/v1/events?after=0&type=UserCreated&type=UserUpdated&wait_ms=100",
      "http://localhost:8080/v1/aggregates/User/u%C3%A9",
  };
  herald::testing::ByteMutator mutator(herald::testing::test_seed(7));
  int ok = 0, refused = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string uri = mutator.mutate(seeds[round % seeds.size()]);
    std::variant<RequestTarget, BadInput> target;
    ASSERT_NO_THROW(target = parse_target(uri)) << printable(uri);
    if (auto* b = std::get_if<BadInput>(&target)) {
      ++refused;
      ASSERT_EQ(b->status, 400) << printable(uri);
      ASSERT_TRUE(is_problem(b->problem, 400)) << b->problem.dump() << " " << printable(uri);
      continue;
    }
    ++ok;
    const RequestTarget& t = std::get<RequestTarget>(target);
    for (const auto& segment : t.path) ASSERT_FALSE(segment.empty()) << printable(uri);
    for (const char* key : {"after", "limit", "offset", "wait_ms"}) {
      std::variant<std::uint64_t, BadInput> v;
      ASSERT_NO_THROW(v = uint_param(t.query, key, 0, 1000)) << printable(uri);
      if (auto* b = std::get_if<BadInput>(&v)) {
        ASSERT_TRUE(is_problem(b->problem, 400)) << b->problem.dump() << " " << printable(uri);
      } else {
        ASSERT_LE(std::get<std::uint64_t>(v), 1000u) << printable(uri);
      }
    }
  }
  EXPECT_GT(ok, kRounds / 20);
  EXPECT_GT(refused, kRounds / 20);
}

TEST(MutatedInput, CommandBodiesParseOrAreRefusedWithAProblem) {
  const std::vector<std::string> seeds = {
      R"({"type":"CreateUser","data":{"name":"Alice Johnson","email":"alice@example.com"}})",
      R"({"type":"UpdateUser","data":{"name":"A","tags":["x",1,2.5e3,null,true]},"expected_version":3})",
      R"({"type":"DeactivateUser","metadata":{"correlation_id":"c-1","user":"u"},"data":{}})",
      R"({"type":"PlaceOrder","data":{"items":[{"sku":"s\u00e9","qty":2}],"total":19.99}})",
  };
  herald::testing::ByteMutator mutator(herald::testing::test_seed(42));
  int commands = 0, refused = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string body = mutator.mutate(seeds[round % seeds.size()]);
    std::variant<Json, BadInput> json;
    ASSERT_NO_THROW(json = parse_json_body(body)) << printable(body);
    if (auto* b = std::get_if<BadInput>(&json)) {
      ++refused;
      ASSERT_TRUE(b->status == 400 || b->status == 413) << b->status << " " << printable(body);
      ASSERT_TRUE(is_problem(b->problem, b->status)) << b->problem.dump() << " " << printable(body);
      continue;
    }
    std::variant<CommandRequest, BadInput> command;
    ASSERT_NO_THROW(command = parse_command(std::move(std::get<Json>(json)))) << printable(body);
    if (auto* b = std::get_if<BadInput>(&command)) {
      ++refused;
      ASSERT_TRUE(is_problem(b->problem, b->status)) << b->problem.dump() << " " << printable(body);
      continue;
    }
    ++commands;
    const CommandRequest& c = std::get<CommandRequest>(command);
    ASSERT_FALSE(c.type.empty()) << printable(body);
    ASSERT_TRUE(c.data.is_object()) << printable(body);
    // What the gateway will write to the log and answer must serialize.
    ASSERT_NO_THROW((void)c.data.dump(-1, ' ', false, Json::error_handler_t::replace))
        << printable(body);
  }
  EXPECT_GT(commands, kRounds / 50);
  EXPECT_GT(refused, kRounds / 20);
}

// A ByteSource over a string, a few bytes per read.
class StringBytes final : public ByteSource {
 public:
  explicit StringBytes(const std::string& text) : text_(text) {}
  int get() override { return at_ < text_.size() ? static_cast<unsigned char>(text_[at_++]) : -1; }
  std::size_t read(char* out, std::size_t n) override {
    const std::size_t k = std::min({n, std::size_t{5}, text_.size() - at_});
    std::memcpy(out, text_.data() + at_, k);
    at_ += k;
    return k;
  }

 private:
  const std::string& text_;
  std::size_t at_ = 0;
};

TEST(MutatedInput, ChunkedBodiesDecodeOrAreRefused) {
  const std::vector<std::string> seeds = {
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
      "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n",
      "000003\r\nabc\r\n0;last\r\n\r\n",
  };
  constexpr std::size_t kMax = 64;
  herald::testing::ByteMutator mutator(herald::testing::test_seed(99));
  int whole = 0, other = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string wire = mutator.mutate(seeds[round % seeds.size()]);
    StringBytes in(wire);
    std::string body;
    ChunkedResult r;
    ASSERT_NO_THROW(r = read_chunked(in, kMax, body)) << printable(wire);
    if (r.kind == ChunkedResult::kWhole) {
      ++whole;
      ASSERT_LE(body.size(), kMax) << printable(wire);
    } else {
      ++other;
      if (r.kind == ChunkedResult::kMalformed) {
        ASSERT_FALSE(r.problem.empty()) << printable(wire);
      }
    }
  }
  EXPECT_GT(whole, kRounds / 50);
  EXPECT_GT(other, kRounds / 20);
}

}  // namespace
}  // namespace herald::gateway
