// One client connection of the HTTP API: herald's own request loop on a
// socket that Poco's TCPServer accepted. It reads heads and writes answers
// with http_message.h (not Poco's request and response classes, which cost
// a fifth of a command's CPU and dropped a field line without a colon) and
// replaces Poco's HTTPServerConnection for what that class cannot do:
//
// - the body is read whole before the handler sees the request, so a body
//   the handler has no use for (a POST to an unknown path, a 405) is never
//   parsed as the next request; more than max_body_bytes is a 413; chunked
//   bodies are read strictly (chunked_body.h), where Poco's stream ended
//   quietly at a chunk size it could not read;
// - a request with neither Content-Length nor chunked framing has no body
//   (RFC 9112 §6.3), where Poco reads to the end of the connection;
// - framing that two HTTP readers could take differently (Content-Length
//   with Transfer-Encoding, two different Content-Lengths, Transfer-Encoding
//   in HTTP/1.0, and what parse_head refuses: whitespace in a field name, a
//   line without a colon, obs-fold) is a 400, as is an HTTP/1.1 request
//   without exactly one Host field (RFC 9112 §3.2); a transfer coding other
//   than chunked is a 501, a version other than 1.x a 505, and the
//   connection closes;
// - heads that cannot be parsed (bad request line, oversized headers), that
//   stall for io_timeout_seconds, or that the client cuts short get a
//   problem+json answer (400, 408) before the connection closes;
// - a request (line, headers and body) must arrive whole within
//   io_timeout_seconds, not only byte by byte (HeadWatch): a client that
//   trickles it (slowloris, R.U.D.Y.) cannot hold a worker for longer;
// - a connection that has held its worker thread for `hand_over_after`
//   gives it up while other connections wait for one: after its next answer
//   (Connection: close) when it is sending, at once when it is idle (after
//   a second, for a new connection still to send its first request), so
//   that idle keep-alive clients cannot keep new ones out;
// - a stop closes idle connections within a poll slice, and answers
//   in-flight requests with Connection: close;
// - a connection that closes after an answer closes its sending side first
//   and reads what the client still sends until the client has acknowledged
//   the whole answer (at most a second), so that the close is not a reset
//   that throws away the part of the answer still on its way (a lingering
//   close, as in Apache and nginx);
// - waiting for the next request is its first read, one recv(2) that
//   wakes every poll slice (SO_RCVTIMEO), where Poco's Socket::poll makes
//   four system calls (epoll_create, epoll_ctl, epoll_wait, close) before
//   the read.
//
// Threads: TCPServer creates one HttpConnection per accepted socket and runs
// it on a worker of its thread pool; everything here runs on that thread,
// except HeadWatch's watcher, a thread of its own. ConnectionHandler is
// called from many workers at once.
#pragma once

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "http/http_message.h"

namespace herald::gateway {

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;

  // The answer to one request whose `body` has been read whole (empty when
  // the request has none). `answer.close` closes the connection after it.
  // An exception ends the connection unanswered.
  virtual HttpAnswer answer(const HttpRequestHead& head, const std::string& body) = 0;

  // The answer to a request that could not be read (400 unparseable, 408
  // stalled, 413 too large, 501 coding, 505 version); the connection closes
  // after it.
  virtual HttpAnswer refusal(int status, const std::string& slug, const std::string& title,
                             const std::string& detail) = 0;

  // Counts a connection given up for a waiting one.
  virtual void handed_over() = 0;
};

// Cuts off requests (head and body) that take longer than a limit in all:
// Poco's socket timeout bounds each read, so a client sending a byte now and
// then could hold its worker for ever. Each connection registers a Slot;
// while it reads a request the slot holds the time it started, and a watcher
// thread shuts the socket down for reading when the limit passes, which ends
// the blocked read. Costs a connection two atomic stores per request.
class HeadWatch {
 public:
  struct Slot {
    int fd = -1;
    // Start of the head being read (steady clock, ns), 0 when none,
    // kCutOff once the watcher has cut it off.
    std::atomic<std::int64_t> reading_since{0};
  };
  static constexpr std::int64_t kCutOff = -1;

  // Starts the watcher thread; `limit` is the longest a request may take.
  explicit HeadWatch(std::chrono::milliseconds limit);
  ~HeadWatch();  // stops and joins the watcher

  void add(Slot* slot);
  void remove(Slot* slot);

  // Called by the connection's thread around reading one request.
  static void reading(Slot& slot);
  // True when the watcher cut the request off (the read failed or will fail).
  static bool done_reading(Slot& slot);

 private:
  void watch();

  const std::chrono::milliseconds limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::set<Slot*> slots_;
  std::thread thread_;
};

// What every connection of one server shares. Outlives the connections.
struct ConnectionShared {
  Poco::Net::HTTPServerParams::Ptr params;  // io timeout, keep-alive timeout
  std::size_t max_body_bytes = 1 << 20;
  ConnectionHandler* handler = nullptr;
  // True while accepted connections wait for a worker thread.
  std::function<bool()> others_waiting;
  // True when gateway.http.max_queued accepted connections already wait for
  // one: a new connection is then answered 503 and closed (OverloadFilter).
  std::function<bool()> queue_full;
  std::atomic<std::uint64_t> overloaded{0};  // connections so answered
  // How long a connection keeps its worker before it gives it up to a
  // waiting connection (the longest a waiting client waits on a busy
  // gateway, and few enough reconnects that they cost nothing); a new one
  // that has not sent its first request yet gets longer (a client may
  // connect before it has its request ready).
  std::chrono::milliseconds hand_over_after{100};
  std::chrono::milliseconds first_request_grace{1000};
  // How often an idle connection looks at `stopping` and `others_waiting`.
  std::chrono::milliseconds poll_slice{100};
  std::atomic<bool> stopping{false};
  HeadWatch* heads = nullptr;
};

// The bytes a connection has read and not consumed yet. Unlike a
// std::string resized before each recv(), it does not zero the room a read
// may fill (16 KiB per request, a few per cent of a command's CPU).
class RecvBuffer {
 public:
  std::string_view unread() const { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  void consume(std::size_t n);
  // Room for `n` more bytes after the unread ones (moving them to the front
  // or growing as needed); commit() what a read put there. Views from
  // unread() do not survive it.
  char* room(std::size_t n);
  void commit(std::size_t n) { end_ += n; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

class HttpConnection final : public Poco::Net::TCPServerConnection {
 public:
  HttpConnection(const Poco::Net::StreamSocket& socket, ConnectionShared& shared)
      : TCPServerConnection(socket), shared_(shared) {}
  void run() override;

 private:
  enum class Wait { kReadable, kTimedOut, kStopping, kHandedOver, kClosed };
  // What a read from the socket gave: bytes, the end of the client's
  // sending side (or a cut-off by HeadWatch), a receive timeout, a reset.
  enum class Fill { kData, kEnd, kTimeout, kError };
  friend class ReaderBytes;

  // Reads the first bytes of the next request into in_, waiting at most
  // `limit` in poll slices (kClosed: the client closed or reset instead);
  // gives the worker up to waiting connections once the connection has had
  // it for `hand_over_after`. The wait is the read itself, one recv(2) per
  // request rather than a poll(2) and then a recv(2): the socket's receive
  // timeout is the poll slice.
  Wait wait_for_request(std::chrono::milliseconds limit, std::chrono::milliseconds hand_over_after);

  // Reads what the socket has into in_; a read waits up to the io timeout,
  // a poll slice at a time.
  Fill fill();
  // One recv(2) into in_: bytes, the end, an error, or kTimeout when a poll
  // slice (the socket's receive timeout) passed without bytes.
  Fill read_slice();
  std::size_t buffered() const { return in_.size(); }
  // Consumes the CRs and LFs that start the unread bytes.
  void drop_empty_lines();
  // Up to `n` buffered bytes, consumed.
  std::string_view take(std::size_t n);
  // Reads the request head into `head`: true when whole; otherwise it has
  // answered (400, 408) or the client went, and the connection ends.
  bool read_head(HttpRequestHead& head, HeadWatch::Slot& slot);
  // Sends all of `bytes`; false when the client is gone.
  bool send_all(std::string_view bytes);
  // Formats `answer` with the Date and Server fields and sends it.
  bool send_answer(const HttpAnswer& answer, AnswerFraming framing);
  // Answers a request that could not be read, then closes (lingering).
  void refuse(int status, const char* slug, const char* title, const std::string& detail);
  // The 408 for a head that did not arrive within io_timeout_seconds.
  void refuse_head_timeout();

  ConnectionShared& shared_;
  std::chrono::steady_clock::time_point since_;
  int fd_ = -1;
  RecvBuffer in_;
  Fill last_fill_ = Fill::kData;
  std::chrono::milliseconds io_timeout_{0};
  std::chrono::milliseconds recv_timeout_{0};  // the socket's receive timeout
  std::string out_;     // the answer being sent
  std::string server_;  // the Server field's value; empty: none
};

class HttpConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit HttpConnectionFactory(ConnectionShared& shared) : shared_(shared) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new HttpConnection(socket, shared_);
  }

 private:
  ConnectionShared& shared_;
};

// Runs on TCPServer's acceptor thread for each accepted connection, before
// it is queued for a worker. When max_queued connections already wait,
// Poco would close the new one unanswered (a reset, to most clients); this
// answers it 503 `overloaded` with Retry-After instead and closes it,
// without waiting for anything: what the request has sent so far is read
// and dropped, and the answer (a few hundred bytes, into an empty send
// buffer) is written without blocking, so a flood of connections cannot
// stall the acceptor.
class OverloadFilter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit OverloadFilter(ConnectionShared& shared) : shared_(shared) {}
  bool accept(const Poco::Net::StreamSocket& socket) override;

 private:
  ConnectionShared& shared_;
};

}  // namespace herald::gateway
