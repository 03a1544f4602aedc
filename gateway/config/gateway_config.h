// The gateway's own configuration: the typed view of herald.yaml.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_document.h"
#include "herald/config_schema.h"

namespace herald::gateway {

// A `plugin:` + `config:` pair somewhere in the file. `pointer` is where the
// section sits ("/store", "/aggregates/0") so plugin config problems can be
// located: the plugin's config is at pointer + "/config".
struct PluginSection {
  std::string plugin;
  Json config = Json::object();  // as written in the file ({} when absent): no defaults yet
  std::string pointer;
};

struct AggregateSection : PluginSection {
  std::string type;            // "User"
  std::int64_t snapshot_every = 0;  // 0: no snapshots
};

struct ProjectionSection : PluginSection {
  std::string name;
  std::vector<std::string> from;  // aggregate types or event types that feed it
};

struct TransportSection : PluginSection {
  std::string name;
};

// An `upcasters:` entry: either a C++ upcaster plugin (`plugin:` + `config:`)
// or a declarative one (everything else; `plugin` is then empty).
struct UpcasterSection : PluginSection {
  std::string event;           // the stored event type it takes
  int from_version = 1;
  int to_version = 2;          // default from_version + 1
  std::map<std::string, std::string> rename_fields;
  Json defaults = Json::object();
  std::vector<std::string> drop;
  std::string rename_type;     // empty: keep the type
};

struct HttpConfig {
  std::string host = "127.0.0.1";  // IPv6 without brackets: "::1"
  std::uint16_t port = 8080;
  std::size_t max_body_bytes = 1 << 20;
  int threads = 64;        // worker threads (each keep-alive connection holds one)
  int max_queued = 1024;   // connections waiting for a thread
  int keep_alive_seconds = 30;
  int io_timeout_seconds = 10;  // silence mid-request (or an unread answer) that ends a connection
};

struct LimitsConfig {
  std::size_t max_events_per_command = 100;
  std::size_t max_read_limit = 1000;  // limit= above it is clamped
  int conflict_retries = 5;           // reload-and-decide attempts without expected_version
  std::int64_t idempotency_ttl_seconds = 86400;
  std::size_t aggregate_cache_size = 10000;
};

struct LoggingConfig {
  std::string level = "info";   // trace|debug|info|warn|error
  std::string format = "text";  // text|json
};

struct GatewayConfig {
  HttpConfig http;
  std::vector<std::string> plugin_dirs;
  LimitsConfig limits;
  LoggingConfig logging;
  PluginSection store;
  std::vector<AggregateSection> aggregates;
  std::vector<ProjectionSection> projections;
  std::vector<TransportSection> transports;
  std::vector<UpcasterSection> upcasters;
  ConfigDocument document;  // for locating plugin config problems
};

// An HTTP listen address: "127.0.0.1:8080", "localhost:8080", "0.0.0.0:8080"
// or "[::1]:8080" (IPv6 in brackets; `host` is then "::1").
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// Parses `gateway.http.listen`. On failure returns nullopt and, when `error`
// is given, says what is wrong with the text.
std::optional<ListenAddress> parse_listen(const std::string& text, std::string* error = nullptr);

// The schema of the whole file, with `config:` sections as kAny (each is
// checked against its plugin's schema once the plugin is loaded).
ConfigSchema gateway_schema();

// Checks the document against gateway_schema() and the rules a schema cannot
// say: listen is host:port with a port in 1-65535; aggregate types,
// projection names and transport names match [A-Za-z][A-Za-z0-9_-]* and are
// unique in their list; `plugin` is not empty; each `config` is a map. Throws
// ConfigErrors with every problem found, in file order. On success the
// returned `document` has the gateway's defaults filled in (not the plugins').
GatewayConfig parse_gateway_config(ConfigDocument document);

}  // namespace herald::gateway
