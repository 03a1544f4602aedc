#include "config/gateway_config.h"

#include <algorithm>
#include <set>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "config/schema_check.h"

namespace herald::gateway {

namespace {

// Fields kept in an `int` are bounded so a huge value is an error, not an
// overflow.
constexpr double kIntMax = std::numeric_limits<int>::max();

OptionSpec config_option(const std::string& what) {
  return opt::any("config",
                  "Options of the " + what +
                      " plugin, checked against that plugin's own schema once it is loaded "
                      "(`herald plugins describe NAME` lists them).")
      .def(Json::object());
}

ConfigSchema http_schema() {
  return {
      opt::string("listen",
                  "Address the HTTP API listens on, as host:port: 127.0.0.1:8080 for this machine "
                  "only, 0.0.0.0:8080 for every IPv4 interface, [::1]:8080 for IPv6.")
          .def("127.0.0.1:8080"),
      opt::integer("max_body_bytes",
                   "Largest request body accepted, in bytes; a bigger request is answered 413.")
          .def(1048576)
          .min(1024),
      opt::integer("threads",
                   "Worker threads serving requests. Each open keep-alive connection holds one "
                   "while it waits for its next request. When every thread is held and more "
                   "connections wait, a connection that has had its thread for 100 ms is closed "
                   "after its next answer, handing the thread over "
                   "(herald_http_connections_handed_over_total); an idle one is closed as soon as "
                   "it has been idle for 100 ms (a new one that has not sent its first request "
                   "yet after a second). At most half of them wait at once, for a read-your-writes "
                   "position or in a long poll of the global log (more such requests are "
                   "answered 503 too-many-waiting).")
          .def(64)
          .min(2)
          .max(10000),  // one thread each; the pool holds threads + 4
      opt::integer("max_queued",
                   "Accepted connections that may wait for a free worker thread; beyond that a new "
                   "connection is answered 503 overloaded with Retry-After and closed "
                   "(herald_http_connections_refused_total; herald_http_connections_queued "
                   "shows the queue).")
          .def(1024)
          .min(1)
          .max(kIntMax),
      opt::integer("keep_alive_seconds",
                   "Seconds an idle keep-alive connection stays open waiting for its next request.")
          .def(30)
          .min(1)
          .max(kIntMax),
      opt::integer("io_timeout_seconds",
                   "Seconds a client may stay silent in the middle of a request (its headers or "
                   "body), or leave its answer unread, before its connection is closed, and the "
                   "longest a whole request (line, headers and body) may take to arrive (a "
                   "client trickling it byte by byte is cut off too); a request cut short this "
                   "way is answered 408. Bounds how long a stalled client holds a worker thread, "
                   "and so how long it can delay a stop.")
          .def(10)
          .min(1)
          .max(kIntMax),
  };
}

ConfigSchema limits_schema() {
  return {
      opt::integer("max_events_per_command",
                   "Most events one command may append. A command that decides more is refused "
                   "with 413 and appends nothing.")
          .def(100)
          .min(1),
      opt::integer("max_read_limit",
                   "Most events or documents one read returns; a larger `limit=` is lowered to it.")
          .def(1000)
          .min(1),
      opt::integer(
          "conflict_retries",
          "For a command sent without expected_version: how many times the gateway reloads "
          "the aggregate and decides again when another writer appended first, before it "
          "answers 409.")
          .def(5)
          .min(0)
          .max(1000),  // more is never useful, and 1 + INT_MAX attempts would overflow
      opt::integer("idempotency_ttl_seconds",
                   "Seconds an Idempotency-Key is remembered; a command retried with the same key "
                   "within this time gets the first answer and appends nothing.")
          .def(86400)
          .min(1)
          .max(kIntMax),
      opt::integer("aggregate_cache_size",
                   "Aggregates whose state is kept in memory between commands (least recently used "
                   "are dropped first); 0 loads every aggregate from the store each time.")
          .def(10000)
          .min(0),
  };
}

ConfigSchema logging_schema() {
  return {
      opt::choice("level", {"trace", "debug", "info", "warn", "error"},
                  "Least severe log messages written.")
          .def("info"),
      opt::choice("format", {"text", "json"},
                  "text: one readable line a message, for a terminal or journald. json: one JSON "
                  "object a line, for log collectors.")
          .def("text"),
  };
}

}  // namespace

ConfigSchema gateway_schema() {
  return {
      opt::object(
          "gateway",
          {
              opt::object("http", http_schema(), "The HTTP API: commands, reads, health, metrics."),
              opt::list("plugin_dirs", opt::string("dir", "A folder."),
                        "Folders searched for plugin libraries (libherald-NAME.so), in order, "
                        "before $HERALD_PLUGIN_PATH and the folders installed with herald. "
                        "Relative folders are taken from the current directory.")
                  .def(Json::array()),
              opt::object("limits", limits_schema(),
                          "Limits that protect the gateway and the store."),
              opt::object("logging", logging_schema(), "What is logged, and in which format."),
          },
          "Settings of the herald process itself."),
      opt::object(
          "store",
          {
              opt::string("plugin",
                          "Event store plugin: a name (memory, redis) or a path to its library.")
                  .req(),
              config_option("store"),
          },
          "Where events are kept: one store for the whole gateway. The store is the source of "
          "truth and the outbox every projection and transport reads from.")
          .req(),
      opt::list("aggregates",
                opt::object("aggregate",
                            {
                                opt::string("type",
                                            "Aggregate type, as in /v1/commands/{type}/{id}: "
                                            "letters, digits, '_' and '-', starting with a letter.")
                                    .req(),
                                opt::string("plugin",
                                            "Aggregate plugin that decides this type's commands: "
                                            "a name or a path to its library.")
                                    .req(),
                                opt::integer("snapshot_every",
                                             "Store a snapshot of the state every this many "
                                             "events, so loading replays fewer; 0 never does.")
                                    .def(0)
                                    .min(0)
                                    .max(kIntMax),
                                config_option("aggregate"),
                            },
                            "One aggregate type."),
                "Aggregate types that accept commands, each decided by a plugin.")
          .def(Json::array()),
      opt::list(
          "projections",
          opt::object("projection",
                      {
                          opt::string("name",
                                      "Projection name, as in /v1/projections/{name}: "
                                      "letters, digits, '_' and '-', starting with a letter.")
                              .req(),
                          opt::string("plugin",
                                      "Projection plugin that builds this read model: a "
                                      "name or a path to its library.")
                              .req(),
                          opt::list("from", opt::string("source", "An aggregate or event type."),
                                    "Aggregate types or event types whose events feed this "
                                    "projection; empty means every event.")
                              .def(Json::array()),
                          config_option("projection"),
                      },
                      "One read model."),
          "Read models built from the global event log and served by the query API.")
          .def(Json::array()),
      opt::list("transports",
                opt::object("transport",
                            {
                                opt::string("name",
                                            "Transport name, used in metrics, dead letters and "
                                            "checkpoints: letters, digits, '_' and '-', starting "
                                            "with a letter.")
                                    .req(),
                                opt::string("plugin",
                                            "Transport plugin (rabbitmq, webhook): a name or a "
                                            "path to its library.")
                                    .req(),
                                config_option("transport"),
                            },
                            "One broker or webhook connection."),
                "Brokers and webhooks that receive events (at least once, in order) and may send "
                "commands.")
          .def(Json::array()),
      opt::list(
          "upcasters",
          opt::object(
              "upcaster",
              {
                  opt::string("event", "Stored event type this upcaster takes (declarative)."),
                  opt::integer("from_version", "The schema_version it takes.")
                      .def(1)
                      .min(1)
                      .max(kIntMax - 1),  // to_version defaults to from_version + 1
                  opt::integer("to_version",
                               "The schema_version it makes; default from_version + 1.")
                      .min(2)
                      .max(kIntMax),
                  opt::map("rename_fields", opt::string("to", "New field name."),
                           "Data fields to rename, old name: new name.")
                      .def(Json::object()),
                  opt::any("defaults", "Data fields to add where absent, name: value.")
                      .def(Json::object()),
                  opt::list("drop", opt::string("field", "A field name."), "Data fields to drop.")
                      .def(Json::array()),
                  opt::string("rename_type", "New event type (empty: keep the type).").def(""),
                  opt::string("plugin",
                              "An upcaster plugin instead of the keys above: a name or "
                              "a path to its library."),
                  config_option("upcaster"),
              },
              "One step of an event's schema history."),
          "Rewrite old events when they are read (aggregate loads and projections), so "
          "old events and new code meet without rewriting the log. Steps chain: v1 -> v2 -> v3.")
          .def(Json::array()),
  };
}

std::optional<ListenAddress> parse_listen(const std::string& text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<ListenAddress> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  ListenAddress out;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return fail("missing ']' after the IPv6 address");
    out.host = text.substr(1, close - 1);
    if (out.host.empty()) return fail("empty IPv6 address in []");
    // Hex digits and colons (dots for an embedded IPv4), then an optional
    // "%zone" naming the interface of a link-local address.
    auto zone = out.host.find('%');
    bool address_ok =
        out.host.find_first_not_of("0123456789abcdefABCDEF:.") >= zone && out.host.find(':') < zone;
    bool zone_ok = zone == std::string::npos ||
                   (zone + 1 < out.host.size() &&
                    std::all_of(out.host.begin() + static_cast<std::ptrdiff_t>(zone) + 1,
                                out.host.end(), [](char c) {
                                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                         c == '-' || c == '.';
                                }));
    if (!address_ok || !zone_ok) return fail("'" + out.host + "' is not an IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("missing :port after ']'");
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return fail("missing :port");
    out.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (out.host.empty()) return fail("missing host before ':'");
    if (out.host.find(':') != std::string::npos) return fail("an IPv6 address goes in brackets");
    if (out.host.find_first_of(" \t/[]") != std::string::npos) {
      return fail("'" + out.host + "' is not a host name or address");
    }
  }
  if (port_text.empty()) return fail("missing port after ':'");
  unsigned long port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  bool digits_only = port_text.find_first_not_of("0123456789") == std::string::npos;
  if (ec == std::errc::result_out_of_range && digits_only) {
    return fail("port " + port_text + " is not in 1-65535");
  }
  if (ec != std::errc() || ptr != port_text.data() + port_text.size()) {
    return fail("port '" + port_text + "' is not a number");
  }
  if (port < 1 || port > 65535) return fail("port " + port_text + " is not in 1-65535");
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

namespace {

bool valid_name(const std::string& s) {
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.empty() || !letter(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return letter(c) || digit(c) || c == '_' || c == '-'; });
}

// The rules a schema cannot express. They look only at values of the right
// type: a wrong type was already reported by the schema check.
class GatewayRules {
 public:
  GatewayRules(const Json& root, const ConfigDocument& doc) : root_(root), doc_(doc) {}

  std::vector<ConfigIssue> check() {
    check_listen();
    check_store();
    check_sections("aggregates", "type", "aggregate type");
    check_sections("projections", "name", "projection name");
    check_sections("transports", "name", "transport name");
    check_upcasters();
    return std::move(issues_);
  }

 private:
  const Json* at(const std::string& pointer) const {
    auto ptr = Json::json_pointer(pointer);
    return root_.contains(ptr) ? &root_.at(ptr) : nullptr;
  }

  void check_upcasters() {
    const Json* list = at("/upcasters");
    if (list == nullptr || !list->is_array()) return;
    std::set<std::pair<std::string, std::int64_t>> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& u = (*list)[i];
      if (!u.is_object()) continue;
      const std::string base = "upcasters/" + std::to_string(i);
      const bool plugin = u.contains("plugin");
      if (plugin && u.contains("event")) {
        issues_.push_back({base + "/event", "an upcaster is either a plugin or declarative, not both",
                           "remove `plugin:` or the declarative keys"});
        continue;
      }
      if (plugin) continue;
      if (!u.contains("event") || !u["event"].is_string() || u["event"].get<std::string>().empty()) {
        issues_.push_back({base, "a declarative upcaster needs `event:` (the stored event type)", ""});
        continue;
      }
      if (u.contains("config") && !u["config"].empty()) {
        issues_.push_back({base + "/config", "`config:` belongs to upcaster plugins", ""});
      }
      const auto from = u.value("from_version", std::int64_t{1});
      if (u.contains("to_version") && u["to_version"].is_number_integer() &&
          u["to_version"].get<std::int64_t>() <= from) {
        issues_.push_back({base + "/to_version", "must be greater than from_version (" +
                                                     std::to_string(from) + ")", ""});
      }
      if (!seen.insert({u["event"].get<std::string>(), from}).second) {
        issues_.push_back({base, "another upcaster already takes " + u["event"].get<std::string>() +
                                     " v" + std::to_string(from), ""});
      }
    }
  }

  void check_store() {
    const Json* store = at("/store");
    if (store == nullptr || !store->is_object()) return;
    if (auto plugin = store->find("plugin"); plugin != store->end() && plugin->is_string() &&
                                             plugin->get_ref<const std::string&>().empty()) {
      issues_.push_back({"store/plugin", "must not be empty", ""});
    }
    check_config(*store, "store");
  }

  void check_listen() {
    const Json* listen = at("/gateway/http/listen");
    if (listen == nullptr || !listen->is_string()) return;
    std::string why;
    if (!parse_listen(listen->get<std::string>(), &why)) {
      issues_.push_back({"gateway/http/listen", "invalid address " + listen->dump() + ": " + why,
                         "write host:port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080"});
    }
  }

  // Each item's `key` is a valid name, unique in the list; each item's
  // `config` is a map and its `plugin` is not empty.
  void check_sections(const std::string& list, const std::string& key, const std::string& what) {
    const Json* items = at("/" + list);
    if (items == nullptr || !items->is_array()) return;
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Json& item = (*items)[i];
      if (!item.is_object()) continue;
      std::string base = list + "/" + std::to_string(i);
      if (auto plugin = item.find("plugin"); plugin != item.end() && plugin->is_string() &&
                                             plugin->get_ref<const std::string&>().empty()) {
        issues_.push_back({base + "/plugin", "must not be empty", ""});
      }
      check_config(item, base);
      auto name = item.find(key);
      if (name == item.end() || !name->is_string()) continue;
      const auto& text = name->get_ref<const std::string&>();
      if (!valid_name(text)) {
        issues_.push_back({base + "/" + key, "invalid " + what + " " + name->dump(),
                           "use letters, digits, '_' and '-', starting with a letter"});
        continue;
      }
      auto [first, inserted] = seen.emplace(text, i);
      if (!inserted) {
        std::string first_pointer = "/" + list + "/" + std::to_string(first->second) + "/" + key;
        issues_.push_back({base + "/" + key, "duplicate " + what + " '" + text + "'",
                           "first declared at " + ConfigDocument::dotted(first_pointer) +
                               ", line " + std::to_string(doc_.locate_key(first_pointer).line)});
      }
    }
  }

  void check_config(const Json& section, const std::string& base) {
    auto config = section.find("config");
    if (config != section.end() && !config->is_object()) {
      std::string got = config->is_array() ? "a list" : "a " + std::string(config->type_name());
      issues_.push_back(
          {base + "/config", "expected a map of the plugin's options, got " + got, ""});
    }
  }

  const Json& root_;
  const ConfigDocument& doc_;
  std::vector<ConfigIssue> issues_;
};

void fill_section(PluginSection& section, const Json& json, std::string pointer) {
  section.plugin = json.at("plugin").get<std::string>();
  section.config = json.value("config", Json::object());
  section.pointer = std::move(pointer);
}

}  // namespace

GatewayConfig parse_gateway_config(ConfigDocument document) {
  Json& root = document.root();
  std::vector<ConfigIssue> issues = check_against_schema(root, gateway_schema());
  auto more = GatewayRules(root, document).check();
  issues.insert(issues.end(), more.begin(), more.end());

  if (!issues.empty()) {
    std::vector<ConfigProblem> problems;
    for (const auto& issue : issues) problems.push_back(document.problem("", issue));
    // In file order, so the list reads alongside the file; problems without a
    // line (none expected) go last.
    std::stable_sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) {
      auto key = [](const ConfigProblem& p) {
        return std::make_tuple(p.where.line == 0 ? std::numeric_limits<int>::max() : p.where.line,
                               p.where.column);
      };
      return key(a) < key(b);
    });
    throw ConfigErrors(std::move(problems));
  }

  GatewayConfig config;
  const Json& gateway = root.at("gateway");
  const Json& http = gateway.at("http");
  auto listen = parse_listen(http.at("listen").get<std::string>());
  config.http.host = listen->host;
  config.http.port = listen->port;
  config.http.max_body_bytes = http.at("max_body_bytes").get<std::size_t>();
  config.http.threads = http.at("threads").get<int>();
  config.http.max_queued = http.at("max_queued").get<int>();
  config.http.keep_alive_seconds = http.at("keep_alive_seconds").get<int>();
  config.http.io_timeout_seconds = http.at("io_timeout_seconds").get<int>();
  config.plugin_dirs = gateway.at("plugin_dirs").get<std::vector<std::string>>();

  const Json& limits = gateway.at("limits");
  config.limits.max_events_per_command = limits.at("max_events_per_command").get<std::size_t>();
  config.limits.max_read_limit = limits.at("max_read_limit").get<std::size_t>();
  config.limits.conflict_retries = limits.at("conflict_retries").get<int>();
  config.limits.idempotency_ttl_seconds = limits.at("idempotency_ttl_seconds").get<std::int64_t>();
  config.limits.aggregate_cache_size = limits.at("aggregate_cache_size").get<std::size_t>();

  const Json& logging = gateway.at("logging");
  config.logging.level = logging.at("level").get<std::string>();
  config.logging.format = logging.at("format").get<std::string>();

  fill_section(config.store, root.at("store"), "/store");
  const Json& aggregates = root.at("aggregates");
  for (std::size_t i = 0; i < aggregates.size(); ++i) {
    AggregateSection section;
    fill_section(section, aggregates[i], "/aggregates/" + std::to_string(i));
    section.type = aggregates[i].at("type").get<std::string>();
    section.snapshot_every = aggregates[i].at("snapshot_every").get<std::int64_t>();
    config.aggregates.push_back(std::move(section));
  }
  const Json& projections = root.at("projections");
  for (std::size_t i = 0; i < projections.size(); ++i) {
    ProjectionSection section;
    fill_section(section, projections[i], "/projections/" + std::to_string(i));
    section.name = projections[i].at("name").get<std::string>();
    section.from = projections[i].at("from").get<std::vector<std::string>>();
    config.projections.push_back(std::move(section));
  }
  const Json& transports = root.at("transports");
  for (std::size_t i = 0; i < transports.size(); ++i) {
    TransportSection section;
    fill_section(section, transports[i], "/transports/" + std::to_string(i));
    section.name = transports[i].at("name").get<std::string>();
    config.transports.push_back(std::move(section));
  }
  const Json& upcasters = root.at("upcasters");
  for (std::size_t i = 0; i < upcasters.size(); ++i) {
    const Json& u = upcasters[i];
    UpcasterSection section;
    section.pointer = "/upcasters/" + std::to_string(i);
    if (u.contains("plugin")) {
      section.plugin = u.at("plugin").get<std::string>();
      section.config = u.value("config", Json::object());
    } else {
      section.event = u.at("event").get<std::string>();
      section.from_version = u.at("from_version").get<int>();
      section.to_version = u.value("to_version", section.from_version + 1);
      section.rename_fields = u.at("rename_fields").get<std::map<std::string, std::string>>();
      section.defaults = u.at("defaults");
      section.drop = u.at("drop").get<std::vector<std::string>>();
      section.rename_type = u.at("rename_type").get<std::string>();
    }
    config.upcasters.push_back(std::move(section));
  }
  config.document = std::move(document);
  return config;
}

}  // namespace herald::gateway
