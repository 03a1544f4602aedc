// The strict chunked reader: what it decodes, what it refuses, and where it
// stops (the next request starts right after the body's last CRLF).
#include "http/chunked_body.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace herald::gateway {
namespace {

// A ByteSource over a string, that hands out at most `step` bytes per read
// (a body arrives in pieces).
class StringBytes final : public ByteSource {
 public:
  explicit StringBytes(std::string text, std::size_t step = 3)
      : text_(std::move(text)), step_(step) {}
  int get() override { return at_ < text_.size() ? static_cast<unsigned char>(text_[at_++]) : -1; }
  std::size_t read(char* out, std::size_t n) override {
    const std::size_t k = std::min({n, step_, text_.size() - at_});
    std::memcpy(out, text_.data() + at_, k);
    at_ += k;
    return k;
  }
  std::string rest() const { return text_.substr(at_); }

 private:
  std::string text_;
  std::size_t step_;
  std::size_t at_ = 0;
};

ChunkedResult decode(const std::string& wire, std::string& body, std::size_t max = 1000) {
  StringBytes in(wire);
  return read_chunked(in, max, body);
}

TEST(ReadChunked, DecodesChunksExtensionsAndTrailersAndStopsAtTheEnd) {
  StringBytes in(
      "5\r\nhello\r\n"
      "1;name=value\r\n,\r\n"
      "A \t; ext\r\n0123456789\r\n"
      "00\r\nX-Checksum: abc\r\n\r\n"
      "GET /next HTTP/1.1\r\n");
  std::string body;
  auto result = read_chunked(in, 1000, body);
  EXPECT_EQ(result.kind, ChunkedResult::kWhole) << result.problem;
  EXPECT_EQ(body, "hello,0123456789");
  EXPECT_EQ(in.rest(), "GET /next HTTP/1.1\r\n");
}

TEST(ReadChunked, AcceptsBytesOfAnyValue) {
  std::string body;
  const std::string wire("3\r\n\xff\x80\x00\r\n0\r\n\r\n", 14);
  EXPECT_EQ(decode(wire, body).kind, ChunkedResult::kWhole);
  EXPECT_EQ(body, std::string("\xff\x80\x00", 3));
}

// Chunks are framed with CRLF only (RFC 9112 §7.1): a reader that also takes
// a bare LF splits "2;\nxx\r\n" where a proxy that keeps the LF inside the
// extension does not, and the two disagree on where the next request starts.
TEST(ReadChunked, RefusesBareLineFeedsInItsFraming) {
  for (const std::string wire : {"3\nabc\r\n0\r\n\r\n", "3\r\nabc\n0\r\n\r\n",
                                 "2;\nxx\r\n0\r\n\r\n", "0\r\n\n", "0\r\nX: y\n\r\n"}) {
    std::string body;
    auto result = decode(wire, body);
    EXPECT_EQ(result.kind, ChunkedResult::kMalformed) << wire;
    EXPECT_NE(result.problem.find("LF"), std::string::npos) << result.problem;
  }
}

// 1-byte chunks carrying 8 KiB of extensions each would make a 1 MiB body
// gigabytes on the wire, read a byte at a time.
TEST(ReadChunked, ChunkExtensionsAreBoundedForTheWholeBody) {
  std::string wire;
  for (int i = 0; i < 3; ++i) wire += "1;" + std::string(8000, 'e') + "\r\nx\r\n";
  std::string body;
  auto result = decode(wire + "0\r\n\r\n", body);
  EXPECT_EQ(result.kind, ChunkedResult::kMalformed);
  EXPECT_NE(result.problem.find("16384 bytes of chunk extensions"), std::string::npos)
      << result.problem;
  std::string two;
  for (int i = 0; i < 2; ++i) two += "1;" + std::string(8000, 'e') + "\r\nx\r\n";
  body.clear();
  EXPECT_EQ(decode(two + "0\r\n\r\n", body).kind, ChunkedResult::kWhole);
  EXPECT_EQ(body, "xx");
}

TEST(ReadChunked, RefusesWhatItCannotFrame) {
  struct Case {
    std::string wire;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"zz\r\nhello\r\n0\r\n\r\n", "not hexadecimal"},
      {"\r\n", "not hexadecimal"},
      {"-5\r\nhello\r\n0\r\n\r\n", "not hexadecimal"},
      {"5 garbage\r\nhello\r\n0\r\n\r\n", "after the chunk size"},
      {"5\r\nhelloXX\r\n0\r\n\r\n", "where its size says"},
      {"10000000000000000\r\n", "more than 16 hex digits"},
      {"0\r\nno colon\r\n\r\n", "not 'name: value'"},
      {"0\r\n: empty name\r\n\r\n", "not 'name: value'"},
      {"5;" + std::string(9000, 'e') + "\r\n", "longer than 8192"},
  };
  for (const Case& c : cases) {
    std::string body;
    auto result = decode(c.wire, body);
    EXPECT_EQ(result.kind, ChunkedResult::kMalformed) << c.wire.substr(0, 60);
    EXPECT_NE(result.problem.find(c.problem), std::string::npos) << result.problem;
  }
}

TEST(ReadChunked, AnInputThatEndsEarlyIsShort) {
  for (const std::string wire :
       {"", "5", "5\r\nhel", "5\r\nhello", "5\r\nhello\r\n", "0\r\n", "0\r\nX: y\r\n"}) {
    std::string body;
    EXPECT_EQ(decode(wire, body).kind, ChunkedResult::kShort) << wire;
  }
}

TEST(ReadChunked, MoreThanTheLimitIsTooLargeBeforeItIsRead) {
  std::string body;
  EXPECT_EQ(decode("a\r\n0123456789\r\n0\r\n\r\n", body, 10).kind, ChunkedResult::kWhole);
  body.clear();
  EXPECT_EQ(decode("6\r\n012345\r\n5\r\n67890\r\n0\r\n\r\n", body, 10).kind,
            ChunkedResult::kTooLarge);
  EXPECT_LE(body.size(), 10u);
  // A huge size is refused from its line, without allocating it.
  body.clear();
  EXPECT_EQ(decode("ffffffffffffffff\r\n", body, 10).kind, ChunkedResult::kTooLarge);
  EXPECT_TRUE(body.empty());
}

}  // namespace
}  // namespace herald::gateway
