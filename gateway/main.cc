// herald: the event-sourcing gateway's command line.
//
//   herald [serve] [-c FILE]        run (the embedded config/herald.yaml without -c)
//   herald check [-c FILE]          check the config and every plugin's options, then exit
//   herald plugins [-c FILE]        list the plugins found in the plugin folders
//   herald plugins describe NAME    a plugin's options, defaults and docs
//   herald rebuild [-c FILE] NAME   rebuild a projection in the running gateway
//   herald tail [-c FILE] [POS] [TYPE...]  follow the running gateway's global log
//   herald version
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <string_view>

#include "core/config_reference.h"
#include "core/logging.h"
#include "core/runtime.h"
#include "core/systemd_notify.h"
#include "http/http_api.h"
#include "text/suggest.h"

namespace herald::gateway {
extern const char* const kEmbeddedConfig;
}

namespace {

using namespace herald;
using namespace herald::gateway;

constexpr const char* kUsage = R"(usage: herald [COMMAND] [-c FILE] [ARGS]

commands:
  serve                    run the gateway (the default)
  check                    check the config and every plugin's options, then exit
  plugins                  list the plugins found in the plugin folders
  plugins describe NAME    show a plugin's options, defaults and descriptions
  docs                     print the configuration reference (Markdown) from the schemas
  rebuild NAME             rebuild projection NAME in the gateway running on this
                           config's listen address, showing progress until it is live
  tail [POSITION] [TYPE...]
                           print the global log's events after POSITION (default: from
                           now on), of these types (default: all), as JSON lines as they
                           become durable, until Ctrl-C
  version                  print the version

options:
  -c, --config FILE        the YAML config (default: the embedded config/herald.yaml)
  -h, --help               this text
)";

struct Args {
  std::string command = "serve";
  std::optional<std::string> config;
  std::vector<std::string> rest;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bool command_seen = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-c" || arg == "--config") {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a file");
      a.config = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      a.config = arg.substr(9);
    } else if (arg == "-h" || arg == "--help") {
      a.command = "help";
      command_seen = true;
    } else if (arg == "--version") {
      a.command = "version";
      command_seen = true;
    } else if (!arg.empty() && arg[0] == '-') {
      throw std::invalid_argument("unknown option " + arg);
    } else if (!command_seen) {
      a.command = arg;
      command_seen = true;
    } else {
      a.rest.push_back(arg);
    }
  }
  return a;
}

// A word that reads like a config file given without -c.
bool looks_like_config(const std::string& word) {
  auto ends_with = [&](std::string_view suffix) {
    return word.size() > suffix.size() &&
           word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".yaml") || ends_with(".yml");
}

GatewayConfig load_config(const Args& args) {
  ConfigDocument doc = args.config
                           ? ConfigDocument::from_file(*args.config)
                           : ConfigDocument::from_string(kEmbeddedConfig, "<embedded config/herald.yaml>");
  return parse_gateway_config(std::move(doc));
}

// Sent by the thread that opens the store to the main thread when done.
constexpr int kOpenedSignal = SIGUSR2;

// Opens the store (which replays its log: a while, for a big one) on a
// thread of its own, so that a signal meanwhile stops herald at once instead
// of after the replay. Nothing has been accepted yet, and the store is made to
// survive being stopped at any point (it survives a crash), so ending the
// process there is safe. Rethrows what open() throws. Under systemd, asks
// for more start time every second while the replay runs, so that a big log
// is not killed by TimeoutStartSec= half replayed, over and over.
void open_or_stop(Runtime& runtime, const sigset_t& signals, SystemdNotifier& notifier) {
  // Each second's extension covers the next second's with room to spare.
  const std::string more_time = "EXTEND_TIMEOUT_USEC=5000000";
  notifier.notify("STATUS=opening the store (replaying the event log)\n" + more_time);
  std::atomic<bool> opened{false};
  std::exception_ptr failure;
  // The opener wakes this thread with kOpenedSignal when it is done (blocked
  // everywhere, like the stop signals), so the start is not a poll slice late.
  sigset_t waited = signals;
  sigaddset(&waited, kOpenedSignal);
  const pthread_t main_thread = pthread_self();
  std::thread opener([&] {  // inherits the blocked signals
    try {
      runtime.open();
    } catch (...) {
      failure = std::current_exception();
    }
    opened = true;
    pthread_kill(main_thread, kOpenedSignal);
  });
  while (!opened) {
    const timespec slice{1, 0};  // a second, in case the wake-up got lost
    const int sig = sigtimedwait(&waited, nullptr, &slice);
    if (sig < 0 && !opened) notifier.notify(more_time);
    if (sig > 0 && sig != kOpenedSignal) {
      spdlog::warn(
          "{} received while the store opens: stopping now (nothing was accepted yet, "
          "and the log is safe to stop at any point)",
          strsignal(sig));
      spdlog::shutdown();  // flushes the log sinks; no destructor runs after this
      std::_Exit(0);
    }
  }
  opener.join();
  if (failure) std::rethrow_exception(failure);
}

int serve(const Args& args) {
  // Signals are taken by sigwait() on this thread only: block them before
  // any other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // A closed terminal: stop as gracefully as for SIGTERM rather than die
  // with requests half answered (reloading on SIGHUP is on the roadmap).
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  sigset_t opened;
  sigemptyset(&opened);
  sigaddset(&opened, kOpenedSignal);
  pthread_sigmask(SIG_BLOCK, &opened, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file size limit (ulimit -f, systemd's LimitFSIZE=) reached by the
  // event log: the write fails with EFBIG and the store refuses writes until
  // restarted, as for a full disk, rather than the process being killed
  // mid-write with requests unanswered.
  signal(SIGXFSZ, SIG_IGN);

  GatewayConfig config = load_config(args);
  setup_logging(config.logging.level, config.logging.format);
  // Before any thread starts: it unsets the variables it reads.
  SystemdNotifier notifier = SystemdNotifier::from_environment();
  const std::string source = config.document.file();
  Runtime runtime(std::move(config));
  runtime.build();
  spdlog::info("herald {} starting with {}", HERALD_VERSION, source);
  open_or_stop(runtime, signals, notifier);
  auto head = runtime.store().head();
  spdlog::info("store open: {} events in the global log", head.is_ok() ? *head : 0);
  HttpApi api(runtime);
  api.start();
  // Type=notify: units ordered after herald start once it answers.
  notifier.notify("READY=1\nSTATUS=serving HTTP on " + runtime.config().http.host + ":" +
                  std::to_string(api.port()));

  int sig = 0;
  if (auto interval = notifier.watchdog()) {
    // WatchdogSec=: WATCHDOG=1 at half the interval for as long as this
    // thread runs and the store answers health() (whatever it answers: a
    // store that has failed or lost its server is reported by
    // /health/ready, and a restart would not mend it). A store call that
    // hangs stops the pings, and systemd restarts herald.
    const auto half =
        std::max<std::chrono::microseconds>(*interval / 2, std::chrono::milliseconds(1));
    spdlog::info("systemd watchdog: every {} ms",
                 std::chrono::duration_cast<std::chrono::milliseconds>(half).count());
    const timespec slice{static_cast<time_t>(half.count() / 1000000),
                         static_cast<long>(half.count() % 1000000 * 1000)};
    while ((sig = sigtimedwait(&signals, nullptr, &slice)) < 0) {
      (void)runtime.store().health();
      notifier.notify("WATCHDOG=1");
    }
  } else {
    sigwait(&signals, &sig);
  }
  notifier.notify("STOPPING=1\nSTATUS=stopping: finishing in-flight requests");
  spdlog::info("{} received: finishing in-flight requests", strsignal(sig));
  // Read-your-writes queries waiting for a position answer now (503) instead
  // of holding the stop for up to their 30 s.
  if (runtime.is_open()) runtime.projections().release_waiters();
  api.stop();
  runtime.close();
  spdlog::info("herald stopped cleanly");
  return 0;
}

int check(const Args& args) {
  GatewayConfig config = load_config(args);
  setup_logging("warn", "text");
  const std::string source = config.document.file();
  Runtime runtime(std::move(config));
  runtime.build();
  std::cout << source << ": ok (" << runtime.instances().size() << " plugin instances)\n";
  return 0;
}

int plugins(const Args& args) {
  setup_logging("warn", "text");
  std::vector<std::string> configured;
  if (args.config) configured = load_config(args).plugin_dirs;
  PluginLoader loader(PluginLoader::search_path(configured));
  if (!args.rest.empty() && args.rest[0] != "describe") {
    throw std::invalid_argument("usage: herald plugins [describe NAME], not '" + args.rest[0] +
                                "'");
  }
  if (!args.rest.empty()) {
    if (args.rest.size() != 2) throw std::invalid_argument("usage: herald plugins describe NAME");
    std::vector<std::string> names;
    for (const auto& p : loader.discover()) {
      if (p->descriptor->name == args.rest[1]) {
        std::cout << describe_plugin(*p).dump(2) << "\n";
        return 0;
      }
      names.push_back(p->descriptor->name);
    }
    std::cerr << "herald: no plugin named '" << args.rest[1] << "'";
    if (auto hint = did_you_mean(args.rest[1], names); !hint.empty())
      std::cerr << " (" << hint << ")";
    std::cerr << " in:";
    for (const auto& d : loader.dirs()) std::cerr << " " << d;
    std::cerr << "\n";
    return 1;
  }
  for (const auto& p : loader.discover()) {
    const auto& d = *p->descriptor;
    std::printf("%-14s %-11s %-8s %s\n", d.name.c_str(), to_string(d.kind), d.version.c_str(),
                d.description.c_str());
  }
  return 0;
}

std::pair<int, Json> call(const HttpConfig& http, const std::string& method,
                          const std::string& path, int timeout_s = 10) {
  std::string host = http.host == "0.0.0.0" ? "127.0.0.1" : (http.host == "::" ? "::1" : http.host);
  Poco::Net::HTTPClientSession session(host, http.port);
  session.setTimeout(Poco::Timespan(timeout_s, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentLength(0);
  session.sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& in = session.receiveResponse(res);
  std::stringstream ss;
  ss << in.rdbuf();
  return {res.getStatus(), Json::parse(ss.str(), nullptr, false)};
}

int docs(const Args& args) {
  setup_logging("warn", "text");
  std::vector<std::string> configured;
  if (args.config) configured = load_config(args).plugin_dirs;
  PluginLoader loader(PluginLoader::search_path(configured));
  auto found = loader.discover();
  std::vector<const PluginDescriptor*> descriptors;
  for (const auto& p : found) descriptors.push_back(p->descriptor);
  std::cout << config_reference_markdown(gateway_schema(), descriptors);
  return 0;
}

// Asks the running gateway to rebuild; in-memory read models live in that
// process, so the rebuild has to happen there.
int rebuild(const Args& args) {
  if (args.rest.size() != 1) throw std::invalid_argument("usage: herald rebuild [-c FILE] PROJECTION");
  const std::string& name = args.rest[0];
  GatewayConfig config = load_config(args);
  const HttpConfig& http = config.http;
  std::pair<int, Json> started;
  try {
    started = call(http, "POST", "/v1/admin/projections/" + name + "/rebuild");
  } catch (const Poco::Exception& e) {
    std::cerr << "herald: no gateway answers on " << http.host << ":" << http.port << " ("
              << e.displayText() << "); start it first: in-memory projections are also rebuilt "
              << "from the log at every start\n";
    return 1;
  }
  if (started.first != 202) {
    std::cerr << "herald: " << started.second.value("detail", started.second.dump()) << "\n";
    return 1;
  }
  std::cout << "rebuilding " << name << " from position 0\n";
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto [code, st] = call(http, "GET", "/v1/admin/projections/" + name);
    if (code != 200) {
      std::cerr << "herald: lost the projection's status (HTTP " << code << ")\n";
      return 1;
    }
    if (!st.contains("rebuild")) {
      std::cout << name << " rebuilt and live at position " << st.value("position", 0) << "\n";
      return st.value("state", "") == "failed" ? 1 : 0;
    }
    const Json& r = st["rebuild"];
    if (r.value("state", "") == "failed") {
      std::cerr << "herald: rebuild failed: " << r["error"].dump() << "\n";
      return 1;
    }
    std::printf("  %s: position %llu of %llu (%.1f%%)\n", name.c_str(),
                static_cast<unsigned long long>(r.value("position", 0ULL)),
                static_cast<unsigned long long>(r.value("head", 0ULL)), 100.0 * r.value("progress", 0.0));
    std::fflush(stdout);
  }
}

// herald tail [POSITION] [TYPE...]: the global log's events after POSITION
// (default: the head when it starts, so only what comes), of the given
// event types (default: all), one JSON object per line, as they become
// durable, until interrupted. Long polls GET /v1/events of the gateway on
// this config's listen address; waits for it when it is down (a restart)
// and goes on where it was.
int tail(const Args& args) {
  std::optional<Position> after;
  std::string types;  // "&type=A&type=B"
  for (std::size_t i = 0; i < args.rest.size(); ++i) {
    const std::string& word = args.rest[i];
    const bool digits = !word.empty() && std::all_of(word.begin(), word.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    if (i == 0 && digits) {
      Position p = 0;
      auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), p);
      if (ec != std::errc() || end != word.data() + word.size()) {
        throw std::invalid_argument("herald tail: position " + word + " is too large");
      }
      after = p;
      continue;
    }
    if (looks_like_config(word)) {
      throw std::invalid_argument("herald tail: '" + word +
                                  "' is not an event type (a config file goes after -c: herald "
                                  "tail -c " +
                                  word + ")");
    }
    // Event types are identifiers: nothing to escape in the query.
    const bool identifier =
        !word.empty() && (std::isalpha(static_cast<unsigned char>(word[0])) || word[0] == '_') &&
        std::all_of(word.begin(), word.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
        });
    if (!identifier) {
      throw std::invalid_argument("herald tail: '" + word +
                                  "' is neither a position (first, digits only) nor an event "
                                  "type; usage: herald tail [-c FILE] [POSITION] [TYPE...]");
    }
    types += "&type=" + word;
  }
  GatewayConfig config = load_config(args);
  const HttpConfig& http = config.http;
  bool told_down = false;
  bool told_behind = false;
  // The first answer from a gateway (at start, after a restart) comes at
  // once, so that a log that ends before the position is said at once too.
  bool first = true;
  for (;;) {
    std::pair<int, Json> page;
    try {
      // The head first when no position was given; then pages of what comes.
      page = after ? call(http, "GET",
                          "/v1/events?limit=1000&wait_ms=" + std::string(first ? "0" : "20000") +
                              "&after=" + std::to_string(*after) + types,
                          30)
                   : call(http, "GET", "/v1/events?limit=1", 10);
    } catch (const Poco::Exception& e) {
      if (!told_down) {
        std::cerr << "herald: no gateway answers on " << http.host << ":" << http.port << " ("
                  << e.displayText() << "); waiting for it\n";
        told_down = true;
      }
      first = true;
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    told_down = false;
    first = false;
    const auto& [code, body] = page;
    if (code != 200) {
      if (code == 503) {  // stopping, or too many waiting: again shortly
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      std::cerr << "herald: "
                << (body.is_object() ? body.value("detail", body.dump())
                                     : "HTTP " + std::to_string(code))
                << "\n";
      return 1;
    }
    auto position = [&](const char* key) -> std::optional<Position> {
      if (!body.is_object() || !body.contains(key) || !body[key].is_number_unsigned()) return {};
      return body[key].get<Position>();
    };
    const std::optional<Position> head = position("head");
    const std::optional<Position> next_after = position("next_after");
    if (!head || !next_after || !body.contains("events") || !body["events"].is_array()) {
      std::cerr << "herald: " << http.host << ":" << http.port
                << " answered with something other than a page of events: is it herald?\n";
      return 1;
    }
    if (!after) {
      after = *head;
      continue;
    }
    // A gateway restarted on another (or a new) log: say why nothing comes.
    if (*head < *after && !told_behind) {
      std::cerr << "herald: the gateway's log ends at position " << *head << ", before position "
                << *after << "; waiting for events after " << *after
                << " (another log? herald tail 0 follows it from its start)\n";
    }
    told_behind = *head < *after;
    for (const auto& event : body["events"]) {
      std::cout << event.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    }
    std::cout.flush();
    after = std::max(*after, *next_after);
  }
}

int help(const Args&) {
  std::cout << kUsage;
  return 0;
}

int version(const Args&) {
  std::cout << "herald " << HERALD_VERSION << " (plugin ABI " << herald::kAbiVersion << ")\n";
  return 0;
}

struct Command {
  const char* name;
  bool takes_operands;
  int (*run)(const Args&);
};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"serve", false, serve},     {"check", false, check},    {"plugins", true, plugins},
      {"docs", false, docs},       {"rebuild", true, rebuild}, {"tail", true, tail},
      {"version", false, version}, {"help", false, help},
  };
  return kCommands;
}

// The command `a` names, once its operands are checked: refuses what a
// command would otherwise ignore (`herald check my.yaml` checked the
// embedded config and said "ok").
const Command& command_for(const Args& a) {
  std::vector<std::string> names;
  for (const Command& c : commands()) {
    if (a.command != c.name) {
      names.emplace_back(c.name);
      continue;
    }
    if (c.takes_operands || a.rest.empty()) return c;
    std::string message = a.command + " takes no arguments, not '" + a.rest.front() + "'";
    if (looks_like_config(a.rest.front())) {
      message +=
          " (a config file goes after -c: herald " + a.command + " -c " + a.rest.front() + ")";
    }
    throw std::invalid_argument(message);
  }
  std::string message = "unknown command '" + a.command + "'";
  if (looks_like_config(a.command)) {
    message += " (a config file goes after -c: herald -c " + a.command + ")";
  } else if (auto hint = did_you_mean(a.command, names); !hint.empty()) {
    message += " (" + hint + ")";
  }
  throw std::invalid_argument(message);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = parse_args(argc, argv);
    return command_for(args).run(args);
  } catch (const ConfigErrors& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "herald: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "herald: " << e.what() << "\n";
    return 1;
  }
}
