#include "http/chunked_body.h"

#include <algorithm>
#include <cstdint>

namespace herald::gateway {
namespace {

// The longest line read for a chunk size with its extensions, or for one
// trailer field; how many trailer fields are read; and how many bytes of
// chunk extensions one body may carry in all (as Node.js since
// CVE-2024-22019: 1-byte chunks with 8 KiB of extensions each would make a
// 1 MiB body gigabytes on the wire).
constexpr std::size_t kMaxLine = 8192;
constexpr int kMaxTrailerFields = 100;
constexpr std::size_t kMaxExtensionBytes = 16384;

enum class Line { kRead, kEnd, kTooLong, kBareLf };

// Reads up to and including CRLF; `line` gets what comes before it. Unlike
// in a request's head, a bare LF is refused: RFC 9112 §7.1 frames chunks
// with CRLF only, and a reader that took LF alone could split chunks where
// a proxy in front does not (request smuggling). A CR anywhere else is
// refused by the callers' character checks.
Line read_line(ByteSource& in, std::string& line) {
  line.clear();
  for (;;) {
    const int c = in.get();
    if (c < 0) return Line::kEnd;
    if (c == '\n') {
      if (line.empty() || line.back() != '\r') return Line::kBareLf;
      line.pop_back();
      return Line::kRead;
    }
    if (line.size() == kMaxLine) return Line::kTooLong;
    line.push_back(static_cast<char>(c));
  }
}

ChunkedResult malformed(std::string problem) {
  return {ChunkedResult::kMalformed, "malformed chunked body: " + std::move(problem)};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool visible_or_space(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

}  // namespace

ChunkedResult read_chunked(ByteSource& in, std::size_t max, std::string& body) {
  std::string line;
  std::size_t extension_bytes = 0;
  for (;;) {
    // chunk-size [ chunk-ext ] CRLF
    switch (read_line(in, line)) {
      case Line::kEnd: return {ChunkedResult::kShort, {}};
      case Line::kTooLong: return malformed("a chunk-size line longer than 8192 bytes");
      case Line::kBareLf: return malformed("a chunk-size line that ends with a bare LF, not CRLF");
      case Line::kRead: break;
    }
    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits) {
      if (digits == 16) return malformed("a chunk size of more than 16 hex digits");
      size = size * 16 + static_cast<std::uint64_t>(hex_value(line[digits]));
    }
    if (digits == 0)
      return malformed("a chunk size that is not hexadecimal: '" + line.substr(0, 40) + "'");
    const std::string rest = line.substr(digits);
    const auto ext = rest.find_first_not_of(" \t");
    if (ext != std::string::npos && (rest[ext] != ';' || !visible_or_space(rest))) {
      return malformed("unexpected text after the chunk size: '" + rest.substr(0, 40) + "'");
    }
    if ((extension_bytes += rest.size()) > kMaxExtensionBytes) {
      return malformed("more than 16384 bytes of chunk extensions");
    }
    if (size == 0) break;
    if (size > max - std::min(max, body.size())) return {ChunkedResult::kTooLarge, {}};
    // chunk-data CRLF
    const std::size_t start = body.size();
    body.resize(start + static_cast<std::size_t>(size));
    for (std::size_t got = 0; got < size;) {
      const std::size_t n =
          in.read(body.data() + start + got, static_cast<std::size_t>(size) - got);
      if (n == 0) {
        body.resize(start + got);
        return {ChunkedResult::kShort, {}};
      }
      got += n;
    }
    const int cr = in.get();
    const int lf = cr == '\r' ? in.get() : cr;
    if (cr < 0 || lf < 0) return {ChunkedResult::kShort, {}};
    if (cr != '\r' || lf != '\n') {
      return malformed("a chunk's data does not end with CRLF where its size says");
    }
  }
  // trailer-section CRLF
  for (int fields = 0;; ++fields) {
    switch (read_line(in, line)) {
      case Line::kEnd: return {ChunkedResult::kShort, {}};
      case Line::kTooLong: return malformed("a trailer field longer than 8192 bytes");
      case Line::kBareLf: return malformed("a trailer line that ends with a bare LF, not CRLF");
      case Line::kRead: break;
    }
    if (line.empty()) return {ChunkedResult::kWhole, {}};
    if (fields == kMaxTrailerFields) return malformed("more than 100 trailer fields");
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string::npos || !visible_or_space(line) ||
        line.find_first_of(" \t") < colon) {
      return malformed("a trailer field that is not 'name: value'");
    }
  }
}

}  // namespace herald::gateway
