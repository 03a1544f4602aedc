#include "http/http_connection.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

namespace herald::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The most of an unread request body skipped to keep the connection; past
// it the connection closes instead.
constexpr std::streamsize kMaxSkippedBody = 64 * 1024;

// Poco's session, with the count of bytes it has read ahead (a pipelined
// next request) made visible.
class Session final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  using HTTPSession::buffered;
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

std::optional<FramingProblem> check_framing(const Poco::Net::HTTPRequest& request) {
  std::vector<std::string> lengths;
  std::vector<std::string> codings;
  for (const auto& [name, value] : request) {
    if (Poco::icompare(name, Poco::Net::HTTPMessage::CONTENT_LENGTH) == 0) lengths.push_back(value);
    if (Poco::icompare(name, Poco::Net::HTTPMessage::TRANSFER_ENCODING) == 0)
      codings.push_back(value);
  }
  const auto bad = [](std::string detail) {
    return FramingProblem{400, "malformed-request", "Malformed request", std::move(detail)};
  };
  if (!codings.empty() && !lengths.empty()) {
    return bad("a request must not have both Content-Length and Transfer-Encoding");
  }
  if (!codings.empty() &&
      (codings.size() > 1 ||
       Poco::icompare(codings[0], Poco::Net::HTTPMessage::CHUNKED_TRANSFER_ENCODING) != 0)) {
    return FramingProblem{501, "not-implemented", "Not implemented",
                          "Transfer-Encoding '" +
                              Poco::cat(std::string(", "), codings.begin(), codings.end()) +
                              "' is not supported: send the body with Content-Length or "
                              "Transfer-Encoding: chunked"};
  }
  for (const std::string& length : lengths) {
    if (!length.empty() && length[0] == '-') return bad("Content-Length must not be negative");
    if (length.empty() || length.find_first_not_of("0123456789") != std::string::npos) {
      return bad("Content-Length must be a decimal number, not '" + length + "'");
    }
    if (length != lengths[0]) {
      return bad("the request has Content-Length " + lengths[0] + " and " + length);
    }
  }
  return std::nullopt;
}

// Answers a request that could not be read, and so has no request object.
void refuse(Session& session, ConnectionHandler& handler, int status, const char* slug,
            const char* title, const std::string& detail) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.set("Date", http_date());
  response.setKeepAlive(false);
  handler.refuse(response, status, slug, title, detail);
}

}  // namespace

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             steady_clock::now().time_since_epoch())
      .count();
}

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

HttpConnection::Wait HttpConnection::wait_for_request(milliseconds limit) {
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
    if (steady_clock::now() - since_ >= shared_.hand_over_after && shared_.others_waiting()) {
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
            wait_for_request(to_ms(first ? params.getTimeout() : params.getKeepAliveTimeout()));
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
        if (HeadWatch::done_reading(slot)) throw Poco::TimeoutException("request head cut off");
      } catch (const Poco::Exception& e) {
        // `response` points at the request that failed: answer on a new one.
        const Poco::Exception* io = session.networkException();
        const bool cut_off = HeadWatch::done_reading(slot) ||
                             dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr;
        if (cut_off || (io && dynamic_cast<const Poco::TimeoutException*>(io))) {
          refuse(session, handler, 408, "request-timeout", "Request incomplete",
                 "the request line and headers did not arrive within "
                 "gateway.http.io_timeout_seconds");
        } else if (!io && !dynamic_cast<const Poco::Net::NoMessageException*>(&e)) {
          // Unparseable: a bad request line, a malformed or oversized header.
          refuse(session, handler, 400, "malformed-request", "Malformed request", e.message());
        }
        return;  // closed by the client, reset, or answered above
      }

      Poco::Net::HTTPServerRequestImpl& req = *request;
      if (auto problem = check_framing(req)) {
        refuse(session, handler, problem->status, problem->slug, problem->title, problem->detail);
        return;
      }
      response->set("Date", http_date());
      response->setVersion(req.getVersion());
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
      if (req.getExpectContinue()) response->sendContinue();

      handler.answer(req, *response);
      keep_alive = response->getKeepAlive();
      response.reset();
      if (!keep_alive) return;
      // The next request starts where this one's body ends: skip what the
      // handler left unread (a POST to an unknown path, say), or close.
      if (req.getChunkedTransferEncoding() || req.hasContentLength()) {
        std::istream& body = req.stream();
        body.ignore(kMaxSkippedBody);
        if (!body.eof() || body.bad()) return;
      }
    }
  } catch (const Poco::Exception& e) {
    spdlog::debug("HTTP connection ended: {}", e.displayText());
  } catch (const std::exception& e) {
    spdlog::debug("HTTP connection ended: {}", e.what());
  }
}

}  // namespace herald::gateway
