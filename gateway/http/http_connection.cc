#include "http/http_connection.h"

#include "http/chunked_body.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>

namespace herald::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How much of an oversized body is read and dropped before answering 413:
// closing with unread data makes the kernel reset the connection, and the
// client would see an I/O error instead of the answer.
constexpr std::uint64_t kMaxDrainBytes = 64 << 20;

// The Date header, formatted once a second per thread instead of per answer.
const std::string& http_date() {
  thread_local std::time_t formatted_at = 0;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    formatted_at = now;
    text = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(now),
                                           Poco::DateTimeFormat::HTTP_FORMAT);
  }
  return text;
}

// What one read asks the socket for.
constexpr std::size_t kReadChunk = 16384;

milliseconds to_ms(const Poco::Timespan& span) {
  return milliseconds(span.totalMilliseconds());
}

// A request whose framing cannot be trusted: where it ends, and so where the
// next request starts, is ambiguous (what request smuggling exploits), or
// coded in a way herald cannot read. Answered, then the connection closes.
struct FramingProblem {
  int status;
  const char* slug;
  const char* title;
  std::string detail;
};

constexpr std::string_view kContentLength = "Content-Length";
constexpr std::string_view kTransferEncoding = "Transfer-Encoding";
constexpr std::string_view kHost = "Host";

// Where a request's body ends, as check_framing read it: chunked, a
// Content-Length, or neither (no body).
struct BodyFraming {
  bool chunked = false;
  std::optional<std::uint64_t> length;
};

// An HTTP/1.1 request has exactly one Host field, whose value is a host
// with an optional port (or empty); RFC 9112 §3.2 has a server answer 400
// otherwise, as nginx, Apache and Go's server do. Which of two hosts a
// request is for depends on who reads it. HTTP/1.0 may omit it.
std::optional<std::string> host_problem(const HttpRequestHead& head) {
  const std::string* host = nullptr;
  std::size_t hosts = 0;
  for (const auto& [name, value] : head.fields) {
    if (!equals_ignoring_case(name, kHost)) continue;
    if (++hosts == 1) host = &value;
  }
  if (hosts == 0) {
    if (head.is_http10()) return std::nullopt;
    return std::string("an HTTP/1.1 request must have a Host field (RFC 9112 §3.2)");
  }
  if (hosts > 1) {
    return "the request has " + std::to_string(hosts) +
           " Host fields; it must have exactly one (RFC 9112 §3.2)";
  }
  for (char c : *host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || std::string_view("/\\?#@,").find(c) != std::string_view::npos) {
      return "the Host field '" + *host + "' is not a host with an optional port";
    }
  }
  return std::nullopt;
}

// What the fields of a well-formed head mean for its framing, version and
// Host: fills `framing`, or says why the request cannot be read. (Field
// names and the syntax are parse_head's to check.)
std::optional<FramingProblem> check_framing(const HttpRequestHead& head, BodyFraming& framing) {
  framing = BodyFraming{};
  const auto bad = [](std::string detail) {
    return FramingProblem{400, "malformed-request", "Malformed request", std::move(detail)};
  };
  if (head.version.compare(0, 7, "HTTP/1.") != 0) {
    // HTTP/2 with prior knowledge starts "PRI * HTTP/2.0": answered in 1.1
    // rather than as if it were 2.0.
    return FramingProblem{505, "http-version-not-supported", "HTTP version not supported",
                          head.version + " is not spoken here: send HTTP/1.1 (or 1.0)"};
  }
  if (auto problem = host_problem(head)) return bad(std::move(*problem));
  std::size_t lengths = 0;
  std::size_t codings = 0;
  for (const auto& [name, value] : head.fields) {
    if (equals_ignoring_case(name, kContentLength)) ++lengths;
    if (equals_ignoring_case(name, kTransferEncoding)) ++codings;
  }
  if (codings > 0 && lengths > 0) {
    return bad("a request must not have both Content-Length and Transfer-Encoding");
  }
  if (codings > 0 && head.is_http10()) {
    // RFC 9112 §6.1: Transfer-Encoding in 1.0 means the framing is faulty.
    return bad("an HTTP/1.0 request cannot have Transfer-Encoding: send Content-Length");
  }
  if (codings > 1 ||
      (codings == 1 && !equals_ignoring_case(*head.find(kTransferEncoding), "chunked"))) {
    std::string all;  // for the answer only
    for (const std::string& value : head.values(kTransferEncoding)) {
      all += (all.empty() ? "" : ", ") + value;
    }
    return FramingProblem{501, "not-implemented", "Not implemented",
                          "Transfer-Encoding '" + all +
                              "' is not supported: send the body with Content-Length or "
                              "Transfer-Encoding: chunked"};
  }
  framing.chunked = codings == 1;
  if (lengths == 0) return std::nullopt;
  const std::string* first = nullptr;
  for (const auto& [name, value] : head.fields) {
    if (!equals_ignoring_case(name, kContentLength)) continue;
    if (!value.empty() && value[0] == '-') return bad("Content-Length must not be negative");
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
        ec != std::errc() || end != value.data() + value.size()) {
      return bad("Content-Length must be a decimal number below 2^64, not '" + value + "'");
    }
    if (first && value != *first) {
      return bad("the request has Content-Length " + *first + " and " + value);
    }
    if (!first) first = &value;
    framing.length = n;
  }
  return std::nullopt;
}

// kShort: a timeout or a reset; kEnded: the client closed its sending side
// before the body was whole.
enum class BodyRead { kWhole, kTooLarge, kShort, kEnded, kMalformed };

// How long, and how much, a closing connection reads and drops of what the
// client still sends, so that its last answer reaches it.
constexpr milliseconds kLingerFor{1000};
constexpr std::size_t kLingerBytes = 1 << 20;

// How often a lingering close looks whether the client has everything.
constexpr milliseconds kLingerSlice{5};

// Closes the sending side after a last answer, then reads and drops what
// the client still sends until the client has acknowledged the whole
// answer (or closes, or kLingerFor passes): a socket closed with unread
// data, or that receives data after its close, is reset, and the reset
// throws away the part of the answer not yet transmitted (a big answer to a
// slow or pipelining client). What Apache and nginx call a lingering close;
// for a small answer on a live connection it ends after one round trip.
void linger(int fd) {
  ::shutdown(fd, SHUT_WR);
  const auto deadline = steady_clock::now() + kLingerFor;
  char sink[16384];
  std::size_t dropped = 0;
  for (;;) {
    // Drop what has arrived.
    for (;;) {
      const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        return;  // the client closed (or reset)
      }
      if (n < 0) break;
      dropped += static_cast<std::size_t>(n);
      if (dropped >= kLingerBytes) return;
    }
    // Bytes sent (the FIN counts one) that the client has not acknowledged.
    int unacknowledged = 0;
    if (::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0 || unacknowledged == 0) return;
    const auto left = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min(left, kLingerSlice).count()));
  }
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

HeadWatch::HeadWatch(milliseconds limit) : limit_(limit), thread_([this] { watch(); }) {}

HeadWatch::~HeadWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HeadWatch::add(Slot* slot) {
  std::lock_guard lock(mutex_);
  slots_.insert(slot);
}

void HeadWatch::remove(Slot* slot) {
  std::lock_guard lock(mutex_);
  slots_.erase(slot);
}

void HeadWatch::reading(Slot& slot) {
  slot.reading_since.store(steady_ns(), std::memory_order_relaxed);
}

bool HeadWatch::done_reading(Slot& slot) {
  return slot.reading_since.exchange(0) == kCutOff;
}

void HeadWatch::watch() {
  const auto limit_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(limit_).count();
  // Checked a few times per limit: a head is cut off at most a quarter late.
  const auto period = std::max(milliseconds(10), limit_ / 4);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    const std::int64_t now = steady_ns();
    for (Slot* slot : slots_) {
      std::int64_t since = slot->reading_since.load(std::memory_order_relaxed);
      // Only a head still being read when the exchange happens: one that
      // finished meanwhile is left alone.
      if (since > 0 && now - since > limit_ns &&
          slot->reading_since.compare_exchange_strong(since, kCutOff)) {
        ::shutdown(slot->fd, SHUT_RD);
      }
    }
  }
}

HttpConnection::Wait HttpConnection::wait_for_request(milliseconds limit,
                                                      milliseconds hand_over_after) {
  const auto deadline = steady_clock::now() + limit;
  for (;;) {
    const Fill got = read_slice();
    if (got == Fill::kData) {
      last_fill_ = got;
      return Wait::kReadable;
    }
    if (got != Fill::kTimeout) return Wait::kClosed;
    if (shared_.stopping.load(std::memory_order_relaxed)) return Wait::kStopping;
    const auto now = steady_clock::now();
    if (now >= deadline) return Wait::kTimedOut;
    if (now - since_ >= hand_over_after && shared_.others_waiting()) return Wait::kHandedOver;
  }
}

// The connection's buffered bytes, then the socket, as a ByteSource for
// read_chunked.
class ReaderBytes final : public ByteSource {
 public:
  explicit ReaderBytes(HttpConnection& c) : c_(c) {}
  int get() override {
    if (c_.buffered() == 0 && c_.fill() != HttpConnection::Fill::kData) return -1;
    return static_cast<unsigned char>(c_.take(1)[0]);
  }
  std::size_t read(char* out, std::size_t n) override {
    if (c_.buffered() == 0 && c_.fill() != HttpConnection::Fill::kData) return 0;
    std::string_view got = c_.take(n);
    std::memcpy(out, got.data(), got.size());
    return got.size();
  }

 private:
  HttpConnection& c_;
};

void RecvBuffer::consume(std::size_t n) {
  begin_ += std::min(n, size());
  if (begin_ == end_) begin_ = end_ = 0;
}

char* RecvBuffer::room(std::size_t n) {
  if (capacity_ - end_ < n && begin_ > 0) {
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ - end_ < n) {
    const std::size_t grown = std::max(capacity_ * 2, end_ + n);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    if (end_ > 0) std::memcpy(bigger.get(), data_.get(), end_);
    data_ = std::move(bigger);
    capacity_ = grown;
  }
  return data_.get() + end_;
}

HttpConnection::Fill HttpConnection::read_slice() {
  char* room = in_.room(kReadChunk);
  for (;;) {
    const ssize_t n = ::recv(fd_, room, kReadChunk, 0);
    if (n > 0) {
      in_.commit(static_cast<std::size_t>(n));
      return Fill::kData;
    }
    if (n == 0) return Fill::kEnd;
    if (errno == EINTR) continue;
    // SO_RCVTIMEO: a poll slice without bytes.
    return errno == EAGAIN || errno == EWOULDBLOCK ? Fill::kTimeout : Fill::kError;
  }
}

HttpConnection::Fill HttpConnection::fill() {
  std::optional<steady_clock::time_point> give_up;  // set by the first empty slice
  for (;;) {
    const Fill got = read_slice();
    if (got != Fill::kTimeout) return last_fill_ = got;
    // The read goes on until it has waited io_timeout_seconds.
    const auto now = steady_clock::now();
    if (!give_up) give_up = now - recv_timeout_ + io_timeout_;
    if (now >= *give_up) return last_fill_ = Fill::kTimeout;
  }
}

std::string_view HttpConnection::take(std::size_t n) {
  std::string_view got = in_.unread().substr(0, n);
  in_.consume(got.size());
  return got;
}

bool HttpConnection::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;  // gone, reset, or not reading for io_timeout_seconds (SO_SNDTIMEO)
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool HttpConnection::send_answer(const HttpAnswer& answer, AnswerFraming framing) {
  framing.date = http_date();
  framing.server = server_;
  out_.clear();
  format_answer(out_, answer, framing);
  return send_all(out_);
}

void HttpConnection::refuse(int status, const char* slug, const char* title,
                            const std::string& detail) {
  AnswerFraming framing;
  framing.keep_alive = false;
  if (send_answer(shared_.handler->refusal(status, slug, title, detail), framing)) linger(fd_);
}

void HttpConnection::refuse_head_timeout() {
  refuse(408, "request-timeout", "Request incomplete",
         "the request line and headers did not arrive within gateway.http.io_timeout_seconds");
}

bool HttpConnection::read_head(HttpRequestHead& head, HeadWatch::Slot& slot) {
  // A head is parsed again only when a line has been completed since the
  // last try, so a head sent a byte at a time costs a parse per line.
  static const HeadLimits kLimits;
  std::size_t scanned = 0;
  for (;;) {
    const std::string_view bytes = in_.unread();
    // Parsed at the first bytes too, so that what cannot be a request (a TLS
    // handshake) is refused before a line end that may never come.
    if (scanned == 0 || bytes.find('\n', scanned) != std::string_view::npos ||
        bytes.size() > kLimits.max_head) {
      HeadParse parsed = parse_head(bytes, head, kLimits);
      if (parsed.kind == HeadParse::kDone) {
        in_.consume(parsed.consumed);
        return true;
      }
      if (parsed.kind == HeadParse::kBad) {
        HeadWatch::done_reading(slot);
        if (parsed.status == 414) {
          refuse(414, "uri-too-long", "Request target too long", parsed.problem);
        } else if (parsed.status == 431) {
          refuse(431, "header-fields-too-large", "Request header fields too large", parsed.problem);
        } else {
          refuse(400, "malformed-request", "Malformed request", parsed.problem);
        }
        return false;
      }
    }
    scanned = bytes.size();
    const Fill got = fill();
    if (got == Fill::kData) continue;
    const bool cut_off = HeadWatch::done_reading(slot);
    if (cut_off || got == Fill::kTimeout) {
      refuse_head_timeout();
      return false;
    }
    // The client closed: quietly between requests, with a 400 in the middle
    // of one (what came is not a request).
    const std::string_view rest = in_.unread();
    if (got == Fill::kEnd && rest.find_first_not_of("\r\n") != std::string_view::npos) {
      refuse(400, "malformed-request", "Malformed request",
             "the connection ended in the middle of the request head");
    }
    return false;
  }
}

void HttpConnection::drop_empty_lines() {
  const std::string_view unread = in_.unread();
  in_.consume(std::min(unread.find_first_not_of("\r\n"), unread.size()));
}

void HttpConnection::run() {
  since_ = steady_clock::now();
  const Poco::Net::HTTPServerParams& params = *shared_.params;
  ConnectionHandler& handler = *shared_.handler;
  server_ = params.getSoftwareVersion();
  fd_ = socket().impl()->sockfd();
  // Each read and each send waits at most io_timeout_seconds; HeadWatch
  // bounds a whole request. A read waits a poll slice at a time, so that
  // the wait for the next request is the read itself (wait_for_request).
  io_timeout_ = to_ms(params.getTimeout());
  recv_timeout_ = std::max(shared_.poll_slice, milliseconds(1));  // 0 would be no timeout
  socket().setReceiveTimeout(
      Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(recv_timeout_).count()));
  socket().setSendTimeout(params.getTimeout());
  HeadWatch::Slot slot;
  slot.fd = fd_;
  shared_.heads->add(&slot);
  struct Unregister {
    HeadWatch& heads;
    HeadWatch::Slot* slot;
    ~Unregister() { heads.remove(slot); }
  } unregister{*shared_.heads, &slot};
  bool first = true;
  HttpRequestHead head;
  std::string body;
  try {
    for (;;) {
      // Empty lines before a request are ignored (RFC 9112 §2.2): a client
      // that ends a body with an extra CRLF is idle, not in the middle of a
      // request whose io_timeout runs (it got a 408 it had not asked for).
      drop_empty_lines();
      if (buffered() == 0) {
        // The first request may take io_timeout to come, later ones the
        // keep-alive timeout.
        const Wait wait =
            first ? wait_for_request(to_ms(params.getTimeout()), shared_.first_request_grace)
                  : wait_for_request(to_ms(params.getKeepAliveTimeout()), shared_.hand_over_after);
        if (wait == Wait::kHandedOver) handler.handed_over();
        if (wait != Wait::kReadable) return;
        drop_empty_lines();
        if (buffered() == 0) continue;  // only empty lines came: still idle
      }
      first = false;

      HeadWatch::reading(slot);
      if (!read_head(head, slot)) return;
      BodyFraming framing;
      if (auto problem = check_framing(head, framing)) {
        HeadWatch::done_reading(slot);
        refuse(problem->status, problem->slug, problem->title, problem->detail);
        return;
      }
      bool keep_alive = params.getKeepAlive() && head.wants_keep_alive() &&
                        !shared_.stopping.load(std::memory_order_relaxed);
      // This connection has had its worker for a while and others wait for
      // one: close after this answer (clients reconnect on "Connection:
      // close" by themselves), so that a busy client cannot keep the others
      // (a health probe, say) out for as long as it likes.
      if (keep_alive && steady_clock::now() - since_ >= shared_.hand_over_after &&
          shared_.others_waiting()) {
        keep_alive = false;
        handler.handed_over();
      }

      // The whole body, before the handler sees the request: still under
      // the watch, so head and body arrive within io_timeout in all, and
      // the next request starts where this body ends whatever the handler
      // makes of it. Neither Content-Length nor chunked: no body (RFC 9112
      // §6.3).
      body.clear();
      if (framing.chunked || framing.length) {
        const std::size_t max = shared_.max_body_bytes;
        const std::uint64_t length = framing.length.value_or(0);
        const bool declared_too_large = length > max;
        const std::string* expect = head.find("Expect");
        const bool expects_continue =
            !head.is_http10() && expect != nullptr && equals_ignoring_case(*expect, "100-continue");
        // A client that asked first gets no go-ahead for a body too large,
        // and so sends nothing to drain.
        const bool go_ahead = !(declared_too_large && expects_continue);
        if (expects_continue && go_ahead && !send_all("HTTP/1.1 100 Continue\r\n\r\n")) return;
        BodyRead read = BodyRead::kWhole;
        std::string problem;
        if (declared_too_large) {
          read = BodyRead::kTooLarge;
          if (go_ahead) {
            // Drained, so that the 413 is not lost to a reset.
            std::uint64_t left = std::min<std::uint64_t>(length, kMaxDrainBytes);
            while (left > 0) {
              if (buffered() == 0 && fill() != Fill::kData) break;
              left -=
                  take(static_cast<std::size_t>(std::min<std::uint64_t>(left, buffered()))).size();
            }
          }
        } else if (framing.chunked) {
          ReaderBytes bytes(*this);
          ChunkedResult result = read_chunked(bytes, max, body);
          problem = result.problem;
          switch (result.kind) {
            case ChunkedResult::kWhole: read = BodyRead::kWhole; break;
            case ChunkedResult::kTooLarge: read = BodyRead::kTooLarge; break;
            case ChunkedResult::kMalformed: read = BodyRead::kMalformed; break;
            case ChunkedResult::kShort:  // the source ran dry: why?
              read = last_fill_ == Fill::kEnd ? BodyRead::kEnded : BodyRead::kShort;
              break;
          }
        } else {
          body.reserve(static_cast<std::size_t>(length));
          while (body.size() < length) {
            if (buffered() == 0) {
              const Fill got = fill();
              if (got != Fill::kData) {
                read = got == Fill::kEnd ? BodyRead::kEnded : BodyRead::kShort;
                break;
              }
            }
            body += take(static_cast<std::size_t>(length - body.size()));
          }
        }
        if (read == BodyRead::kMalformed) {
          HeadWatch::done_reading(slot);
          refuse(400, "malformed-request", "Malformed request", problem);
          return;
        }
        // Cut off by the watch (which shuts the socket for reading, so the
        // body seems to end): the deadline passed.
        if (HeadWatch::done_reading(slot) && read != BodyRead::kTooLarge) read = BodyRead::kShort;
        if (read == BodyRead::kTooLarge) {
          refuse(
              413, "body-too-large", "Request body too large",
              "the body exceeds " + std::to_string(max) + " bytes (gateway.http.max_body_bytes)");
          return;
        }
        if (read == BodyRead::kEnded) {
          refuse(400, "malformed-request", "Malformed request",
                 "the client closed its side of the connection before the whole body arrived (" +
                     std::to_string(body.size()) + " bytes" +
                     (framing.length
                          ? " of the " + std::to_string(length) + " its Content-Length announced)"
                          : std::string(", and no last chunk)")));
          return;
        }
        if (read == BodyRead::kShort) {
          refuse(408, "request-timeout", "Request incomplete",
                 "the request did not arrive whole within gateway.http.io_timeout_seconds (" +
                     (framing.length ? "its body stopped before its Content-Length of " +
                                           std::to_string(length) + " bytes)"
                                     : std::string("its chunked body did not end)")));
          return;
        }
      } else if (HeadWatch::done_reading(slot)) {
        refuse_head_timeout();
        return;
      }

      HttpAnswer answer = handler.answer(head, body);
      keep_alive = keep_alive && !answer.close;
      AnswerFraming answer_framing;
      answer_framing.http10 = head.is_http10();
      answer_framing.keep_alive = keep_alive;
      answer_framing.omit_body = head.method == "HEAD";
      if (!send_answer(answer, answer_framing)) return;
      if (!keep_alive) {
        linger(fd_);
        return;
      }
      // Keep a big request's buffers from pinning memory for the connection.
      if (body.capacity() > (1 << 20)) std::string().swap(body);
      if (out_.capacity() > (1 << 20)) std::string().swap(out_);
    }
  } catch (const Poco::Exception& e) {
    spdlog::debug("HTTP connection ended: {}", e.displayText());
  } catch (const std::exception& e) {
    spdlog::debug("HTTP connection ended: {}", e.what());
  }
}

bool OverloadFilter::accept(const Poco::Net::StreamSocket& socket) {
  if (!shared_.queue_full()) return true;
  const int fd = socket.impl()->sockfd();
  // Drop what the request has sent so far: a close with unread bytes is a
  // reset, which may throw the answer away before the client reads it.
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  HttpAnswer answer =
      shared_.handler->refusal(503, "overloaded", "Gateway overloaded",
                               "every worker thread is busy and gateway.http.max_queued (" +
                                   std::to_string(shared_.params->getMaxQueued()) +
                                   ") connections already wait for one; retry later");
  answer.fields.emplace_back("Retry-After", "1");
  AnswerFraming framing;
  framing.keep_alive = false;
  framing.date = http_date();
  const std::string server = shared_.params->getSoftwareVersion();
  framing.server = server;
  std::string out;
  format_answer(out, answer, framing);
  // Never blocks: a client whose connection cannot take a few hundred bytes
  // at once gets the close alone.
  if (::send(fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    spdlog::debug("could not answer an overloaded connection: {}", std::strerror(errno));
  }
  ::shutdown(fd, SHUT_WR);
  shared_.overloaded.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace herald::gateway
