// A strict reader of the chunked transfer coding (RFC 9112 §7.1) for request
// bodies. Poco's own chunked stream ends quietly at a chunk size it cannot
// read, and the bytes after it were then parsed as the next request: the
// desync that request smuggling needs. This reader refuses the body instead,
// as it refuses framing that a proxy in front could read otherwise: a bare
// LF where CRLF belongs, and more than 16 KiB of chunk extensions in all.
//
// Called on the connection's worker thread; holds no state between bodies.
#pragma once

#include <cstddef>
#include <string>

namespace herald::gateway {

// Where the bytes come from: Poco's HTTP session on the socket, or a string
// in the tests.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next byte (0..255), or -1 at the end of the input.
  virtual int get() = 0;
  // Up to `n` bytes into `out`; 0 at the end of the input.
  virtual std::size_t read(char* out, std::size_t n) = 0;
};

struct ChunkedResult {
  enum Kind { kWhole, kTooLarge, kShort, kMalformed } kind = kWhole;
  std::string problem;  // for kMalformed: what is wrong
};

// Appends the decoded body to `body`, refusing more than `max` bytes.
// Chunk extensions and trailer fields are read and dropped. kShort: the
// input ended first.
ChunkedResult read_chunked(ByteSource& in, std::size_t max, std::string& body);

}  // namespace herald::gateway
