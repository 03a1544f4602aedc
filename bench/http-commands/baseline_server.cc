// The baseline of the HTTP benchmark: a bare Poco HTTPServer with herald's
// server settings (keep-alive, thread pool) that reads the request body and
// answers a fixed 200 JSON document, doing no work at all.
//   bench_http_baseline PORT [THREADS]
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

const std::string kBody =
    R"({"aggregate_type":"User","aggregate_id":"u1","version":1,"events":[{"id":"00000000-0000-4000-8000-000000000000","type":"UserUpdated","version":1,"position":1}],"position":1})";

class Fixed final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    std::string body;
    char buf[16384];
    std::istream& in = req.stream();
    while (in) {
      in.read(buf, sizeof buf);
      body.append(buf, static_cast<std::size_t>(in.gcount()));
    }
    res.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    res.setContentType("application/json");
    res.sendBuffer(kBody.data(), kBody.size());
  }
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Fixed;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_http_baseline PORT [THREADS]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 64;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true);
  socket.listen(1024);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(threads);
  params->setMaxQueued(1024);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  Poco::ThreadPool pool(2, threads + 4, 60);
  Poco::Net::HTTPServer server(new Factory, pool, socket, params);
  server.start();
  std::cerr << "baseline listening on 127.0.0.1:" << port << "\n";
  int sig = 0;
  sigwait(&signals, &sig);
  server.stopAll(false);
  pool.joinAll();
  return 0;
}
