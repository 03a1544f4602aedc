#include "http/http_connection.h"

#include "http/chunked_body.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

namespace herald::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How much of an oversized body is read and dropped before answering 413:
// closing with unread data makes the kernel reset the connection, and the
// client would see an I/O error instead of the answer.
constexpr std::streamsize kMaxDrainBytes = 64 << 20;

// Poco's session, with the count of bytes it has read ahead (a pipelined
// next request) and its reading made visible.
class Session final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  using HTTPSession::buffered;
  using HTTPSession::read;
  using HTTPSession::refill;
};

// The session as a ByteSource for read_chunked. (Not HTTPSession::get(),
// which returns bytes from 0x80 up as negative numbers, 0xFF as the end.)
class SessionBytes final : public ByteSource {
 public:
  explicit SessionBytes(Session& session) : session_(session) {}
  int get() override {
    if (session_.buffered() == 0) session_.refill();
    char c;
    if (session_.buffered() == 0 || session_.read(&c, 1) != 1) return -1;
    return static_cast<unsigned char>(c);
  }
  std::size_t read(char* out, std::size_t n) override {
    const int got =
        session_.read(out, static_cast<std::streamsize>(std::min<std::size_t>(n, 1 << 20)));
    return got > 0 ? static_cast<std::size_t>(got) : 0;
  }

 private:
  Session& session_;
};

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

bool is_field(const std::string& name, const std::string& field) {
  return Poco::icompare(name, field) == 0;
}

// RFC 9110 §5.6.2: the characters of a field name.
bool is_token(const std::string& name) {
  if (name.empty()) return false;
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  for (unsigned char c : name) {
    if (std::isalnum(c) == 0 && kSymbols.find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// "HTTP/1.x" (x one digit): herald speaks HTTP/1.1 and answers 1.0 as such.
bool is_http1(const std::string& version) {
  return version.size() == 8 && version.compare(0, 7, "HTTP/1.") == 0 &&
         std::isdigit(static_cast<unsigned char>(version[7])) != 0;
}

std::optional<FramingProblem> check_framing(const Poco::Net::HTTPRequest& request) {
  using Poco::Net::HTTPMessage;
  const auto bad = [](std::string detail) {
    return FramingProblem{400, "malformed-request", "Malformed request", std::move(detail)};
  };
  const std::string& version = request.getVersion();
  if (!is_http1(version)) {
    // HTTP/2 with prior knowledge starts "PRI * HTTP/2.0": answered in 1.1
    // rather than as if it were 2.0.
    const bool well_formed = version.size() == 8 && version.compare(0, 5, "HTTP/") == 0 &&
                             std::isdigit(static_cast<unsigned char>(version[5])) != 0 &&
                             version[6] == '.' &&
                             std::isdigit(static_cast<unsigned char>(version[7])) != 0;
    if (!well_formed) return bad("the request line ends in '" + version + "', not an HTTP version");
    return FramingProblem{505, "http-version-not-supported", "HTTP version not supported",
                          version + " is not spoken here: send HTTP/1.1 (or 1.0)"};
  }
  std::size_t lengths = 0;
  std::size_t codings = 0;
  for (const auto& [name, value] : request) {
    // "Content-Length : 5" would be read as no length at all, while a proxy
    // in front may read it as one (RFC 9112 §5.1: a server MUST refuse it).
    if (name.empty()) return bad("a header field line has no name before its colon");
    if (!is_token(name)) {
      return bad("the header field name '" + name +
                 "' is malformed: a name has no spaces (none before its colon either)");
    }
    if (is_field(name, HTTPMessage::CONTENT_LENGTH)) ++lengths;
    if (is_field(name, HTTPMessage::TRANSFER_ENCODING)) ++codings;
  }
  if (codings > 0 && lengths > 0) {
    return bad("a request must not have both Content-Length and Transfer-Encoding");
  }
  if (codings > 0 && version == HTTPMessage::HTTP_1_0) {
    // RFC 9112 §6.1: Transfer-Encoding in 1.0 means the framing is faulty.
    return bad("an HTTP/1.0 request cannot have Transfer-Encoding: send Content-Length");
  }
  if (codings > 1 || (codings == 1 && !is_field(request.get(HTTPMessage::TRANSFER_ENCODING),
                                                HTTPMessage::CHUNKED_TRANSFER_ENCODING))) {
    std::vector<std::string> all;  // for the answer only
    for (const auto& [name, value] : request) {
      if (is_field(name, HTTPMessage::TRANSFER_ENCODING)) all.push_back(value);
    }
    return FramingProblem{501, "not-implemented", "Not implemented",
                          "Transfer-Encoding '" +
                              Poco::cat(std::string(", "), all.begin(), all.end()) +
                              "' is not supported: send the body with Content-Length or "
                              "Transfer-Encoding: chunked"};
  }
  if (lengths == 0) return std::nullopt;
  const std::string* first = nullptr;
  for (const auto& [name, value] : request) {
    if (!is_field(name, HTTPMessage::CONTENT_LENGTH)) continue;
    if (!value.empty() && value[0] == '-') return bad("Content-Length must not be negative");
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
      return bad("Content-Length must be a decimal number, not '" + value + "'");
    }
    if (first && value != *first) {
      return bad("the request has Content-Length " + *first + " and " + value);
    }
    if (!first) first = &value;
  }
  return std::nullopt;
}

// kShort: a timeout or a reset; kEnded: the client closed its sending side
// before the body was whole.
enum class BodyRead { kWhole, kTooLarge, kShort, kEnded, kMalformed };

// Reads the body whatever its framing, refusing more than `max` bytes.
// Chunked bodies are read by read_chunked from the session (`problem` says
// what is wrong with a malformed one), others from Poco's stream.
BodyRead read_body(Poco::Net::HTTPServerRequest& request, Session& session, std::size_t max,
                   std::string& body, std::string& problem) {
  if (request.getChunkedTransferEncoding()) {
    SessionBytes bytes(session);
    ChunkedResult read;
    try {
      read = read_chunked(bytes, max, body);
    } catch (const Poco::Exception&) {
      return BodyRead::kShort;  // a timeout or a reset
    }
    problem = read.problem;
    switch (read.kind) {
      case ChunkedResult::kWhole: return BodyRead::kWhole;
      case ChunkedResult::kTooLarge: return BodyRead::kTooLarge;
      case ChunkedResult::kShort: return BodyRead::kEnded;  // the source ran dry
      case ChunkedResult::kMalformed: return BodyRead::kMalformed;
    }
  }
  if (request.hasContentLength())
    body.reserve(static_cast<std::size_t>(request.getContentLength64()));
  std::istream& in = request.stream();
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max) return BodyRead::kTooLarge;
  }
  // Poco's streams end quietly on a timeout or a reset (badbit set).
  if (in.bad()) return BodyRead::kShort;
  if (request.hasContentLength() &&
      body.size() < static_cast<std::uint64_t>(request.getContentLength64())) {
    return BodyRead::kEnded;
  }
  return BodyRead::kWhole;
}

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

// Answers a request that could not be read, and so has no request object;
// the connection closes after it.
void refuse(Session& session, ConnectionHandler& handler, int status, const char* slug,
            const char* title, const std::string& detail) {
  {
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.set("Date", http_date());
    response.setKeepAlive(false);
    handler.refuse(response, status, slug, title, detail);
  }  // sent
  linger(session.socket().impl()->sockfd());
}

void refuse_head_timeout(Session& session, ConnectionHandler& handler) {
  refuse(session, handler, 408, "request-timeout", "Request incomplete",
         "the request line and headers did not arrive within gateway.http.io_timeout_seconds");
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
  const int fd = socket().impl()->sockfd();
  for (;;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return Wait::kTimedOut;
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min(left, shared_.poll_slice).count()));
    if (rc > 0) return Wait::kReadable;  // bytes, or the end: the read tells
    if (rc < 0 && errno != EINTR) return Wait::kTimedOut;
    if (shared_.stopping.load(std::memory_order_relaxed)) return Wait::kStopping;
    if (steady_clock::now() - since_ >= hand_over_after && shared_.others_waiting()) {
      return Wait::kHandedOver;
    }
  }
}

void HttpConnection::run() {
  since_ = steady_clock::now();
  const Poco::Net::HTTPServerParams& params = *shared_.params;
  ConnectionHandler& handler = *shared_.handler;
  const std::string server = params.getSoftwareVersion();
  Session session(socket(), shared_.params);
  HeadWatch::Slot slot;
  slot.fd = socket().impl()->sockfd();
  shared_.heads->add(&slot);
  struct Unregister {
    HeadWatch& heads;
    HeadWatch::Slot* slot;
    ~Unregister() { heads.remove(slot); }
  } unregister{*shared_.heads, &slot};
  bool first = true;
  try {
    for (;;) {
      if (session.buffered() == 0) {
        // The first request may take io_timeout to come, later ones the
        // keep-alive timeout.
        const Wait wait =
            first ? wait_for_request(to_ms(params.getTimeout()), shared_.first_request_grace)
                  : wait_for_request(to_ms(params.getKeepAliveTimeout()), shared_.hand_over_after);
        if (wait == Wait::kHandedOver) handler.handed_over();
        if (wait != Wait::kReadable) return;
      }
      first = false;

      // The request refers to its response; the response is destroyed (and
      // so sent: Poco's streams flush then) before anything more is read.
      auto response = std::make_unique<Poco::Net::HTTPServerResponseImpl>(session);
      std::unique_ptr<Poco::Net::HTTPServerRequestImpl> request;
      HeadWatch::reading(slot);
      try {
        request = std::make_unique<Poco::Net::HTTPServerRequestImpl>(*response, session,
                                                                     shared_.params.get());
      } catch (const Poco::Exception& e) {
        // `response` points at the request that failed: answer on a new one.
        const Poco::Exception* io = session.networkException();
        const bool cut_off = HeadWatch::done_reading(slot) ||
                             dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr;
        if (cut_off || (io && dynamic_cast<const Poco::TimeoutException*>(io))) {
          refuse_head_timeout(session, handler);
        } else if (!io && !dynamic_cast<const Poco::Net::NoMessageException*>(&e)) {
          // Unparseable: a bad request line, a malformed or oversized header.
          refuse(session, handler, 400, "malformed-request", "Malformed request", e.message());
        } else if (!io && session.buffered() > 0) {
          // Poco reads a first byte 0xFF as the end of the stream ("no
          // message"), yet more bytes follow: garbage, not a closed
          // connection.
          refuse(session, handler, 400, "malformed-request", "Malformed request",
                 "the request does not start with a method");
        }
        return;  // closed by the client, reset, or answered above
      }

      Poco::Net::HTTPServerRequestImpl& req = *request;
      if (auto problem = check_framing(req)) {
        refuse(session, handler, problem->status, problem->slug, problem->title, problem->detail);
        return;
      }
      response->set("Date", http_date());
      response->setVersion(req.getVersion() == Poco::Net::HTTPMessage::HTTP_1_0
                               ? Poco::Net::HTTPMessage::HTTP_1_0
                               : Poco::Net::HTTPMessage::HTTP_1_1);
      if (!server.empty()) response->set("Server", server);
      bool keep_alive = params.getKeepAlive() && req.getKeepAlive() &&
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
      response->setKeepAlive(keep_alive);

      // The whole body, before the handler sees the request: still under
      // the watch, so head and body arrive within io_timeout in all, and
      // the next request starts where this body ends whatever the handler
      // makes of it. Neither Content-Length nor chunked: no body (RFC 9112
      // §6.3), whatever Poco's stream would read until the connection ends.
      std::string body;
      if (req.getChunkedTransferEncoding() || req.hasContentLength()) {
        const std::size_t max = shared_.max_body_bytes;
        const bool declared_too_large =
            req.hasContentLength() && req.getContentLength64() > static_cast<std::int64_t>(max);
        const bool go_ahead = !(declared_too_large && req.getExpectContinue());
        // A client that asked first gets no go-ahead for a body too large,
        // and so sends nothing to drain.
        if (req.getExpectContinue() && go_ahead) response->sendContinue();
        std::string problem;
        BodyRead read =
            declared_too_large ? BodyRead::kTooLarge : read_body(req, session, max, body, problem);
        // A Content-Length body too large is drained through Poco's stream;
        // the rest of a chunked one by the lingering close.
        if (read == BodyRead::kTooLarge && go_ahead && req.hasContentLength()) {
          req.stream().ignore(kMaxDrainBytes);
        }
        if (read == BodyRead::kMalformed) {
          HeadWatch::done_reading(slot);
          refuse(session, handler, 400, "malformed-request", "Malformed request", problem);
          return;
        }
        // Cut off by the watch (which shuts the socket for reading, so the
        // body seems to end): the deadline passed.
        if (HeadWatch::done_reading(slot) && read != BodyRead::kTooLarge) read = BodyRead::kShort;
        if (read == BodyRead::kTooLarge) {
          refuse(
              session, handler, 413, "body-too-large", "Request body too large",
              "the body exceeds " + std::to_string(max) + " bytes (gateway.http.max_body_bytes)");
          return;
        }
        if (read == BodyRead::kEnded) {
          refuse(
              session, handler, 400, "malformed-request", "Malformed request",
              "the client closed its side of the connection before the whole body arrived (" +
                  std::to_string(body.size()) + " bytes" +
                  (req.hasContentLength() ? " of the " + std::to_string(req.getContentLength64()) +
                                                " its Content-Length announced)"
                                          : std::string(", and no last chunk)")));
          return;
        }
        if (read == BodyRead::kShort) {
          refuse(
              session, handler, 408, "request-timeout", "Request incomplete",
              "the request did not arrive whole within gateway.http.io_timeout_seconds (" +
                  (req.hasContentLength() ? "its body stopped before its Content-Length of " +
                                                std::to_string(req.getContentLength64()) + " bytes)"
                                          : std::string("its chunked body did not end)")));
          return;
        }
      } else if (HeadWatch::done_reading(slot)) {
        refuse_head_timeout(session, handler);
        return;
      }

      handler.answer(req, body, *response);
      keep_alive = response->getKeepAlive();
      response.reset();  // sent
      if (!keep_alive) {
        linger(slot.fd);
        return;
      }
    }
  } catch (const Poco::Exception& e) {
    spdlog::debug("HTTP connection ended: {}", e.displayText());
  } catch (const std::exception& e) {
    spdlog::debug("HTTP connection ended: {}", e.what());
  }
}

}  // namespace herald::gateway
