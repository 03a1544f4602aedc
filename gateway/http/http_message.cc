#include "http/http_message.h"

#include <Poco/Net/HTTPResponse.h>

#include <cctype>  // std::isdigit

namespace herald::gateway {
namespace {

// HTTP's case-insensitivity is ASCII's (RFC 9110 §5.1), whatever the C
// locale says; and a table look-up, not a libc call per byte.
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

}  // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

namespace {

// RFC 9110 §5.6.2: the characters of a token (method, field name).
constexpr bool is_tchar(unsigned char c) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && kSymbols.find(static_cast<char>(c)) != std::string_view::npos);
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool lists(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && is_ows(item.front())) item.remove_prefix(1);
    while (!item.empty() && is_ows(item.back())) item.remove_suffix(1);
    if (equals_ignoring_case(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HeadParse bad(std::string problem, int status = 400) {
  HeadParse p;
  p.kind = HeadParse::kBad;
  p.status = status;
  p.problem = std::move(problem);
  return p;
}

constexpr int kUriTooLong = 414;
constexpr int kFieldsTooLarge = 431;

// A line past its limit: the request line's is the target's (414), a
// field line's the fields' (431).
HeadParse too_long(bool request_line, std::size_t limit) {
  return request_line
             ? bad("the request line is longer than " + std::to_string(limit) + " bytes",
                   kUriTooLong)
             : bad("a header field line is longer than " + std::to_string(limit) + " bytes",
                   kFieldsTooLarge);
}

// For messages: a piece of the input with control bytes shown as \xNN.
std::string shown(std::string_view s, std::size_t max = 64) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// Why the start of a request line, complete or not, cannot be one; empty
// while it still can. A request line starts with its method, a token, so a
// TLS handshake or another protocol's greeting (which may never send the
// line end a request waits for) is refused at once instead of when the
// head times out.
std::string not_a_request_start(std::string_view start) {
  if (start.size() >= 2 && start[0] == '\x16' && start[1] == '\x03') {
    return "this is a TLS handshake: herald's HTTP API speaks plain HTTP (use http://, or put a "
           "TLS-terminating proxy in front of it)";
  }
  // An empty line's CR, its LF still to come; a first byte that may be a
  // TLS record's, its version still to come.
  if (start == "\r" || start == "\x16") return {};
  constexpr const char* problem =
      "the request does not start with a method name (a token of at most 32 characters followed "
      "by a space): is this HTTP?";
  std::size_t i = 0;
  while (i < start.size() && is_tchar(static_cast<unsigned char>(start[i]))) {
    if (++i > 32) return problem;
  }
  if (i == start.size() || (i > 0 && start[i] == ' ')) return {};
  return problem;
}

HeadParse parse_request_line(std::string_view line, HttpRequestHead& head,
                             const HeadLimits& limits) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return bad("the request line '" + shown(line) +
               "' is not METHOD TARGET HTTP-VERSION, separated by single spaces");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  // The method, a token of at most 32 characters, is not_a_request_start's
  // to check: parse_head asks it first.
  if (target.empty()) return bad("the request line has no target");
  if (target.size() > limits.max_target) {
    return bad("the request target is longer than " + std::to_string(limits.max_target) + " bytes",
               kUriTooLong);
  }
  for (unsigned char c : target) {
    if (c < 0x21 || c == 0x7f)
      return bad("the request target '" + shown(target) + "' has a control character");
  }
  const bool well_formed = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                           std::isdigit(static_cast<unsigned char>(version[5])) != 0 &&
                           version[6] == '.' &&
                           std::isdigit(static_cast<unsigned char>(version[7])) != 0;
  if (!well_formed)
    return bad("the request line ends in '" + shown(version) + "', not an HTTP version");
  head.method.assign(method);
  head.target.assign(target);
  head.version.assign(version);
  return {};
}

HeadParse parse_field_line(std::string_view line, HttpRequestHead& head) {
  if (is_ows(line.front())) {
    // obs-fold (RFC 9112 §5.2): a continuation of the line before, which
    // readers join differently; refused rather than guessed.
    return bad(
        "a header field line starts with whitespace (obsolete line folding is not accepted)");
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return bad("the header field line '" + shown(line) + "' has no colon");
  }
  const std::string_view name = line.substr(0, colon);
  if (name.empty()) return bad("a header field line has no name before its colon");
  if (!is_token(name)) {
    // "Content-Length : 5" would be read as no length at all, while a proxy
    // in front may read it as one (RFC 9112 §5.1: a server MUST refuse it).
    return bad("the header field name '" + shown(name) +
               "' is malformed: a name has no spaces (none before its colon either)");
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return bad("the header field " + std::string(name) + " has a control character in its value");
    }
  }
  head.fields.emplace_back(std::string(name), std::string(value));
  return {};
}

}  // namespace

const std::string* HttpRequestHead::find(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (equals_ignoring_case(n, name)) return &v;
  }
  return nullptr;
}

std::vector<std::string> HttpRequestHead::values(std::string_view name) const {
  std::vector<std::string> all;
  for (const auto& [n, v] : fields) {
    if (equals_ignoring_case(n, name)) all.push_back(v);
  }
  return all;
}

bool HttpRequestHead::wants_keep_alive() const {
  bool close = false, keep = false;
  for (const auto& [n, v] : fields) {
    if (!equals_ignoring_case(n, "Connection")) continue;
    close = close || lists(v, "close");
    keep = keep || lists(v, "keep-alive");
  }
  if (close) return false;
  return is_http10() ? keep : true;
}

HeadParse parse_head(std::string_view bytes, HttpRequestHead& head, const HeadLimits& limits) {
  head.method.clear();
  head.target.clear();
  head.version.clear();
  head.fields.clear();
  std::size_t pos = 0;
  // Empty lines before the request line are skipped (RFC 9112 §2.2).
  while (pos < bytes.size() &&
         (bytes[pos] == '\n' ||
          (bytes[pos] == '\r' && pos + 1 < bytes.size() && bytes[pos + 1] == '\n'))) {
    pos += bytes[pos] == '\n' ? 1 : 2;
    if (pos > limits.max_head) return bad("the request starts with too many empty lines");
  }
  bool request_line = true;
  for (;;) {
    const std::size_t nl = bytes.find('\n', pos);
    const std::size_t line_limit = request_line ? limits.max_target + 64 : limits.max_line;
    if (request_line) {
      if (std::string problem = not_a_request_start(bytes.substr(pos)); !problem.empty()) {
        return bad(std::move(problem));
      }
    }
    if (nl == std::string_view::npos) {
      // A CR at the end is the line's end on its way (its LF not here yet):
      // the same line is judged alike wherever a TCP segment ends.
      std::size_t pending = bytes.size() - pos;
      if (pending > 0 && bytes.back() == '\r') --pending;
      if (pending > line_limit) {
        return too_long(request_line, line_limit);
      }
      if (bytes.size() > limits.max_head) {
        return bad("the request head is longer than " + std::to_string(limits.max_head) + " bytes",
                   kFieldsTooLarge);
      }
      return {};  // kIncomplete
    }
    std::string_view line = bytes.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > line_limit) {
      return too_long(request_line, line_limit);
    }
    if (line.find('\r') != std::string_view::npos) {
      return bad("the request head has a CR that does not end a line");
    }
    pos = nl + 1;
    if (pos > limits.max_head) {
      return bad("the request head is longer than " + std::to_string(limits.max_head) + " bytes",
                 kFieldsTooLarge);
    }
    if (request_line) {
      HeadParse p = parse_request_line(line, head, limits);
      if (p.kind == HeadParse::kBad) return p;
      request_line = false;
      continue;
    }
    if (line.empty()) {
      HeadParse done;
      done.kind = HeadParse::kDone;
      done.consumed = pos;
      return done;
    }
    if (head.fields.size() >= limits.max_fields) {
      return bad(
          "the request has more than " + std::to_string(limits.max_fields) + " header fields",
          kFieldsTooLarge);
    }
    HeadParse p = parse_field_line(line, head);
    if (p.kind == HeadParse::kBad) return p;
  }
}

std::string_view reason_phrase(int status) {
  return Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

void format_answer(std::string& out, const HttpAnswer& answer, const AnswerFraming& framing) {
  out += framing.http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(answer.status);
  out += ' ';
  out += reason_phrase(answer.status);
  out += "\r\nDate: ";
  out += framing.date;
  if (!framing.server.empty()) {
    out += "\r\nServer: ";
    out += framing.server;
  }
  out += framing.keep_alive ? "\r\nConnection: Keep-Alive" : "\r\nConnection: Close";
  for (const auto& [name, value] : answer.fields) {
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  if (!answer.content_type.empty()) {
    out += "\r\nContent-Type: ";
    out += answer.content_type;
  }
  out += "\r\nContent-Length: ";
  out += std::to_string(answer.body.size());
  out += "\r\n\r\n";
  if (!framing.omit_body) out += answer.body;
}

}  // namespace herald::gateway
