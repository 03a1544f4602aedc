// The HTTP API of DESIGN.md on Poco's TCPServer (thread pool) with herald's
// own keep-alive connection loop (http_connection.h) around Poco's HTTP
// request and response classes.
//
// start() and stop() are called on the main thread. Requests are served on
// Poco's worker threads, each calling into the Runtime concurrently.
#pragma once

#include <memory>
#include <string>

#include "core/runtime.h"
#include "http/metrics.h"

namespace Poco {
class ThreadPool;
namespace Net {
class TCPServer;
}
}  // namespace Poco

namespace herald::gateway {

class ConnectionHandler;
struct ConnectionShared;
class HeadWatch;

class HttpApi {
 public:
  explicit HttpApi(Runtime& runtime);
  ~HttpApi();

  // Binds gateway.http.listen and starts serving. Throws std::runtime_error
  // naming the address when it cannot bind.
  void start();
  // Stops accepting, lets in-flight requests finish, closes idle keep-alive
  // connections and joins the workers.
  void stop();

  // The bound port (useful with listen: host:0).
  std::uint16_t port() const { return port_; }
  Metrics& metrics() { return metrics_; }

 private:
  Runtime& runtime_;
  Metrics metrics_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::unique_ptr<HeadWatch> heads_;
  std::unique_ptr<ConnectionShared> shared_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace herald::gateway
