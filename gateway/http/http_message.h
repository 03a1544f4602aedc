// HTTP/1.1 messages as herald's connection loop reads and writes them: a
// strict parser for request heads (RFC 9112 §2-§5) and the formatting of
// answers. Poco's request and response classes did both before; these
// replace them on the hot path (one allocation-light pass over the head, one
// send() per answer) and refuse what Poco let through or dropped quietly: a
// field line without a colon, an obs-fold continuation line, whitespace in
// or after a field name, control characters in the target.
//
// Pure functions over strings: called on a connection's worker thread, no
// shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::gateway {

// A request line and its header fields, as sent (names keep their case).
struct HttpRequestHead {
  std::string method;                                       // "GET"
  std::string target;                                       // "/v1/events?after=3"
  std::string version;                                      // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> fields;  // values trimmed

  // The value of the first field named `name` (case-insensitive), if any.
  const std::string* find(std::string_view name) const;
  // The values of every field named `name`, in order.
  std::vector<std::string> values(std::string_view name) const;
  bool is_http10() const { return version == "HTTP/1.0"; }
  // Whether the client asks to keep the connection open: HTTP/1.1 unless
  // Connection lists "close", HTTP/1.0 only when it lists "keep-alive".
  bool wants_keep_alive() const;
};

struct HeadLimits {
  std::size_t max_target = 16 * 1024;  // the request line's target
  std::size_t max_line = 8 * 1024;     // one field line
  std::size_t max_fields = 100;
  std::size_t max_head = 64 * 1024;  // request line, fields and blank line
};

// The outcome of parsing what has arrived of a head.
struct HeadParse {
  enum Kind {
    kIncomplete,  // no blank line yet, and nothing wrong so far: read more
    kDone,        // `head` is filled; `consumed` bytes were the head
    kBad,         // refused: `status` and `problem` say why
  } kind = kIncomplete;
  std::size_t consumed = 0;
  // 400 malformed, 414 target too long, 431 fields too many or too long
  // (RFC 6585, as Go's and Node's servers answer; nginx and Apache answer a
  // long target 414 too).
  int status = 400;
  std::string problem;
};

// ASCII case-insensitive equality, for field names and tokens.
bool equals_ignoring_case(std::string_view a, std::string_view b);

// Parses a head from the start of `bytes` (leading empty lines are skipped,
// RFC 9112 §2.2). Lines end in CRLF or a bare LF. Checks syntax and limits
// only; what the fields mean (framing, version) is the connection's to
// check.
HeadParse parse_head(std::string_view bytes, HttpRequestHead& head, const HeadLimits& limits = {});

// An answer, before it is formatted.
struct HttpAnswer {
  int status = 200;
  std::string content_type;  // empty: no Content-Type (and no body expected)
  std::string body;
  std::vector<std::pair<std::string, std::string>> fields;  // Allow, Retry-After, ...
  bool close = false;  // the connection closes after this answer
};

// How the connection sends an answer.
struct AnswerFraming {
  bool http10 = false;      // status line in HTTP/1.0
  bool keep_alive = true;   // Connection: Keep-Alive, else Close
  bool omit_body = false;   // HEAD: Content-Length as for GET, no body bytes
  std::string_view date;    // the Date value
  std::string_view server;  // the Server value; empty: none
};

// Appends the status line, fields and body of `answer` to `out`.
void format_answer(std::string& out, const HttpAnswer& answer, const AnswerFraming& framing);

// The reason phrase of a status ("Not Found"), as Poco's table has it.
std::string_view reason_phrase(int status);

}  // namespace herald::gateway
