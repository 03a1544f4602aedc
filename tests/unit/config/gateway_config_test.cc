// The gateway's own schema and rules, on small files and on config/herald.yaml.
#include "config/gateway_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "config/schema_check.h"
#include "support/test_seed.h"

namespace herald::gateway {
namespace {

constexpr const char* kMinimal = "store:\n  plugin: memory\n";

GatewayConfig parse(const std::string& yaml) {
  return parse_gateway_config(ConfigDocument::from_string(yaml, "test.yaml"));
}

std::vector<ConfigProblem> problems_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigErrors& e) {
    return e.problems();
  }
  ADD_FAILURE() << "expected ConfigErrors for:\n" << yaml;
  return {};
}

std::string summary(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.to_string() + "\n";
  return out;
}

TEST(GatewayConfig, MinimalConfigGetsEveryDefault) {
  auto c = parse(kMinimal);
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.max_body_bytes, 1048576u);
  EXPECT_EQ(c.http.threads, 64);
  EXPECT_EQ(c.http.max_queued, 1024);
  EXPECT_EQ(c.http.keep_alive_seconds, 30);
  EXPECT_TRUE(c.plugin_dirs.empty());
  EXPECT_EQ(c.limits.max_events_per_command, 100u);
  EXPECT_EQ(c.limits.max_read_limit, 1000u);
  EXPECT_EQ(c.limits.conflict_retries, 5);
  EXPECT_EQ(c.limits.idempotency_ttl_seconds, 86400);
  EXPECT_EQ(c.limits.aggregate_cache_size, 10000u);
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.logging.format, "text");
  EXPECT_EQ(c.store.plugin, "memory");
  EXPECT_EQ(c.store.config, Json::object());
  EXPECT_EQ(c.store.pointer, "/store");
  EXPECT_TRUE(c.aggregates.empty());
  EXPECT_TRUE(c.projections.empty());
  EXPECT_TRUE(c.transports.empty());
  // The document keeps its defaults filled in, and its locations.
  EXPECT_EQ(c.document.root()["gateway"]["http"]["threads"], Json(64));
  EXPECT_EQ(c.document.locate("/store/plugin").line, 2);
}

TEST(GatewayConfig, FullConfigIsRead) {
  auto c = parse(
      "gateway:\n"
      "  http: { listen: '[::1]:9090', threads: 8 }\n"
      "  plugin_dirs: [./build/plugins, /opt/herald]\n"
      "  limits: { conflict_retries: 0 }\n"
      "  logging: { level: debug, format: json }\n"
      "store:\n"
      "  plugin: redis\n"
      "  config: { url: 'redis://localhost', fsync: batch }\n"
      "aggregates:\n"
      "  - type: User\n"
      "    plugin: declarative\n"
      "    snapshot_every: 100\n"
      "    config: { commands: {} }\n"
      "  - { type: Order, plugin: order }\n"
      "projections:\n"
      "  - name: users\n"
      "    plugin: document\n"
      "    from: [User]\n"
      "transports:\n"
      "  - name: bus\n"
      "    plugin: rabbitmq\n"
      "    config: { url: amqp://x }\n"
      "  - name: hooks\n"
      "    plugin: webhook\n");
  EXPECT_EQ(c.http.host, "::1");
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.http.threads, 8);
  EXPECT_EQ(c.plugin_dirs, (std::vector<std::string>{"./build/plugins", "/opt/herald"}));
  EXPECT_EQ(c.limits.conflict_retries, 0);
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(c.logging.format, "json");
  EXPECT_EQ(c.store.config, (Json{{"url", "redis://localhost"}, {"fsync", "batch"}}));
  ASSERT_EQ(c.aggregates.size(), 2u);
  EXPECT_EQ(c.aggregates[0].type, "User");
  EXPECT_EQ(c.aggregates[0].plugin, "declarative");
  EXPECT_EQ(c.aggregates[0].snapshot_every, 100);
  EXPECT_EQ(c.aggregates[0].config, (Json{{"commands", Json::object()}}));
  EXPECT_EQ(c.aggregates[0].pointer, "/aggregates/0");
  EXPECT_EQ(c.aggregates[1].type, "Order");
  EXPECT_EQ(c.aggregates[1].snapshot_every, 0);
  EXPECT_EQ(c.aggregates[1].config, Json::object());
  EXPECT_EQ(c.aggregates[1].pointer, "/aggregates/1");
  ASSERT_EQ(c.projections.size(), 1u);
  EXPECT_EQ(c.projections[0].name, "users");
  EXPECT_EQ(c.projections[0].from, (std::vector<std::string>{"User"}));
  EXPECT_EQ(c.projections[0].pointer, "/projections/0");
  ASSERT_EQ(c.transports.size(), 2u);
  EXPECT_EQ(c.transports[1].name, "hooks");
  EXPECT_EQ(c.transports[1].pointer, "/transports/1");
  // A plugin config problem found later is located through the document.
  auto p =
      c.document.problem(c.transports[0].pointer + "/config", {"url", "bad url", ""}, "rabbitmq");
  EXPECT_EQ(p.to_string(), "test.yaml:22:15: transports[0].config.url: bad url [plugin rabbitmq]");
}

TEST(GatewayConfig, DefaultFileParsesWithItsDefaults) {
  ::unsetenv("HERALD_LISTEN");
  ::unsetenv("HERALD_DATA_DIR");
  ::unsetenv("HERALD_LOG_LEVEL");
  ::unsetenv("HERALD_LOG_FORMAT");
  auto c = parse_gateway_config(
      ConfigDocument::from_file(std::string(HERALD_SOURCE_DIR) + "/config/herald.yaml"));
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.max_body_bytes, 1048576u);
  EXPECT_EQ(c.logging.level, "info");
  EXPECT_EQ(c.logging.format, "text");
  EXPECT_EQ(c.limits.max_read_limit, 1000u);
  EXPECT_EQ(c.store.plugin, "memory");
  EXPECT_EQ(c.store.config["path"], Json("./data/events.log"));
  EXPECT_EQ(c.store.config["fsync"], Json("batch"));
  ASSERT_FALSE(c.aggregates.empty());
  EXPECT_EQ(c.aggregates[0].type, "User");
}

TEST(GatewayConfig, DefaultFileTakesEnvironment) {
  ::setenv("HERALD_LISTEN", "0.0.0.0:9123", 1);
  ::setenv("HERALD_DATA_DIR", "/var/lib/herald", 1);
  ::setenv("HERALD_LOG_LEVEL", "warn", 1);
  auto c = parse_gateway_config(
      ConfigDocument::from_file(std::string(HERALD_SOURCE_DIR) + "/config/herald.yaml"));
  ::unsetenv("HERALD_LISTEN");
  ::unsetenv("HERALD_DATA_DIR");
  ::unsetenv("HERALD_LOG_LEVEL");
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 9123);
  EXPECT_EQ(c.logging.level, "warn");
  EXPECT_EQ(c.store.config["path"], Json("/var/lib/herald/events.log"));
}

TEST(GatewayConfig, UnknownTopLevelKeyWithDidYouMean) {
  auto problems = problems_of("stroe:\n  plugin: memory\n");
  ASSERT_EQ(problems.size(), 2u) << summary(problems);
  EXPECT_EQ(problems[0].to_string(), "test.yaml:1:1: stroe: unknown key (did you mean 'store'?)");
  EXPECT_EQ(problems[1].path, "store");
  EXPECT_EQ(problems[1].message, "missing required key");
}

TEST(GatewayConfig, ThreeErrorsAtOnceWithTheirLines) {
  auto problems = problems_of(
      "gateway:\n"                 // 1
      "  http:\n"                  // 2
      "    threads: many\n"        // 3
      "  logging:\n"               // 4
      "    level: verbose\n"       // 5
      "store:\n"                   // 6
      "  plugin: memory\n"         // 7
      "aggregates:\n"              // 8
      "  - type: User\n"           // 9
      "    plugin: user\n"         // 10
      "    snapshot_evry: 10\n");  // 11
  ASSERT_EQ(problems.size(), 3u) << summary(problems);
  EXPECT_EQ(problems[0].where.line, 3);
  EXPECT_EQ(problems[0].path, "gateway.http.threads");
  EXPECT_EQ(problems[0].message, "expected integer, got string \"many\"");
  EXPECT_EQ(problems[1].where.line, 5);
  EXPECT_EQ(problems[1].path, "gateway.logging.level");
  EXPECT_EQ(problems[1].message,
            "expected one of trace, debug, info, warn, error, got \"verbose\"");
  EXPECT_EQ(problems[2].where.line, 11);
  EXPECT_EQ(problems[2].path, "aggregates[0].snapshot_evry");
  EXPECT_EQ(problems[2].hint, "did you mean 'snapshot_every'?");
}

TEST(GatewayConfig, EnumTypoGetsAHint) {
  auto problems = problems_of(std::string(kMinimal) + "gateway: { logging: { format: jsno } }\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].hint, "did you mean 'json'?");
}

TEST(GatewayConfig, MissingRequired) {
  auto problems = problems_of(
      "store: {}\n"
      "aggregates:\n"
      "  - plugin: user\n"
      "projections:\n"
      "  - name: users\n");
  ASSERT_EQ(problems.size(), 3u) << summary(problems);
  EXPECT_EQ(problems[0].path, "store.plugin");
  EXPECT_EQ(problems[0].where.line, 1);
  EXPECT_EQ(problems[1].path, "aggregates[0].type");
  EXPECT_EQ(problems[1].where.line, 3);
  EXPECT_EQ(problems[2].path, "projections[0].plugin");
  EXPECT_EQ(problems[2].where.line, 5);
  EXPECT_EQ(problems[2].message, "missing required key");

  auto empty = problems_of("");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].path, "store");
}

TEST(GatewayConfig, RangesAreChecked) {
  auto problems = problems_of(std::string(kMinimal) +
                              "gateway:\n"
                              "  http: { max_body_bytes: 10, threads: 1 }\n"
                              "  limits: { max_events_per_command: 0 }\n"
                              "aggregates: [ { type: A, plugin: a, snapshot_every: -1 } ]\n");
  ASSERT_EQ(problems.size(), 4u) << summary(problems);
  EXPECT_EQ(problems[0].message, "must be at least 1024, got 10");
}

TEST(GatewayConfig, ThreadsHaveASaneMaximum) {
  // The worker pool holds threads + 4: INT_MAX overflowed.
  auto problems =
      problems_of(std::string(kMinimal) + "gateway:\n  http: { threads: 2147483647 }\n");
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].message, "must be at most 10000, got 2147483647");
}

TEST(GatewayConfig, AnUpcastersDefaultToVersionFitsAnInt) {
  // to_version defaults to from_version + 1, which overflowed at INT_MAX.
  auto problems =
      problems_of(std::string(kMinimal) +
                  "upcasters:\n  - { event: E, from_version: 2147483647, drop: [a] }\n");
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].message, "must be at most 2147483646, got 2147483647");
  auto c = parse(std::string(kMinimal) +
                 "upcasters:\n  - { event: E, from_version: 2147483646, drop: [a] }\n");
  ASSERT_EQ(c.upcasters.size(), 1u);
  EXPECT_EQ(c.upcasters[0].to_version, 2147483647);
}

TEST(GatewayConfig, ConflictRetriesHaveASaneMaximum) {
  // The router makes 1 + conflict_retries attempts: INT_MAX overflowed.
  auto problems =
      problems_of(std::string(kMinimal) + "gateway:\n  limits: { conflict_retries: 2147483647 }\n");
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].message, "must be at most 1000, got 2147483647");
  EXPECT_EQ(parse(std::string(kMinimal) + "gateway:\n  limits: { conflict_retries: 1000 }\n")
                .limits.conflict_retries,
            1000);
}

TEST(GatewayConfig, NestedListsOfSectionsAreChecked) {
  auto problems = problems_of(std::string(kMinimal) +
                              "projections:\n"
                              "  - name: users\n"
                              "    plugin: document\n"
                              "    from: [User, 5]\n"
                              "  - name: orders\n"
                              "    plugin: document\n"
                              "    from: Order\n"
                              "transports: { name: bus }\n");
  ASSERT_EQ(problems.size(), 3u) << summary(problems);
  EXPECT_EQ(problems[0].path, "projections[0].from[1]");
  EXPECT_EQ(problems[0].where.line, 6);
  EXPECT_EQ(problems[0].where.column, 18);
  EXPECT_EQ(problems[1].path, "projections[1].from");
  EXPECT_EQ(problems[1].message, "expected list, got string \"Order\"");
  EXPECT_EQ(problems[2].path, "transports");
  EXPECT_EQ(problems[2].message, "expected list, got object");
}

TEST(GatewayConfig, ListenParsing) {
  struct Good {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Good& g :
       {Good{"127.0.0.1:8080", "127.0.0.1", 8080}, Good{"0.0.0.0:1", "0.0.0.0", 1},
        Good{"localhost:65535", "localhost", 65535}, Good{"[::1]:8080", "::1", 8080},
        Good{"[::]:80", "::", 80}, Good{"[fe80::1%eth0]:443", "fe80::1%eth0", 443}}) {
    std::string error;
    auto a = parse_listen(g.text, &error);
    ASSERT_TRUE(a.has_value()) << g.text << ": " << error;
    EXPECT_EQ(a->host, g.host);
    EXPECT_EQ(a->port, g.port);
  }
  for (const char* bad : {"", "8080", "localhost", ":8080", "host:", "host:0", "host:65536",
                          "host:99999999999999999999", "host:http", "host:-1", "::1:8080",
                          "[::1]8080", "[::1", "[]:80", "[xyz]:80", "a b:80"}) {
    std::string error;
    EXPECT_FALSE(parse_listen(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  parse_listen("host:70000", &error);
  EXPECT_EQ(error, "port 70000 is not in 1-65535");
}

TEST(GatewayConfig, BadListenIsAProblemAtItsLine) {
  auto problems = problems_of(std::string(kMinimal) + "gateway:\n  http:\n    listen: 8080\n");
  // A bare 8080 is an integer: the schema says so before the rule could.
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].message, "expected string, got integer 8080");

  problems = problems_of(std::string(kMinimal) + "gateway:\n  http:\n    listen: localhost:0\n");
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].where.line, 5);
  EXPECT_EQ(problems[0].path, "gateway.http.listen");
  EXPECT_EQ(problems[0].message, "invalid address \"localhost:0\": port 0 is not in 1-65535");
}

TEST(GatewayConfig, DuplicateAggregateTypes) {
  auto problems = problems_of(std::string(kMinimal) +
                              "aggregates:\n"
                              "  - { type: User, plugin: user }\n"
                              "  - { type: Order, plugin: order }\n"
                              "  - { type: User, plugin: other }\n");
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].where.line, 6);
  EXPECT_EQ(problems[0].path, "aggregates[2].type");
  EXPECT_EQ(problems[0].message, "duplicate aggregate type 'User'");
  EXPECT_EQ(problems[0].hint, "first declared at aggregates[0].type, line 4");
}

TEST(GatewayConfig, DuplicateProjectionAndTransportNames) {
  auto problems = problems_of(std::string(kMinimal) +
                              "projections:\n"
                              "  - { name: users, plugin: document }\n"
                              "  - { name: users, plugin: document }\n"
                              "transports:\n"
                              "  - { name: bus, plugin: rabbitmq }\n"
                              "  - { name: bus, plugin: webhook }\n");
  ASSERT_EQ(problems.size(), 2u) << summary(problems);
  EXPECT_EQ(problems[0].message, "duplicate projection name 'users'");
  EXPECT_EQ(problems[1].message, "duplicate transport name 'bus'");
  EXPECT_EQ(problems[1].where.line, 8);
}

TEST(GatewayConfig, NamesMustBeIdentifiers) {
  auto problems = problems_of(std::string(kMinimal) +
                              "aggregates:\n"
                              "  - { type: 1User, plugin: user }\n"
                              "  - { type: 'User Account', plugin: user }\n"
                              "  - { type: user-account_2, plugin: user }\n"
                              "projections:\n"
                              "  - { name: '', plugin: document }\n"
                              "transports:\n"
                              "  - { name: bus/1, plugin: '' }\n");
  ASSERT_EQ(problems.size(), 5u) << summary(problems);
  EXPECT_EQ(problems[0].message, "invalid aggregate type \"1User\"");
  EXPECT_EQ(problems[1].message, "invalid aggregate type \"User Account\"");
  EXPECT_EQ(problems[2].message, "invalid projection name \"\"");
  EXPECT_EQ(problems[3].message, "invalid transport name \"bus/1\"");
  EXPECT_EQ(problems[4].path, "transports[0].plugin");
  EXPECT_EQ(problems[4].message, "must not be empty");
}

TEST(GatewayConfig, ConfigSectionMustBeAMap) {
  auto problems = problems_of(
      "store:\n"
      "  plugin: memory\n"
      "  config: [a]\n");
  ASSERT_EQ(problems.size(), 1u) << summary(problems);
  EXPECT_EQ(problems[0].path, "store.config");
  EXPECT_EQ(problems[0].message, "expected a map of the plugin's options, got a list");
  // `config:` with nothing after it is an empty map.
  EXPECT_EQ(parse("store:\n  plugin: memory\n  config:\n").store.config, Json::object());
}

TEST(GatewayConfig, ErrorsMessageStartsWithCount) {
  try {
    parse("stroe: {}\n");
    FAIL();
  } catch (const ConfigErrors& e) {
    EXPECT_EQ(std::string(e.what()),
              "test.yaml: 2 problems\n"
              "test.yaml:1:1: stroe: unknown key (did you mean 'store'?)\n"
              "test.yaml:1:1: store: missing required key (Where events are kept: one store for "
              "the whole gateway.)");
  }
}

TEST(GatewayConfig, SchemaDocumentsEveryOption) {
  // Descriptions become docs/config-reference.md: none may be empty.
  std::function<void(const OptionSpec&, const std::string&)> walk = [&](const OptionSpec& s,
                                                                        const std::string& path) {
    EXPECT_FALSE(s.description.empty()) << path;
    for (const auto& f : s.fields) walk(f, path + "." + f.key);
    for (const auto& i : s.items) walk(i, path + "[]");
  };
  for (const auto& s : gateway_schema()) walk(s, s.key);
}

// The default config after a few random edits an operator's hand or an
// editor might make (a line dropped, doubled or moved, its indent changed, a
// character changed, inserted or dropped, the file cut short): it is read,
// or refused with problems that each name the file, a line and what is
// wrong; never another exception.
TEST(GatewayConfig, AnEditedDefaultConfigIsReadOrRefusedWithLocations) {
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/config/herald.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  ASSERT_GT(lines.size(), 50u);
  std::mt19937 rng(herald::testing::test_seed(1127));
  auto below = [&](std::size_t n) { return n == 0 ? std::size_t{0} : rng() % n; };
  static constexpr char kBytes[] = ":-{}[]#&*!|>'\" \t$%@,?0aZ\x80";
  int read = 0, refused = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> edited = lines;
    for (int edits = 1 + static_cast<int>(below(3)); edits > 0; --edits) {
      std::string& line = edited[below(edited.size())];
      switch (below(7)) {
        case 0: edited.erase(edited.begin() + static_cast<long>(below(edited.size()))); break;
        case 1: {
          const std::size_t at = below(edited.size());
          edited.insert(edited.begin() + static_cast<long>(at), edited[at]);
          break;
        }
        case 2: std::swap(line, edited[below(edited.size())]); break;
        case 3: line.insert(0, 1 + below(4), ' '); break;
        case 4: line.erase(0, std::min(line.size(), 1 + below(4))); break;
        case 5: line.insert(below(line.size() + 1), 1, kBytes[below(sizeof kBytes - 1)]); break;
        case 6:
          if (!line.empty()) line[below(line.size())] = kBytes[below(sizeof kBytes - 1)];
          break;
      }
      if (edited.empty()) edited.push_back("");
    }
    if (below(20) == 0) edited.resize(below(edited.size()) + 1);
    std::string yaml;
    for (const auto& line : edited) yaml += line + "\n";
    try {
      parse(yaml);
      ++read;
    } catch (const ConfigErrors& e) {
      ++refused;
      ASSERT_FALSE(e.problems().empty()) << yaml;
      for (const auto& p : e.problems()) {
        ASSERT_EQ(p.where.file, "test.yaml") << p.to_string() << "\n" << yaml;
        // Only a key missing from a file without any (all comments, or cut
        // short) has no line: the whole file is where it is missing.
        if (p.message.rfind("missing required key", 0) != 0) {
          ASSERT_GE(p.where.line, 1) << p.to_string() << "\n" << yaml;
        }
        ASSERT_FALSE(p.message.empty()) << p.to_string() << "\n" << yaml;
      }
    } catch (const std::exception& e) {
      FAIL() << "not a ConfigErrors: " << e.what() << "\n" << yaml;
    }
  }
  EXPECT_GT(read, 100);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace herald::gateway
