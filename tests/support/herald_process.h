// Starts the real herald binary for end-to-end tests and talks HTTP to it.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace herald::testing {

// A port nothing listens on now (bind to 0, read it back, close).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

inline std::filesystem::path make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("HERALD_TEST_TMP");
  std::string tmpl = std::string(base ? base : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

struct HttpResult {
  int status = 0;
  std::string reason;  // the status line's reason phrase
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// Runs `command` with /bin/sh, stderr folded into stdout: its exit code and
// everything it printed.
struct ShellResult {
  int exit_code = -1;
  std::string output;
};
inline ShellResult run_shell(const std::string& command) {
  ShellResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) r.output += buf;
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// "exit code 1", "killed by signal 15": a wait status, for messages.
inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

class HeraldProcess {
 public:
  // args: e.g. {"-c", "file.yaml"}; empty: the embedded config. The data
  // folder and the listen address are passed in the environment.
  HeraldProcess(std::filesystem::path data_dir, std::vector<std::string> args = {})
      : data_dir_(std::move(data_dir)), args_(std::move(args)) {}
  ~HeraldProcess() { kill_now(); }

  static std::string binary() { return std::string(HERALD_BUILD_DIR) + "/bin/herald"; }

  // Files herald writes may not grow beyond `bytes` (RLIMIT_FSIZE: herald
  // ignores SIGXFSZ, so a write past it fails with EFBIG): a full disk
  // without one. Applies to the next spawn().
  void limit_file_size(std::uint64_t bytes) { file_size_limit_ = bytes; }

  // An environment variable for the next spawn() (NOTIFY_SOCKET, ...).
  void set_env(std::string name, std::string value) {
    env_.emplace_back(std::move(name), std::move(value));
  }

  // Starts herald and waits until it answers /health/ready.
  void start(int port = 0) {
    spawn(port);
    wait_ready();
  }

  // Starts herald without waiting for it (to catch it during its start).
  void spawn(int port = 0) {
    port_ = port ? port : free_port();
    // One log per start: two starts that drew the same free port must not
    // share a file (a failure would show the other process's lines).
    static std::atomic<int> starts{0};
    log_path_ =
        data_dir_ / ("herald-" + std::to_string(port_) + "-" + std::to_string(++starts) + ".log");
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::setenv("HERALD_LISTEN", ("127.0.0.1:" + std::to_string(port_)).c_str(), 1);
      ::setenv("HERALD_DATA_DIR", data_dir_.c_str(), 1);
      ::setenv("HERALD_PLUGIN_PATH", HERALD_PLUGIN_DIR, 1);
      for (const auto& [name, value] : env_) ::setenv(name.c_str(), value.c_str(), 1);
      if (file_size_limit_ > 0) {
        rlimit limit{};
        limit.rlim_cur = limit.rlim_max = file_size_limit_;
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      std::vector<std::string> all = {binary()};
      all.insert(all.end(), args_.begin(), args_.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      const std::string why =
          std::string("cannot run ") + argv[0] + ": " + std::strerror(errno) + "\n";
      (void)!::write(2, why.data(), why.size());  // into the log, for the failure message
      ::_exit(127);
    }
  }

  void wait_ready() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("herald exited during start (" + describe_status(status) + "):\n" +
                                 log());
      }
      try {
        if (request("GET", "/health/ready").status == 200) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("herald did not become ready:\n" + log());
  }

  // SIGTERM and wait; returns the exit code (or 128+signal).
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }

  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  int port() const { return port_; }

  HttpResult request(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) const {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    session.setTimeout(Poco::Timespan(30, 0));
    return send(session, method, path, body, headers);
  }

  static HttpResult send(Poco::Net::HTTPClientSession& session, const std::string& method,
                         const std::string& path, const std::string& body = "",
                         const std::map<std::string, std::string>& headers = {}) {
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session.sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    HttpResult r;
    r.status = res.getStatus();
    r.reason = res.getReason();
    r.content_type = res.getContentType();
    for (const auto& [k, v] : res) r.headers[k] = v;
    std::stringstream ss;
    ss << in.rdbuf();
    r.body = ss.str();
    return r;
  }

 private:
  std::filesystem::path data_dir_;
  std::vector<std::string> args_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::uint64_t file_size_limit_ = 0;  // 0: none
  std::vector<std::pair<std::string, std::string>> env_;  // for the next spawn()
};

}  // namespace herald::testing
