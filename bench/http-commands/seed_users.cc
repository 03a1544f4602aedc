// Creates N users (bench-u0 .. bench-u{N-1}) through herald's HTTP API with
// several keep-alive connections, printing progress.
//   bench_http_seed PORT N [CONNECTIONS]
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_http_seed PORT N [CONNECTIONS]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int n = std::atoi(argv[2]);
  const int conns = argc > 3 ? std::atoi(argv[3]) : 16;
  std::atomic<int> next{0}, done{0}, failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&] {
      Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
      session.setKeepAlive(true);
      for (int i = next++; i < n; i = next++) {
        std::string body = R"({"type":"CreateUser","data":{"name":"Bench User )" + std::to_string(i) +
                           R"(","email":"bench)" + std::to_string(i) + R"(@example.com"}})";
        Poco::Net::HTTPRequest req("POST", "/v1/commands/User/bench-u" + std::to_string(i),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        req.setKeepAlive(true);
        session.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        std::istream& in = session.receiveResponse(res);
        std::stringstream sink;
        sink << in.rdbuf();
        // 422 "already exists" is fine: a previous run seeded this user.
        if (res.getStatus() != 200 && res.getStatus() != 422) ++failed;
        int d = ++done;
        if (d % 2000 == 0) std::cerr << "  seeded " << d << "/" << n << " users\n";
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed > 0) {
    std::cerr << failed << " seed requests failed\n";
    return 1;
  }
  return 0;
}
