// Starts the real herald on the embedded default config and checks the HTTP
// API of DESIGN.md: every status code, the stream and global log views, and
// that everything survives a restart.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "support/byte_mutator.h"
#include "support/herald_process.h"
#include "support/test_seed.h"

namespace herald::testing {
namespace {

using nlohmann::json;

std::string create_user(const std::string& name, const std::string& email) {
  return json{{"type", "CreateUser"}, {"data", {{"name", name}, {"email", email}}}}.dump();
}

class HttpE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("herald-e2e-");
    herald_ = std::make_unique<HeraldProcess>(dir_);
    herald_->start();
  }
  void TearDown() override {
    if (herald_) herald_->kill_now();
    std::filesystem::remove_all(dir_);
  }
  HttpResult post(const std::string& path, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) {
    return herald_->request("POST", path, body, headers);
  }
  HttpResult get(const std::string& path) { return herald_->request("GET", path); }

  // Whether herald_http_requests_waiting reaches `n` within 10 s: a request
  // that waits (a long poll) has arrived and is waiting.
  bool wait_for_waiting(int n) {
    const std::string line = "\nherald_http_requests_waiting " + std::to_string(n) + "\n";
    for (int i = 0; i < 1000; ++i) {
      if (get("/metrics").body.find(line) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static void expect_problem(const HttpResult& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    // The status line carries the status's own phrase, not "OK".
    static const std::map<int, std::string> kReasons = {{400, "Bad Request"},
                                                        {404, "Not Found"},
                                                        {405, "Method Not Allowed"},
                                                        {409, "Conflict"},
                                                        {413, "Request Entity Too Large"},
                                                        {422, "Unprocessable Entity"}};
    if (auto it = kReasons.find(status); it != kReasons.end()) {
      EXPECT_EQ(r.reason, it->second) << status;
    }
    EXPECT_EQ(r.content_type, "application/problem+json") << r.body;
    json p = json::parse(r.body);
    EXPECT_EQ(p["status"], status);
    EXPECT_TRUE(p["type"].is_string());
    EXPECT_TRUE(p["title"].is_string());
    EXPECT_TRUE(p["detail"].is_string());
  }

  std::filesystem::path dir_;
  std::unique_ptr<HeraldProcess> herald_;
};

TEST_F(HttpE2E, CreateUserAnswersVersionZeroAndTheEvent) {
  auto r = post("/v1/commands/User/u1", create_user("Alice Johnson", "alice@example.com"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json body = r.json();
  EXPECT_EQ(body["aggregate_id"], "u1");
  EXPECT_EQ(body["version"], 0);
  ASSERT_EQ(body["events"].size(), 1u);
  EXPECT_EQ(body["events"][0]["type"], "UserCreated");
  EXPECT_EQ(body["events"][0]["version"], 0);
  EXPECT_EQ(body["events"][0]["position"], 1);
  EXPECT_EQ(body["events"][0]["id"].get<std::string>().size(), 36u);

  auto stream = get("/v1/streams/User/u1");
  ASSERT_EQ(stream.status, 200) << stream.body;
  json s = stream.json();
  ASSERT_EQ(s["events"].size(), 1u);
  const json& e = s["events"][0];
  EXPECT_EQ(e["id"], body["events"][0]["id"]);
  EXPECT_EQ(e["stream"], json({{"type", "User"}, {"id", "u1"}}));
  EXPECT_EQ(e["data"]["name"], "Alice Johnson");
  EXPECT_EQ(e["data"]["email"], "alice@example.com");
  EXPECT_EQ(e["schema_version"], 1);
  EXPECT_TRUE(e["metadata"]["correlation_id"].is_string());
  EXPECT_TRUE(e["metadata"]["causation_id"].is_string());
  EXPECT_TRUE(e["timestamp"].get<std::string>().ends_with("Z"));

  auto all = get("/v1/events?after=0");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json()["events"].size(), 1u);
  EXPECT_EQ(all.json()["head"], 1);

  auto state = get("/v1/aggregates/User/u1");
  ASSERT_EQ(state.status, 200) << state.body;
  EXPECT_EQ(state.json()["version"], 0);
  EXPECT_EQ(state.json()["state"]["name"], "Alice Johnson");
  EXPECT_EQ(state.json()["state"]["active"], true);
}

TEST_F(HttpE2E, EverythingSurvivesARestart) {
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice Johnson", "alice@example.com")).status, 200);
  ASSERT_EQ(post("/v1/commands/User/u2", create_user("Bob Smith", "bob@example.com")).status, 200);
  ASSERT_EQ(post("/v1/commands/User/u1", R"({"type":"UpdateUser","data":{"name":"Alice J."}})").status, 200);
  ASSERT_EQ(post("/v1/commands/User/u2", R"({"type":"DeactivateUser","data":{}})").status, 200);
  auto before = get("/v1/events?after=0").json();

  EXPECT_EQ(herald_->stop(SIGTERM), 0) << herald_->log();
  EXPECT_NE(herald_->log().find("stopped cleanly"), std::string::npos) << herald_->log();
  herald_->start();

  auto after = get("/v1/events?after=0").json();
  EXPECT_EQ(after["events"], before["events"]);
  EXPECT_EQ(after["head"], 4);
  auto u1 = get("/v1/aggregates/User/u1").json();
  EXPECT_EQ(u1["version"], 1);
  EXPECT_EQ(u1["state"]["name"], "Alice J.");
  auto u2 = get("/v1/aggregates/User/u2").json();
  EXPECT_EQ(u2["state"]["active"], false);

  // Positions go on without a gap after the restart.
  auto r = post("/v1/commands/User/u3", create_user("Charlie Brown", "charlie@example.com"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["events"][0]["position"], 5);
}

// Ctrl-C, SIGTERM and a closed terminal (SIGHUP) all stop herald the same
// way: in-flight requests finish, the log is synced, exit 0.
TEST_F(HttpE2E, InterruptAndHangupStopCleanlyToo) {
  for (int sig : {SIGINT, SIGHUP}) {
    std::string id = "s" + std::to_string(sig);
    ASSERT_EQ(post("/v1/commands/User/" + id, create_user("S", id + "@example.com")).status, 200);
    EXPECT_EQ(herald_->stop(sig), 0) << herald_->log();
    const std::string log = herald_->log();
    EXPECT_NE(log.find(std::string(strsignal(sig)) + " received"), std::string::npos) << log;
    EXPECT_NE(log.find("stopped cleanly"), std::string::npos) << log;
    herald_->start();
    EXPECT_EQ(get("/v1/streams/User/" + id).status, 200);
  }
}

// SIGKILL leaves the log file as the kernel has it: every answered command
// is in it, followed by the zeros the store keeps ahead (preallocate_mib).
TEST_F(HttpE2E, EverythingAnsweredSurvivesAKill) {
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 10; ++i) {
        const std::string id = "k" + std::to_string(c) + "-" + std::to_string(i);
        auto r = post("/v1/commands/User/" + id, create_user("User " + id, id + "@example.com"));
        if (r.status == 200) ++answered;
      }
    });
  }
  for (auto& t : clients) t.join();
  ASSERT_EQ(answered, 40);
  auto before = get("/v1/events?after=0").json();
  const auto log_file = dir_ / "events.log";
  bool preallocated = false;
  for (int i = 0; i < 500 && !preallocated; ++i) {
    const auto size = std::filesystem::file_size(log_file);
    preallocated = size >= (1u << 20) && size % (1u << 20) == 0;
    if (!preallocated) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(preallocated) << "the default config keeps zeros ahead of the records";

  herald_->kill_now();
  herald_->start();
  EXPECT_EQ(herald_->log().find("damaged"), std::string::npos) << herald_->log();
  auto after = get("/v1/events?after=0").json();
  EXPECT_EQ(after["events"], before["events"]);
  EXPECT_EQ(after["head"], 40);
  auto r = post("/v1/commands/User/late", create_user("Late Comer", "late@example.com"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["events"][0]["position"], 41);

  // A clean stop leaves only the records.
  EXPECT_EQ(herald_->stop(SIGTERM), 0) << herald_->log();
  EXPECT_LT(std::filesystem::file_size(log_file), 1u << 20);
}

// A kill in the middle of a load: clients are still sending, group commits
// are in flight. Every command answered 200 is there after the restart with
// the id, version and position it was answered with; the global log has no
// gap; each stream takes its next command at the version after its last
// event; and the users read model, fed at least once across the crash,
// ends at each stream's last event.
TEST_F(HttpE2E, EverythingAnsweredSurvivesAKillUnderLoad) {
  struct Answered {
    std::string id;  // the event's
    std::uint64_t version;
    std::uint64_t position;
  };
  constexpr int kClients = 6;
  constexpr int kStreamsPerClient = 4;
  std::mutex mutex;
  std::map<std::string, std::vector<Answered>> answered;  // by stream id
  std::atomic<int> count{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      try {
        Poco::Net::HTTPClientSession session("127.0.0.1",
                                             static_cast<Poco::UInt16>(herald_->port()));
        session.setTimeout(Poco::Timespan(10, 0));
        for (int k = 0; !stop; ++k) {
          const std::string id =
              "load" + std::to_string(c) + "-" + std::to_string(k % kStreamsPerClient);
          const std::string name = "Name " + std::to_string(c) + "-" + std::to_string(k);
          const std::string body =
              k < kStreamsPerClient
                  ? create_user(name, id + "@example.com")
                  : json{{"type", "UpdateUser"}, {"data", {{"name", name}}}}.dump();
          HttpResult r = HeraldProcess::send(session, "POST", "/v1/commands/User/" + id, body);
          if (r.status != 200) {
            ADD_FAILURE() << "an answer other than 200 before the kill: " << r.status << " "
                          << r.body;
            return;
          }
          const json e = r.json()["events"][0];
          std::lock_guard lock(mutex);
          answered[id].push_back({e["id"], e["version"], e["position"]});
          ++count;
        }
      } catch (const std::exception&) {
        // The kill: the connection is reset or refused.
      }
    });
  }
  for (int i = 0; i < 2000 && count < 600; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(count, 600) << "the clients did not get going";
  herald_->kill_now();
  stop = true;
  for (auto& t : clients) t.join();

  herald_->start();
  EXPECT_EQ(herald_->log().find("damaged"), std::string::npos) << herald_->log();
  EXPECT_EQ(herald_->log().find("error"), std::string::npos) << herald_->log();

  // The global log: positions 1..head, each once.
  std::uint64_t head = 0;
  for (bool more = true; more;) {
    const json page = get("/v1/events?after=" + std::to_string(head) + "&limit=1000").json();
    more = !page["events"].empty();
    for (const json& e : page["events"]) {
      ASSERT_EQ(e["position"], head + 1) << "a gap or a repeat in the global log";
      head = e["position"];
    }
  }
  std::size_t total = 0;
  for (const auto& [id, events] : answered) {
    std::vector<json> stream;
    for (bool more = true; more;) {
      const json page =
          get("/v1/streams/User/" + id + "?from=" + std::to_string(stream.size()) + "&limit=1000")
              .json();
      more = !page["events"].empty();
      for (const json& e : page["events"]) stream.push_back(e);
    }
    for (const Answered& a : events) {
      ASSERT_LT(a.version, stream.size()) << id << ": answered version " << a.version << " is gone";
      const json& e = stream[a.version];
      EXPECT_EQ(e["id"], a.id) << id << " version " << a.version;
      EXPECT_EQ(e["position"], a.position) << id << " version " << a.version;
      EXPECT_LE(a.position, head);
      ++total;
    }
    // At most the one command a client had in flight per stream went in
    // unanswered.
    EXPECT_LE(stream.size(), events.size() + 1) << id;

    // The read model has every event that is in the log, answered or not.
    const auto caught_up = get("/v1/projections/users/" + id +
                               "?min_position=" + std::to_string(head) + "&wait_ms=10000");
    ASSERT_EQ(caught_up.status, 200) << caught_up.body;
    EXPECT_EQ(caught_up.json()["document"]["name"], stream.back()["data"]["name"])
        << caught_up.body;

    // Appends go on at the version after the stream's last event.
    const auto next = post("/v1/commands/User/" + id, json{{"type", "UpdateUser"},
                                                           {"data", {{"name", "After " + id}}},
                                                           {"expected_version", stream.size() - 1}}
                                                          .dump());
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.json()["version"], stream.size());
    const auto position = next.json()["events"][0]["position"].get<std::uint64_t>();

    // And the read model follows.
    const auto doc = get("/v1/projections/users/" + id +
                         "?min_position=" + std::to_string(position) + "&wait_ms=10000");
    ASSERT_EQ(doc.status, 200) << doc.body;
    EXPECT_EQ(doc.json()["document"]["name"], "After " + id) << doc.body;
  }
  EXPECT_EQ(total, static_cast<std::size_t>(count.load()));
}

TEST_F(HttpE2E, MalformedRequestsAre400) {
  expect_problem(post("/v1/commands/User/u1", "{not json"), 400);
  expect_problem(post("/v1/commands/User/u1", "[1,2]"), 400);
  expect_problem(post("/v1/commands/User/u1", R"({"data":{}})"), 400);
  expect_problem(post("/v1/commands/User/u1", R"({"type":"CreateUser","data":"x"})"), 400);
  expect_problem(post("/v1/commands/User/u1", R"({"type":42})"), 400);
  expect_problem(post("/v1/commands/User/u1", R"({"type":"CreateUser","expected_version":"a"})"), 400);
  auto typo = post("/v1/commands/User/u1", R"({"type":"CreateUser","expectedVersion":0})");
  expect_problem(typo, 400);
  EXPECT_NE(typo.body.find("did you mean 'expected_version'"), std::string::npos) << typo.body;
  expect_problem(post("/v1/commands/User/u1", std::string(100, '[') + std::string(100, ']')), 400);
  expect_problem(post("/v1/commands/User/u1", ""), 400);
  // A number beyond a double was a 500 Internal error.
  expect_problem(post("/v1/commands/User/u1", R"({"type":"CreateUser","data":{"name":1e400}})"),
                 400);
  expect_problem(get("/v1/events?after=abc"), 400);
  expect_problem(get("/v1/events?limit=0"), 400);
  expect_problem(get("/v1/events?after=-1"), 400);
  // A version beyond INT64_MAX would turn negative ("from the start").
  expect_problem(get("/v1/streams/User/u1?from=18446744073709551615"), 400);
  auto encoding = get("/v1/streams/User/%ZZ");
  expect_problem(encoding, 400);
  EXPECT_NE(encoding.body.find("malformed percent-encoding"), std::string::npos) << encoding.body;
  // Which "type" would count depends on who reads it: neither does.
  auto twice = post(
      "/v1/commands/User/u1",
      R"({"type":"CreateUser","type":"DeactivateUser","data":{"name":"A","email":"a@example.com"}})");
  expect_problem(twice, 400);
  EXPECT_NE(twice.json()["detail"].get<std::string>().find("the key \"type\" twice"),
            std::string::npos)
      << twice.body;
  // An id that is not UTF-8 would come back as U+FFFD in every answer.
  auto not_utf8 = post("/v1/commands/User/%FF", create_user("A", "a@example.com"));
  expect_problem(not_utf8, 400);
  EXPECT_NE(not_utf8.body.find("printable UTF-8"), std::string::npos) << not_utf8.body;
  EXPECT_EQ(post("/v1/commands/User/%E2%82%AC", create_user("E", "e@example.com")).status, 200);
  // Reads answer such an id the same way, not with a 404 for a stream whose
  // key the id breaks ("User/a/b") or mangles.
  for (const char* target :
       {"/v1/streams/User/a%2Fb", "/v1/streams/User/%00", "/v1/streams/User/%C3%28",
        "/v1/aggregates/User/a%2Fb", "/v1/aggregates/User/%FF"}) {
    auto read = get(target);
    expect_problem(read, 400);
    EXPECT_NE(read.body.find("printable UTF-8"), std::string::npos) << target << " " << read.body;
  }
  EXPECT_EQ(get("/v1/streams/User/%E2%82%AC").status, 200);
  // The gateway is still fine afterwards.
  EXPECT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
}

TEST_F(HttpE2E, UnknownThingsAre404) {
  auto type = post("/v1/commands/Usr/u1", create_user("A", "a@example.com"));
  expect_problem(type, 404);
  EXPECT_NE(type.body.find("did you mean 'User'"), std::string::npos) << type.body;
  auto cmd = post("/v1/commands/User/u1", R"({"type":"CreateUsr","data":{}})");
  expect_problem(cmd, 404);
  EXPECT_NE(cmd.body.find("CreateUser"), std::string::npos) << cmd.body;
  expect_problem(get("/v1/streams/User/nobody"), 404);
  expect_problem(get("/v1/aggregates/User/nobody"), 404);
  expect_problem(get("/v1/aggregates/Nope/x"), 404);
  expect_problem(get("/v1/nothing/here"), 404);
}

TEST_F(HttpE2E, WrongMethodIs405WithAllow) {
  auto r = herald_->request("GET", "/v1/commands/User/u1");
  expect_problem(r, 405);
  EXPECT_EQ(r.headers["Allow"], "POST");
  auto del = herald_->request("DELETE", "/v1/events");
  expect_problem(del, 405);
  EXPECT_EQ(del.headers["Allow"], "GET, HEAD");
}

TEST_F(HttpE2E, HeadIsGetWithoutTheBody) {
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
  auto full = get("/v1/streams/User/u1");
  ASSERT_EQ(full.status, 200);
  auto head = herald_->request("HEAD", "/v1/streams/User/u1");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "application/json");
  EXPECT_EQ(head.headers["Content-Length"], std::to_string(full.body.size()));
  EXPECT_TRUE(head.body.empty()) << head.body;
  EXPECT_EQ(herald_->request("HEAD", "/v1/streams/User/nobody").status, 404);
  EXPECT_EQ(herald_->request("HEAD", "/v1/commands/User/u1").status, 405);
  // The connection is still in step afterwards: no body was sent to skip.
  EXPECT_EQ(get("/health/live").status, 200);
}

TEST_F(HttpE2E, ExpectedVersionConflictIs409WithCurrentVersion) {
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
  auto ok = post("/v1/commands/User/u1",
                 R"({"type":"UpdateUser","data":{"name":"A2"},"expected_version":0})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["version"], 1);
  auto stale = post("/v1/commands/User/u1",
                    R"({"type":"UpdateUser","data":{"name":"A3"},"expected_version":0})");
  expect_problem(stale, 409);
  EXPECT_EQ(stale.json()["current_version"], 1);
  // -1: the stream must be new.
  expect_problem(post("/v1/commands/User/u1",
                      R"({"type":"CreateUser","data":{"name":"x","email":"x@example.com"},"expected_version":-1})"),
                 409);
}

// Without expected_version the gateway decides again on a conflict. The
// winning append is readable only once it is fsynced (group commit), so the
// retry has to wait for it rather than fail: every update lands, in order.
TEST_F(HttpE2E, ConcurrentUpdatesOfOneUserAllLand) {
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
  constexpr int kClients = 16, kEach = 20;
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::string first_failure;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(herald_->port()));
      session.setTimeout(Poco::Timespan(30, 0));
      for (int i = 0; i < kEach; ++i) {
        auto r = HeraldProcess::send(session, "POST", "/v1/commands/User/u1",
                                     R"({"type":"UpdateUser","data":{"name":"n)" +
                                         std::to_string(c) + "-" + std::to_string(i) + R"("}})");
        if (r.status != 200) {
          std::lock_guard lock(mutex);
          if (failures++ == 0) first_failure = std::to_string(r.status) + " " + r.body;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  auto state = get("/v1/aggregates/User/u1");
  ASSERT_EQ(state.status, 200) << state.body;
  EXPECT_EQ(state.json()["version"], kClients * kEach);
}

TEST_F(HttpE2E, BusinessRuleRejectionIs422WithEveryError) {
  auto missing = post("/v1/commands/User/ghost", R"({"type":"UpdateUser","data":{"name":"x"}})");
  expect_problem(missing, 422);
  EXPECT_NE(missing.body.find("does not exist"), std::string::npos);
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
  auto again = post("/v1/commands/User/u1", R"({"type":"CreateUser","data":{"name":"","email":"nope"}})");
  expect_problem(again, 422);
  EXPECT_GE(again.json()["errors"].size(), 2u) << again.body;
  // A misspelt data property gets the declared one it likely means.
  auto typo = post("/v1/commands/User/u1", R"({"type":"UpdateUser","data":{"nme":"Alicia"}})");
  expect_problem(typo, 422);
  EXPECT_EQ(typo.json()["errors"][0], "/: property \"nme\" is not allowed (did you mean 'name'?)")
      << typo.body;
  ASSERT_EQ(post("/v1/commands/User/u1", R"({"type":"DeactivateUser","data":{}})").status, 200);
  expect_problem(post("/v1/commands/User/u1", R"({"type":"UpdateUser","data":{"name":"x"}})"), 422);
  EXPECT_EQ(post("/v1/commands/User/u1", R"({"type":"ActivateUser","data":{}})").status, 200);
  // Nothing rejected was appended.
  EXPECT_EQ(get("/v1/events?after=0").json()["events"].size(), 3u);
}

TEST_F(HttpE2E, TooLargeBodyIs413) {
  std::string big = R"({"type":"CreateUser","data":{"name":")" + std::string(2 << 20, 'a') +
                    R"(","email":"a@example.com"}})";
  expect_problem(post("/v1/commands/User/u1", big), 413);
  EXPECT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
}

TEST_F(HttpE2E, IdempotencyKeyReturnsTheFirstAnswer) {
  std::map<std::string, std::string> key = {{"Idempotency-Key", "create-u1-once"}};
  auto first = post("/v1/commands/User/u1", create_user("Alice", "alice@example.com"), key);
  ASSERT_EQ(first.status, 200) << first.body;
  auto retry = post("/v1/commands/User/u1", create_user("Alice", "alice@example.com"), key);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["events"], first.json()["events"]);
  EXPECT_EQ(get("/v1/events?after=0").json()["events"].size(), 1u);
  auto reused = post("/v1/commands/User/u2", create_user("Bob", "bob@example.com"), key);
  expect_problem(reused, 422);

  // The key is durable: after a restart the retry still gets the first answer.
  ASSERT_EQ(herald_->stop(), 0);
  herald_->start();
  auto after_restart = post("/v1/commands/User/u1", create_user("Alice", "alice@example.com"), key);
  ASSERT_EQ(after_restart.status, 200) << after_restart.body;
  EXPECT_EQ(after_restart.json()["events"], first.json()["events"]);
  EXPECT_EQ(get("/v1/events?after=0").json()["events"].size(), 1u);
}

TEST_F(HttpE2E, GatewayMakesTheIdWhenNoneIsGiven) {
  auto r = post("/v1/commands/User", create_user("Dana", "dana@example.com"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = r.json()["aggregate_id"];
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(get("/v1/aggregates/User/" + id).status, 200);
}

TEST_F(HttpE2E, ARetryWithTheKeyGetsTheIdTheGatewayMadeTheFirstTime) {
  // The client cannot know the id before the answer: on a timeout it can
  // only retry, and the key must stop a second user being created.
  std::map<std::string, std::string> key = {{"Idempotency-Key", "create-dana-once"}};
  auto first = post("/v1/commands/User", create_user("Dana", "dana@example.com"), key);
  ASSERT_EQ(first.status, 200) << first.body;
  auto retry = post("/v1/commands/User", create_user("Dana", "dana@example.com"), key);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["aggregate_id"], first.json()["aggregate_id"]);
  EXPECT_EQ(retry.json()["events"], first.json()["events"]);
  EXPECT_EQ(get("/v1/events?after=0").json()["events"].size(), 1u);
  // Another command under the key is still refused.
  expect_problem(post("/v1/commands/User", create_user("Eve", "eve@example.com"), key), 422);
}

TEST_F(HttpE2E, GlobalLogPagingAndTypeFilter) {
  for (int i = 0; i < 5; ++i) {
    std::string id = "p" + std::to_string(i);
    ASSERT_EQ(post("/v1/commands/User/" + id, create_user("P " + id, id + "@example.com")).status, 200);
    ASSERT_EQ(post("/v1/commands/User/" + id, R"({"type":"UpdateUser","data":{"name":"Q"}})").status, 200);
  }
  auto page = get("/v1/events?after=2&limit=3").json();
  ASSERT_EQ(page["events"].size(), 3u);
  EXPECT_EQ(page["events"][0]["position"], 3);
  EXPECT_EQ(page["next_after"], 5);
  auto updates = get("/v1/events?type=UserUpdated&after=0").json();
  ASSERT_EQ(updates["events"].size(), 5u);
  for (const auto& e : updates["events"]) EXPECT_EQ(e["type"], "UserUpdated");
  auto stream = get("/v1/streams/User/p1?from=1&limit=1").json();
  ASSERT_EQ(stream["events"].size(), 1u);
  EXPECT_EQ(stream["events"][0]["version"], 1);
}

// An aggregate as it was at a version: what a support engineer asks ("what
// did this user look like before that update?") without replaying by hand.
TEST_F(HttpE2E, AnAggregatesStateAtAPastVersion) {
  ASSERT_EQ(post("/v1/commands/User/h1", create_user("First", "h@example.com")).status, 200);
  ASSERT_EQ(
      post("/v1/commands/User/h1", R"({"type":"UpdateUser","data":{"name":"Second"}})").status,
      200);
  ASSERT_EQ(post("/v1/commands/User/h1", R"({"type":"DeactivateUser","data":{}})").status, 200);
  auto v0 = get("/v1/aggregates/User/h1?version=0");
  ASSERT_EQ(v0.status, 200) << v0.body;
  EXPECT_EQ(v0.json()["version"], 0);
  EXPECT_EQ(v0.json()["current_version"], 2);
  EXPECT_EQ(v0.json()["state"]["name"], "First") << v0.body;
  auto v1 = get("/v1/aggregates/User/h1?version=1").json();
  EXPECT_EQ(v1["state"]["name"], "Second");
  EXPECT_EQ(v1["state"]["active"], true) << v1.dump();
  auto now = get("/v1/aggregates/User/h1").json();
  EXPECT_EQ(now["version"], 2);
  EXPECT_EQ(now["state"]["active"], false) << now.dump();
  EXPECT_FALSE(now.contains("current_version"));
  EXPECT_EQ(get("/v1/aggregates/User/h1?version=2").json()["state"], now["state"]);
  // A version the stream has not reached: 404, saying where it is.
  auto ahead = get("/v1/aggregates/User/h1?version=3");
  expect_problem(ahead, 404);
  EXPECT_NE(ahead.body.find("urn:herald:problem:version-not-found"), std::string::npos);
  EXPECT_EQ(ahead.json()["current_version"], 2);
  expect_problem(get("/v1/aggregates/User/h1?version=-1"), 400);
  expect_problem(get("/v1/aggregates/User/h1?versoin=1"), 400);
  expect_problem(get("/v1/aggregates/User/nobody?version=0"), 404);
}

// A stream read backward, newest first, as EventStoreDB reads one: the last
// events without knowing the version, and pages back with next_from.
TEST_F(HttpE2E, AStreamReadsBackwardNewestFirst) {
  ASSERT_EQ(post("/v1/commands/User/b1", create_user("B", "b@example.com")).status, 200);
  for (int i = 1; i <= 4; ++i) {
    ASSERT_EQ(
        post("/v1/commands/User/b1",
             json{{"type", "UpdateUser"}, {"data", {{"name", "B" + std::to_string(i)}}}}.dump())
            .status,
        200);
  }
  auto versions = [](const json& page) {
    std::vector<int> out;
    for (const auto& e : page["events"]) out.push_back(e["version"].get<int>());
    return out;
  };
  auto latest = get("/v1/streams/User/b1?direction=backward&limit=2").json();
  EXPECT_EQ(versions(latest), (std::vector<int>{4, 3})) << latest.dump();
  EXPECT_EQ(latest["version"], 4);
  EXPECT_EQ(latest["next_from"], 2);
  EXPECT_EQ(latest["events"][0]["data"]["name"], "B4");
  auto older = get("/v1/streams/User/b1?direction=backward&limit=2&from=2").json();
  EXPECT_EQ(versions(older), (std::vector<int>{2, 1}));
  EXPECT_EQ(older["next_from"], 0);
  auto oldest = get("/v1/streams/User/b1?direction=backward&limit=2&from=0").json();
  EXPECT_EQ(versions(oldest), (std::vector<int>{0}));
  EXPECT_FALSE(oldest.contains("next_from"));
  // Past the end: from the last version. Everything in one page.
  EXPECT_EQ(versions(get("/v1/streams/User/b1?direction=backward&from=99&limit=2").json()),
            (std::vector<int>{4, 3}));
  EXPECT_EQ(versions(get("/v1/streams/User/b1?direction=backward").json()),
            (std::vector<int>{4, 3, 2, 1, 0}));
  // Forward is the default and unchanged.
  EXPECT_EQ(versions(get("/v1/streams/User/b1?limit=2&direction=forward").json()),
            (std::vector<int>{0, 1}));
  expect_problem(get("/v1/streams/User/nobody?direction=backward"), 404);
  auto typo = get("/v1/streams/User/b1?direction=backwards");
  expect_problem(typo, 400);
  EXPECT_NE(typo.body.find("did you mean 'backward'"), std::string::npos) << typo.body;
}

// Long polling the global log (wait_ms): a reader tailing herald over HTTP
// gets each event as soon as it is durable instead of polling in a loop, and
// with a type filter sleeps through the events it does not want.
TEST_F(HttpE2E, AGlobalLogLongPollAnswersWhenAMatchingEventArrives) {
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
  using Clock = std::chrono::steady_clock;
  HttpResult any, deactivated;
  Clock::duration any_took{}, deactivated_took{};  // from each poll's request
  std::thread tail([&] {
    auto t0 = Clock::now();
    any = get("/v1/events?after=1&wait_ms=20000");
    any_took = Clock::now() - t0;
  });
  std::thread filtered([&] {
    auto t0 = Clock::now();
    deactivated = get("/v1/events?after=1&type=UserDeactivated&wait_ms=20000");
    deactivated_took = Clock::now() - t0;
  });
  EXPECT_TRUE(wait_for_waiting(2)) << herald_->log();  // both polls wait
  EXPECT_EQ(post("/v1/commands/User/u1", R"({"type":"UpdateUser","data":{"name":"A"}})").status,
            200);
  // The unfiltered poll has answered; the filtered one waits on.
  EXPECT_TRUE(wait_for_waiting(1)) << herald_->log();
  EXPECT_EQ(post("/v1/commands/User/u1", R"({"type":"DeactivateUser","data":{}})").status, 200);
  tail.join();
  filtered.join();

  ASSERT_EQ(any.status, 200) << any.body;
  auto page = any.json();
  ASSERT_EQ(page["events"].size(), 1u) << any.body;
  EXPECT_EQ(page["events"][0]["type"], "UserUpdated");
  EXPECT_EQ(page["events"][0]["position"], 2);
  ASSERT_EQ(deactivated.status, 200) << deactivated.body;
  page = deactivated.json();
  ASSERT_EQ(page["events"].size(), 1u) << deactivated.body;
  EXPECT_EQ(page["events"][0]["type"], "UserDeactivated");
  EXPECT_EQ(page["events"][0]["position"], 3);
  // Answered by the events (which came after the polls began), not by the
  // end of the wait.
  EXPECT_LT(any_took, std::chrono::seconds(15));
  EXPECT_LT(deactivated_took, std::chrono::seconds(15));

  // Events already there: no wait at all. None coming: an empty page after
  // the wait, with the head. A wait that is not a number: 400.
  auto at_once = get("/v1/events?after=0&wait_ms=20000").json();
  EXPECT_EQ(at_once["events"].size(), 3u);
  auto t0 = Clock::now();
  auto nothing = get("/v1/events?after=3&wait_ms=300");
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(300));
  ASSERT_EQ(nothing.status, 200) << nothing.body;
  EXPECT_EQ(nothing.json()["events"].size(), 0u);
  EXPECT_EQ(nothing.json()["head"], 3);
  expect_problem(get("/v1/events?after=3&wait_ms=soon"), 400);
  expect_problem(get("/v1/events?after=3&wait_ms=1&wait_ms=2"), 400);
}

// A stop does not wait for a long poll's whole wait: the poll is answered
// (an empty page, Connection: close) and herald exits 0 well inside it.
TEST_F(HttpE2E, AStopAnswersALongPollAtOnce) {
  HttpResult polled;
  std::thread poll([&] { polled = get("/v1/events?after=0&wait_ms=30000"); });
  EXPECT_TRUE(wait_for_waiting(1)) << herald_->log();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(herald_->stop(), 0) << herald_->log();
  poll.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_EQ(polled.status, 200) << polled.body;
  EXPECT_EQ(polled.json()["events"].size(), 0u);
  std::string connection =
      polled.headers.count("Connection") ? polled.headers.at("Connection") : "";
  for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(connection, "close");
}

// A misspelt filter must not answer as if there were none, nor a repeated
// position pick one of two meanings, nor a query-string expected_version skip
// the concurrency check.
TEST_F(HttpE2E, QueryParametersTheResourceDoesNotTakeAre400) {
  ASSERT_EQ(post("/v1/commands/User/q1", create_user("Q", "q@example.com")).status, 200);
  auto typo = get("/v1/events?after=0&types=UserUpdated");
  expect_problem(typo, 400);
  EXPECT_EQ(typo.json()["parameter"], "types") << typo.body;
  EXPECT_NE(typo.body.find("did you mean 'type'"), std::string::npos) << typo.body;
  auto twice = get("/v1/events?after=0&after=9");
  expect_problem(twice, 400);
  EXPECT_NE(twice.body.find("'after' is given 2 times"), std::string::npos) << twice.body;
  expect_problem(get("/v1/streams/User/q1?form=1"), 400);
  expect_problem(get("/v1/aggregates/User/q1?verison=0"), 400);
  expect_problem(get("/v1/projections/users/q1?min_postion=1"), 400);
  expect_problem(get("/v1/projections/users?active=true&active=false"), 400);
  expect_problem(get("/v1/admin/subscriptions?verbose=1"), 400);
  auto in_query = post("/v1/commands/User/q1?expected_version=7",
                       R"({"type":"UpdateUser","data":{"name":"R"}})");
  expect_problem(in_query, 400);
  EXPECT_NE(in_query.body.find("goes in the JSON body"), std::string::npos) << in_query.body;
  EXPECT_EQ(get("/v1/streams/User/q1").json()["version"], 0);  // nothing was appended
  // What each resource takes still works; repeatable filters repeat.
  EXPECT_EQ(
      get("/v1/events?after=0&type=UserCreated&type=UserUpdated&stream_type=User&limit=5").status,
      200);
  EXPECT_EQ(get("/v1/streams/User/q1?from=0&limit=1").status, 200);
  EXPECT_EQ(get("/v1/projections/users?name=Q&limit=1&offset=0&order=desc&sort=email&q=q").status,
            200);
  EXPECT_EQ(get("/v1/projections/users/q1?min_position=1&wait_ms=100").status, 200);
  EXPECT_EQ(get("/health/live?probe=1").status, 200);  // probes may add cache busters
}

TEST_F(HttpE2E, PositionsPastTheHeadReadNothingUpToTheLargest) {
  ASSERT_EQ(post("/v1/commands/User/u1", create_user("Alice", "alice@example.com")).status, 200);
  for (const char* after : {"2", "9223372036854775808", "18446744073709551615"}) {
    for (const char* filter : {"", "&type=UserCreated"}) {
      auto r = get(std::string("/v1/events?after=") + after + filter);
      ASSERT_EQ(r.status, 200) << after << filter << r.body;
      EXPECT_TRUE(r.json()["events"].empty()) << r.body;
      EXPECT_EQ(r.json()["next_after"].get<std::uint64_t>(), std::stoull(after)) << r.body;
    }
  }
  EXPECT_EQ(get("/health/live").status, 200);
}

TEST_F(HttpE2E, KeepAliveServesManyRequestsOnOneConnection) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(herald_->port()));
  session.setKeepAlive(true);
  for (int i = 0; i < 20; ++i) {
    auto r = HeraldProcess::send(session, "POST", "/v1/commands/User/k" + std::to_string(i),
                                 create_user("K", "k@example.com"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(get("/v1/events?after=0").json()["head"], 20);
}

TEST_F(HttpE2E, HealthAndMetrics) {
  EXPECT_EQ(get("/health/live").status, 200);
  auto ready = get("/health/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["checks"]["store"], "ok");
  ASSERT_EQ(post("/v1/commands/User/m1", create_user("M", "m@example.com")).status, 200);
  auto metrics = get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("herald_commands_total{outcome=\"ok\"} 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("herald_store_head_position 1"), std::string::npos);
  // At least this request's own connection is being served (the ones
  // before it may still be closing).
  const auto active = metrics.body.find("\nherald_http_connections_active ");
  ASSERT_NE(active, std::string::npos) << metrics.body;
  EXPECT_GE(std::stoi(metrics.body.substr(active + 32)), 1) << metrics.body;
  EXPECT_NE(metrics.body.find("\nherald_http_connections_queued 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("\nherald_http_connections_refused_total 0\n"), std::string::npos);

  // The text format holds together: every sample's family is declared
  // first, and the command histogram is cumulative up to its count.
  std::set<std::string> declared;
  std::vector<long long> buckets;
  long long count = -1;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      declared.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) &&
          declared.count(name.substr(0, name.size() - std::strlen(suffix)))) {
        name = name.substr(0, name.size() - std::strlen(suffix));
      }
    }
    EXPECT_TRUE(declared.count(name)) << line;
    const long long value = std::atoll(line.substr(line.rfind(' ') + 1).c_str());
    if (line.rfind("herald_command_duration_seconds_bucket", 0) == 0) buckets.push_back(value);
    if (line.rfind("herald_command_duration_seconds_count ", 0) == 0) count = value;
  }
  ASSERT_FALSE(buckets.empty()) << metrics.body;
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end())) << metrics.body;
  EXPECT_EQ(buckets.back(), 1) << metrics.body;  // +Inf: the one command
  EXPECT_EQ(count, 1) << metrics.body;
  EXPECT_NE(metrics.body.find("herald_command_duration_seconds_bucket{le=\"+Inf\"} 1\n"),
            std::string::npos);

  // Each read model's position and lag, once it has applied the command.
  ASSERT_EQ(get("/v1/projections/users/m1?min_position=1").status, 200);
  metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("\nherald_projection_position{projection=\"users\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("\nherald_projection_lag_events{projection=\"users\"} 0\n"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("\nherald_projection_failed{projection=\"users\"} 0\n"),
            std::string::npos);
  // A long poll is counted as waiting while it waits (and ends with the
  // next event).
  EXPECT_NE(metrics.body.find("\nherald_http_requests_waiting 0\n"), std::string::npos);
  std::thread poll([&] { get("/v1/events?after=1&wait_ms=20000"); });
  EXPECT_TRUE(wait_for_waiting(1));
  EXPECT_EQ(post("/v1/commands/User/m2", create_user("N", "n@example.com")).status, 200);
  poll.join();
  EXPECT_TRUE(wait_for_waiting(0));
  auto plugins = get("/v1/admin/plugins").json();
  std::set<std::string> names;
  for (const auto& p : plugins["plugins"]) names.insert(p["name"]);
  EXPECT_TRUE(names.count("memory") && names.count("declarative") && names.count("document"));
}

// A config file in `dir` with the memory store and no aggregates, and
// `http_option` (one "key: value" line) under gateway.http.
std::filesystem::path http_test_config(const std::filesystem::path& dir,
                                       const std::string& http_option) {
  auto file = dir / "http-test.yaml";
  std::ofstream(file) << "gateway:\n  http:\n    listen: ${HERALD_LISTEN}\n    " << http_option
                      << "\nstore:\n  plugin: memory\n  config:\n"
                         "    path: ${HERALD_DATA_DIR}/events.log\n";
  return file;
}

// GET /health/live on a new connection, waiting at most `timeout_s`: the
// status (0 when no answer came) and what went wrong.
std::pair<int, std::string> probe_health(int port, int timeout_s) {
  Poco::Net::HTTPClientSession probe("127.0.0.1", static_cast<Poco::UInt16>(port));
  probe.setTimeout(Poco::Timespan(timeout_s, 0));
  try {
    return {HeraldProcess::send(probe, "GET", "/health/live").status, ""};
  } catch (const std::exception& e) {
    return {0, e.what()};
  }
}

// The value of a counter in GET /metrics (-1 when it is missing).
long long metric(const HeraldProcess& herald, const std::string& name) {
  const std::string metrics = "\n" + herald.request("GET", "/metrics").body;
  const auto at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(metrics.substr(at + name.size() + 2));
}

// Two clients with back-to-back requests hold both worker threads; a third
// connection (a health probe, say) must still get its answer while they go
// on, because each answer hands its thread over to a waiting connection.
TEST(HttpWorkers, AWaitingConnectionIsServedWhileOthersKeepBusy) {
  auto dir = make_temp_dir("herald-busy-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "threads: 2").string()});
  herald.start();

  std::atomic<bool> done{false};
  std::atomic<int> answers{0};
  std::vector<std::thread> busy;
  for (int i = 0; i < 2; ++i) {
    busy.emplace_back([&] {
      Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(herald.port()));
      session.setKeepAlive(true);  // else Poco's client closes after every answer
      session.setTimeout(Poco::Timespan(30, 0));
      while (!done) {
        if (HeraldProcess::send(session, "GET", "/health/live").status == 200) ++answers;
      }
    });
  }
  while (answers < 100) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  // Without the hand-over this waits until a busy client stops, which it
  // does only after this answer: the session's timeout ends it instead.
  auto [live, error] = probe_health(herald.port(), 10);
  done = true;
  for (auto& t : busy) t.join();
  EXPECT_EQ(live, 200) << error;

  EXPECT_GT(metric(herald, "herald_http_connections_handed_over_total"), 0);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// Every query waiting for a position (read-your-writes) holds a worker
// thread; at most half of them may wait, so that waiting queries cannot keep
// commands and health probes out. The others are told to retry at once.
TEST(HttpWorkers, WaitingQueriesCannotTakeEveryWorker) {
  auto dir = make_temp_dir("herald-waiting-");
  auto file = dir / "waiting.yaml";
  std::ofstream(file)
      << "gateway:\n  http:\n    listen: ${HERALD_LISTEN}\n    threads: 2\n"
         "store:\n  plugin: memory\n  config:\n    path: ${HERALD_DATA_DIR}/events.log\n"
         "projections:\n  - name: docs\n    plugin: document\n    from: [User]\n"
         "    config:\n      on:\n        UserCreated:\n          set: { name: $event.data.name "
         "}\n";
  HeraldProcess herald(dir, {"-c", file.string()});
  herald.start();
  // Position 99 does not exist yet: a query for it waits its whole wait_ms.
  // Of two such queries one may wait (threads / 2 = 1), the other is told
  // to retry, whichever comes first.
  const std::string query = "/v1/projections/docs?min_position=99&wait_ms=3000";
  std::vector<HttpResult> results(2);
  std::vector<std::thread> queries;
  for (auto& result : results) queries.emplace_back([&] { result = herald.request("GET", query); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Without the limit both workers wait for 3 s.
  auto [live, error] = probe_health(herald.port(), 2);
  EXPECT_EQ(live, 200) << error;
  // A long poll of the global log counts against the same limit.
  auto poll = herald.request("GET", "/v1/events?after=99&wait_ms=3000");
  EXPECT_EQ(poll.status, 503) << poll.body;
  EXPECT_NE(poll.body.find("urn:herald:problem:too-many-waiting"), std::string::npos) << poll.body;
  for (auto& t : queries) t.join();
  if (results[0].status == 503) std::swap(results[0], results[1]);
  EXPECT_EQ(results[0].status, 504) << results[0].body;
  const HttpResult& told = results[1];
  EXPECT_EQ(told.status, 503) << told.body;
  EXPECT_NE(told.body.find("urn:herald:problem:too-many-waiting"), std::string::npos) << told.body;
  EXPECT_EQ(told.headers.count("Retry-After") ? told.headers.at("Retry-After") : "", "1");
  EXPECT_EQ(told.json().value("retry_after", json()), 1) << told.body;
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A full disk (RLIMIT_FSIZE stands in for it): the store refuses writes
// until herald is restarted, and the 503 says so rather than "retry later";
// reads keep serving, readiness fails, and a restart without the limit has
// every acknowledged command and nothing of the refused one.
TEST(HttpStoreFailure, AFullDiskRefusesWritesUntilRestartAndKeepsEveryAcknowledgedOne) {
  auto dir = make_temp_dir("herald-full-disk-");
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/config/herald.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  const std::string fsync = "    fsync: batch\n";
  ASSERT_NE(config.find(fsync), std::string::npos);
  // No zeros kept ahead: the limit then falls on a record's write.
  config.replace(config.find(fsync), fsync.size(), fsync + "    preallocate_mib: 0\n");
  auto file = dir / "full-disk.yaml";
  std::ofstream(file) << config;

  int acknowledged = 0;
  HttpResult refused;
  {
    HeraldProcess herald(dir, {"-c", file.string()});
    herald.limit_file_size(64 * 1024);
    herald.start();
    const std::string name(150, 'n');
    for (int i = 0; i < 2000; ++i) {
      auto r = herald.request("POST", "/v1/commands/User/u" + std::to_string(i),
                              create_user(name, "u" + std::to_string(i) + "@example.com"));
      if (r.status != 200) {
        refused = r;
        break;
      }
      ++acknowledged;
    }
    ASSERT_GT(acknowledged, 10) << herald.log();
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_NE(refused.body.find("urn:herald:problem:store-unavailable"), std::string::npos)
        << refused.body;
    // Every later write too, and the answer does not promise that waiting helps.
    auto later =
        herald.request("POST", "/v1/commands/User/late", create_user("Late", "l@example.com"));
    EXPECT_EQ(later.status, 503) << later.body;
    EXPECT_NE(later.body.find("until herald is restarted"), std::string::npos) << later.body;
    EXPECT_EQ(later.body.find("retry later"), std::string::npos) << later.body;
    EXPECT_EQ(later.headers.count("Retry-After"), 0u) << later.body;
    EXPECT_EQ(herald.request("GET", "/health/ready").status, 503);
    EXPECT_EQ(herald.request("GET", "/v1/streams/User/u0").status, 200);
    herald.stop();
  }

  HeraldProcess again(dir, {"-c", file.string()});
  again.start();
  auto events = again.request("GET", "/v1/events?after=0&limit=10000");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_EQ(events.json()["events"].size(), static_cast<std::size_t>(acknowledged)) << again.log();
  EXPECT_EQ(again.request("GET", "/v1/streams/User/u" + std::to_string(acknowledged)).status, 404);
  EXPECT_EQ(again.request("GET", "/v1/streams/User/late").status, 404);
  EXPECT_EQ(again.stop(), 0) << again.log();
  std::filesystem::remove_all(dir);
}

// A second herald on a port in use must fail to start, loudly: with
// SO_REUSEPORT both listened and the kernel split the connections.
TEST(HttpListen, ASecondHeraldOnTheSamePortFailsToStart) {
  auto first_dir = make_temp_dir("herald-port-a-");
  auto second_dir = make_temp_dir("herald-port-b-");
  HeraldProcess first(first_dir);
  first.start();
  // Run to its exit (timeout ends it if it serves instead).
  auto second = run_shell("HERALD_LISTEN=127.0.0.1:" + std::to_string(first.port()) +
                          " HERALD_DATA_DIR=" + second_dir.string() + " HERALD_PLUGIN_PATH=" +
                          HERALD_PLUGIN_DIR + " timeout 10 " + HeraldProcess::binary());
  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_NE(second.exit_code, 124) << "the second herald served on the same port:\n"
                                   << second.output;
  EXPECT_NE(second.output.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << second.output;
  EXPECT_EQ(first.request("GET", "/health/live").status, 200);
  EXPECT_EQ(first.stop(), 0);
  std::filesystem::remove_all(first_dir);
  std::filesystem::remove_all(second_dir);
}

// Everything `socket` receives until the server closes it (or nothing comes
// for `timeout_s`). What went wrong goes to `error` when given, else onto
// the end of the text as "<...>".
std::string read_to_end(Poco::Net::StreamSocket& socket, int timeout_s,
                        std::string* error = nullptr) {
  socket.setReceiveTimeout(Poco::Timespan(timeout_s, 0));
  std::string out;
  char buf[4096];
  try {
    for (int n; (n = socket.receiveBytes(buf, sizeof buf)) > 0;) out.append(buf, n);
  } catch (const Poco::Exception& e) {
    if (error)
      *error = e.displayText();
    else
      out += "<" + e.displayText() + ">";
  }
  return out;
}

// Sends raw bytes on a new connection and returns everything until the
// server closes it (or 30 s pass).
std::string raw_exchange(int port, const std::string& bytes) {
  Poco::Net::StreamSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  return read_to_end(socket, 30);
}

// Beyond max_queued connections waiting for a worker, a new connection is
// answered 503 overloaded with Retry-After and closed at once (Poco alone
// closes it unanswered, a reset to most clients), and counted.
TEST(HttpWorkers, ConnectionsBeyondTheQueueAreAnswered503) {
  auto dir = make_temp_dir("herald-refused-");
  HeraldProcess herald(dir,
                       {"-c", http_test_config(dir, "threads: 2\n    max_queued: 1").string()});
  herald.start();
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(herald.port()));
  // Two hold the workers and one waits, each in the middle of its head
  // (held until io_timeout_seconds, never handed over).
  std::vector<Poco::Net::StreamSocket> holding;
  const std::string part = "GET /health/live HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 3; ++i) {
    holding.emplace_back(address);
    holding.back().sendBytes(part.data(), static_cast<int>(part.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::string request = part + "\r\n";
  for (int i = 0; i < 3; ++i) {
    Poco::Net::StreamSocket client(address);
    client.sendBytes(request.data(), static_cast<int>(request.size()));
    const std::string answer = read_to_end(client, 5);
    EXPECT_EQ(answer.rfind("HTTP/1.1 503 ", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nRetry-After: 1\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\nConnection: Close\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("application/problem+json"), std::string::npos) << answer;
    EXPECT_NE(answer.find("urn:herald:problem:overloaded"), std::string::npos) << answer;
    EXPECT_NE(answer.find("max_queued (1)"), std::string::npos) << answer;
  }
  // Once they are gone (their workers read the end, the waiting one gets a
  // worker and reads its end too), new connections are served again.
  holding.clear();
  int live = 0;
  for (int i = 0; i < 50 && live != 200; ++i) {
    live = herald.request("GET", "/health/live").status;
    if (live != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(live, 200);
  EXPECT_GE(metric(herald, "herald_http_connections_refused_total"), 3);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// Requests a client could send, edited at random (a byte changed, inserted
// or dropped, a span doubled, the end cut off), each on a connection whose
// sending side the client closes after them: herald answers with HTTP, or
// closes, never with a server error (5xx other than 501 and 505, which
// name what HTTP/1.1 feature it does not implement) nor an error in its
// log; it stays up and stops cleanly. The connection loop (framing,
// chunked bodies, pipelining, the end of a connection) sees all of it.
TEST(HttpConnections, EditedRequestsGetAnswersNeverAServerError) {
  auto dir = make_temp_dir("herald-edited-");
  HeraldProcess herald(dir);
  herald.start();
  auto post = [](const std::string& target, const std::string& body, const std::string& more) {
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + more +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  const std::string create =
      R"({"type":"CreateUser","data":{"name":"Alice Johnson","email":"alice@example.com"}})";
  char chunk_size[16];
  std::snprintf(chunk_size, sizeof chunk_size, "%zx", create.size());
  const std::vector<std::string> seeds = {
      post("/v1/commands/User/u1", create, ""),
      post("/v1/commands/User/u1",
           R"({"type":"UpdateUser","data":{"name":"A"},"expected_version":0})",
           "Idempotency-Key: k-1\r\n"),
      "POST /v1/commands/User HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          std::string(chunk_size) + "\r\n" + create + "\r\n0\r\n\r\n",
      "GET /v1/streams/User/u1?after=0&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/events?after=0&type=UserCreated HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/projections/users?q=ali&sort=-name&limit=2 HTTP/1.1\r\nHost: x\r\n"
      "Connection: close\r\n\r\n",
      "HEAD /v1/aggregates/User/u1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "GET /v1/aggregates/User/u1?version=0 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/streams/User/u1?direction=backward&from=3&limit=2 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v1/events?after=0&type=UserCreated&wait_ms=1 HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(herald.port()));
  herald::testing::ByteMutator mutator(herald::testing::test_seed(1127));
  int answered = 0;
  for (int round = 0; round < 600 && !HasFailure(); ++round) {
    const std::string bytes = mutator.mutate(seeds[static_cast<std::size_t>(round) % seeds.size()]);
    Poco::Net::StreamSocket socket(address);
    if (!bytes.empty()) socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    socket.shutdownSend();
    std::string error;
    const std::string answer = read_to_end(socket, 10, &error);
    const std::string shown = herald::testing::printable(bytes);
    // A reset is the one failure a client may see: herald closed with bytes
    // of a refused request still unread (a lingering close reads at most
    // 1 MiB or 1 s of them).
    if (!error.empty()) {
      EXPECT_NE(error.find("reset"), std::string::npos) << error << "\n" << shown;
    }
    if (answer.empty()) continue;
    ++answered;
    ASSERT_TRUE(answer.rfind("HTTP/1.1 ", 0) == 0 || answer.rfind("HTTP/1.0 ", 0) == 0)
        << herald::testing::printable(answer.substr(0, 200)) << "\n"
        << shown;
    const int status = std::atoi(answer.substr(9, 3).c_str());
    EXPECT_TRUE(status >= 200 && (status < 500 || status == 501 || status == 505))
        << status << "\n"
        << herald::testing::printable(answer.substr(0, 400)) << "\n"
        << shown;
    EXPECT_EQ(answer.find("urn:herald:problem:internal"), std::string::npos)
        << herald::testing::printable(answer.substr(0, 400)) << "\n"
        << shown;
  }
  EXPECT_GT(answered, 500);
  EXPECT_EQ(herald.request("GET", "/health/live").status, 200);
  EXPECT_EQ(herald.request("GET", "/v1/events?after=0&limit=1000").status, 200);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  const std::string log = herald.log();
  EXPECT_EQ(log.find(" error "), std::string::npos) << log;
  std::filesystem::remove_all(dir);
}

// A client that closes its sending side mid-body is told so at once: a 400
// that says what arrived, not a 408 that blames a timeout that never ran.
TEST(HttpConnections, ABodyCutShortByTheClientIs400AtOnce) {
  auto dir = make_temp_dir("herald-short-");
  HeraldProcess herald(dir);
  herald.start();
  auto half_close = [&](const std::string& bytes) {
    Poco::Net::StreamSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(herald.port())));
    socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    socket.shutdownSend();
    return read_to_end(socket, 5);
  };
  const auto started = std::chrono::steady_clock::now();
  std::string length = half_close(
      "POST /v1/commands/User/c1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\"");
  EXPECT_EQ(length.rfind("HTTP/1.1 400 ", 0), 0u) << length;
  EXPECT_NE(length.find("(7 bytes of the 100 its Content-Length announced)"), std::string::npos)
      << length;
  std::string chunked = half_close(
      "POST /v1/commands/User/c1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\n{\"typ\r\n");
  EXPECT_EQ(chunked.rfind("HTTP/1.1 400 ", 0), 0u) << chunked;
  EXPECT_NE(chunked.find("no last chunk"), std::string::npos) << chunked;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A client that stops in the middle of a request loses its connection after
// io_timeout_seconds (Poco's own default is 60 s), with a 408 when it stopped
// in the body; so it cannot hold a worker, or a stop, for long.
TEST(HttpIoTimeout, AStalledBodyIs408AfterTheTimeout) {
  auto dir = make_temp_dir("herald-io-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "io_timeout_seconds: 1").string()});
  herald.start();
  std::string stalled = raw_exchange(
      herald.port(),
      "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ty");
  EXPECT_EQ(stalled.rfind("HTTP/1.1 408 ", 0), 0u) << stalled;
  EXPECT_NE(stalled.find("urn:herald:problem:request-timeout"), std::string::npos) << stalled;
  std::string negative = raw_exchange(
      herald.port(), "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  EXPECT_EQ(negative.rfind("HTTP/1.1 400 ", 0), 0u) << negative;
  EXPECT_NE(negative.find("must not be negative"), std::string::npos) << negative;
  // Stalled in the headers (which Poco's own connection closed without a
  // word): 408 too.
  std::string headers =
      raw_exchange(herald.port(), "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nContent-Le");
  EXPECT_EQ(headers.rfind("HTTP/1.1 408 ", 0), 0u) << headers;
  EXPECT_NE(headers.find("application/problem+json"), std::string::npos) << headers;
  EXPECT_NE(headers.find("did not arrive within"), std::string::npos) << headers;
  // Connected, and never sent a byte: closed, no answer to give.
  EXPECT_EQ(raw_exchange(herald.port(), ""), "");
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// The answers in `raw` (a whole exchange), as their status lines.
std::vector<std::string> status_lines(const std::string& raw) {
  std::vector<std::string> lines;
  for (auto at = raw.find("HTTP/1."); at != std::string::npos; at = raw.find("HTTP/1.", at + 1)) {
    // A status line: "HTTP/1.x NNN " (not "HTTP/1.1" in a body's words).
    const bool status = at + 13 <= raw.size() && raw[at + 8] == ' ' && raw[at + 12] == ' ' &&
                        std::isdigit(static_cast<unsigned char>(raw[at + 9])) &&
                        std::isdigit(static_cast<unsigned char>(raw[at + 11]));
    if (status) lines.push_back(raw.substr(at, raw.find("\r\n", at) - at));
  }
  return lines;
}

// A read waits a poll slice (100 ms) at a time and goes on until
// io_timeout_seconds: a request that comes in pieces, slower than a slice
// but within the timeout, is answered, and so is the next one after an idle
// gap of many slices on the same connection.
TEST(HttpIoTimeout, ARequestInSlowPiecesWithinTheTimeoutIsAnswered) {
  auto dir = make_temp_dir("herald-slow-");
  HeraldProcess herald(dir);  // the default config: the User domain, io_timeout_seconds 10
  herald.start();
  Poco::Net::StreamSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(herald.port())));
  const std::string body =
      R"({"type":"CreateUser","data":{"name":"Slow Sender","email":"slow@example.com"}})";
  const std::vector<std::string> pieces = {
      "POST /v1/commands/User/u-slow HTTP/1.1\r\n", "Host: x\r\nContent-Type: application/json\r\n",
      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n", body.substr(0, 20),
      body.substr(20)};
  for (const std::string& piece : pieces) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    socket.sendBytes(piece.data(), static_cast<int>(piece.size()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // idle, keep-alive
  const std::string next =
      "GET /v1/streams/User/u-slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  socket.sendBytes(next.data(), static_cast<int>(next.size()));
  const std::string raw = read_to_end(socket, 10);
  EXPECT_EQ(status_lines(raw), (std::vector<std::string>{"HTTP/1.1 200 OK", "HTTP/1.1 200 OK"}))
      << raw;
  EXPECT_NE(raw.find("\"UserCreated\""), std::string::npos) << raw;
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// Empty lines before a request are ignored (RFC 9112 §2.2): an extra CRLF
// after a request left the connection "in a request" whose io_timeout ran
// out, and the idle client got a 408 it had not asked for, then a close.
TEST(HttpIoTimeout, AnEmptyLineAfterARequestIsIdleNotAStalledRequest) {
  auto dir = make_temp_dir("herald-crlf-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "io_timeout_seconds: 1").string()});
  herald.start();
  Poco::Net::StreamSocket socket(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(herald.port())));
  const std::string first = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n\r\n";
  socket.sendBytes(first.data(), static_cast<int>(first.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string more_empty_lines = "\r\n\n";
  socket.sendBytes(more_empty_lines.data(), static_cast<int>(more_empty_lines.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));  // past io_timeout, idle
  const std::string next = "\r\nGET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  socket.sendBytes(next.data(), static_cast<int>(next.size()));
  const std::string raw = read_to_end(socket, 10);
  EXPECT_EQ(status_lines(raw), (std::vector<std::string>{"HTTP/1.1 200 OK", "HTTP/1.1 200 OK"}))
      << raw;
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A body that the gateway does not read (a POST to no resource) must be
// skipped, not parsed as the next request: Poco's own connection did that,
// so a body could smuggle a command past whatever looked at the request.
TEST(HttpConnections, AnUnreadBodyIsSkippedNotServedAsARequest) {
  auto dir = make_temp_dir("herald-smuggle-");
  HeraldProcess herald(dir);
  herald.start();
  const std::string hidden =
      "POST /v1/commands/User/smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 69\r\n\r\n"
      "{\"type\":\"CreateUser\",\"data\":{\"name\":\"Eve\",\"email\":\"eve@example.com\"}}";
  std::string raw = raw_exchange(
      herald.port(), "POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                         std::to_string(hidden.size()) + "\r\n\r\n" + hidden +
                         "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_lines(raw),
            (std::vector<std::string>{"HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK"}))
      << raw;
  EXPECT_EQ(herald.request("GET", "/v1/streams/User/smuggled").status, 404);
  EXPECT_EQ(herald.request("GET", "/v1/events?after=0").body.find("Eve"), std::string::npos);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A POST with neither Content-Length nor chunked framing has no body (RFC
// 9112 6.3); what follows is the next request, not a body that lasts until
// the connection ends.
// Two Idempotency-Key fields would make the key depend on which one a
// reader takes; an empty one would silently drop the protection.
TEST(HttpConnections, AnIdempotencyKeyGivenTwiceOrEmptyIsRefused) {
  auto dir = make_temp_dir("herald-key-");
  HeraldProcess herald(dir);
  herald.start();
  const std::string body = R"({"type":"CreateUser","data":{"name":"K","email":"k@example.com"}})";
  auto post_with = [&](const std::string& key_fields) {
    return raw_exchange(herald.port(), "POST /v1/commands/User/k1 HTTP/1.1\r\nHost: x\r\n" +
                                           key_fields +
                                           "Content-Length: " + std::to_string(body.size()) +
                                           "\r\nConnection: close\r\n\r\n" + body);
  };
  std::string twice = post_with("Idempotency-Key: a\r\nidempotency-key: b\r\n");
  EXPECT_EQ(twice.rfind("HTTP/1.1 400 ", 0), 0u) << twice;
  EXPECT_NE(twice.find("given 2 times"), std::string::npos) << twice;
  std::string empty = post_with("Idempotency-Key:\r\n");
  EXPECT_EQ(empty.rfind("HTTP/1.1 400 ", 0), 0u) << empty;
  EXPECT_EQ(herald.request("GET", "/v1/streams/User/k1").status, 404);  // neither appended
  // The quoted form (RFC 8941, as the IETF draft writes it) is the same key
  // as the bare one: the retry gets the first answer.
  std::string quoted = post_with("Idempotency-Key: \"k-1\"\r\n");
  EXPECT_EQ(quoted.rfind("HTTP/1.1 200 ", 0), 0u) << quoted;
  std::string bare = post_with("Idempotency-Key: k-1\r\n");
  EXPECT_EQ(bare.rfind("HTTP/1.1 200 ", 0), 0u) << bare;
  EXPECT_EQ(herald.request("GET", "/v1/events?after=0").json()["head"], 1);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

TEST(HttpConnections, APostWithoutFramingHasNoBody) {
  auto dir = make_temp_dir("herald-unframed-");
  HeraldProcess herald(dir);
  herald.start();
  std::string raw =
      raw_exchange(herald.port(),
                   "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_lines(raw),
            (std::vector<std::string>{"HTTP/1.1 400 Bad Request", "HTTP/1.1 200 OK"}))
      << raw;
  EXPECT_NE(raw.find("urn:herald:problem:malformed-request"), std::string::npos) << raw;
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// What Poco cannot parse gets a problem document too, and the connection
// closes (where the next request would start is unknown).
TEST(HttpConnections, AnUnparseableRequestIsAProblem) {
  auto dir = make_temp_dir("herald-garbage-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "threads: 2").string()});
  herald.start();
  std::string many_fields = "GET /health/live HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 200; ++i) many_fields += "X-" + std::to_string(i) + ": v\r\n";
  // Too large: 431 for fields (RFC 6585), 414 for the target.
  const std::vector<std::pair<std::string, std::string>> too_large = {
      {"GET /health/live HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
      {many_fields + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
       "HTTP/1.1 414 Request-URI Too Large"},
  };
  for (const auto& [request, status] : too_large) {
    std::string raw = raw_exchange(herald.port(), request);
    EXPECT_EQ(status_lines(raw), std::vector<std::string>{status}) << raw;
    EXPECT_NE(raw.find("application/problem+json"), std::string::npos) << raw;
  }
  const std::vector<std::string> unparseable = {
      "GARBAGE\r\n\r\n",
      // Poco reads a first byte 0xFF as the end of the stream: closed unanswered.
      "\xff"
      "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"};
  for (const std::string& bad : unparseable) {
    std::string raw = raw_exchange(
        herald.port(), bad + "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_lines(raw), std::vector<std::string>{"HTTP/1.1 400 Bad Request"}) << raw;
    EXPECT_NE(raw.find("Connection: Close"), std::string::npos) << raw;
    EXPECT_NE(raw.find("urn:herald:problem:malformed-request"), std::string::npos) << raw;
  }
  EXPECT_EQ(herald.request("GET", "/health/live").status, 200);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A client that trickles its headers or its body (a byte every 200 ms:
// slowloris, R.U.D.Y.) never trips the per-read timeout; the whole request
// must still arrive within io_timeout_seconds, or it is cut off with a 408
// and its worker is free.
TEST(HttpIoTimeout, ATrickledRequestIsCutOffAfterTheTimeout) {
  auto dir = make_temp_dir("herald-loris-");
  HeraldProcess herald(
      dir, {"-c", http_test_config(dir, "threads: 2\n    io_timeout_seconds: 1").string()});
  herald.start();
  std::atomic<bool> done{false};
  std::vector<std::string> answers(2);
  std::vector<std::thread> lorises;
  for (int i = 0; i < 2; ++i) {
    lorises.emplace_back([&, i] {
      Poco::Net::StreamSocket socket(
          Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(herald.port())));
      // The first trickles its head, the second its body.
      const std::string whole =
          "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n";
      const std::string head =
          "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(200, 'a');
      const std::string trickled = i == 0 ? head : std::string(300, ' ');
      try {
        if (i == 1) socket.sendBytes(whole.data(), static_cast<int>(whole.size()));
        for (std::size_t at = 0; at < trickled.size() && !done; ++at) {
          socket.sendBytes(&trickled[at], 1);
          if (socket.poll(Poco::Timespan(0, 200000), Poco::Net::Socket::SELECT_READ)) break;
        }
        answers[i] = read_to_end(socket, 10);
      } catch (const Poco::Exception& e) {
        answers[i] += "<" + e.displayText() + ">";
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Both workers now read a trickled request, for 40 s and more without the
  // cut-off: longer than this probe waits.
  auto [live, error] = probe_health(herald.port(), 8);
  done = true;
  for (auto& t : lorises) t.join();
  EXPECT_EQ(live, 200) << error;
  for (const std::string& answer : answers) {
    EXPECT_EQ(answer.rfind("HTTP/1.1 408 ", 0), 0u) << answer;
    EXPECT_NE(answer.find("within gateway.http.io_timeout_seconds"), std::string::npos) << answer;
  }
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// The last answer on a connection reaches the client whole even when the
// client sends more meanwhile (a pipelined request after "Connection:
// close"): a socket closed with unread data is reset, and the reset threw
// away what of a big answer was not transmitted yet.
TEST(HttpConnections, ABigLastAnswerReachesAClientThatSendsMore) {
  auto dir = make_temp_dir("herald-linger-");
  HeraldProcess herald(dir);
  herald.start();
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(herald
                  .request("POST", "/v1/commands/User/l" + std::to_string(i),
                           create_user(std::string(200, 'n'), "l@example.com"))
                  .status,
              200);
  }
  // A small window keeps most of the answer in herald's send buffer.
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress::IPv4);
  socket.setReceiveBufferSize(4096);
  socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(herald.port())));
  const std::string get =
      "GET /v1/events?after=0&limit=300 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  socket.sendBytes(get.data(), static_cast<int>(get.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::string more = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  socket.sendBytes(more.data(), static_cast<int>(more.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string error;
  const std::string raw = read_to_end(socket, 10, &error);
  const auto head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw.substr(0, 300) << error;
  const auto length_at = raw.find("Content-Length: ");
  ASSERT_LT(length_at, head_end) << raw.substr(0, head_end);
  const auto length = std::stoul(raw.substr(length_at + 16));
  EXPECT_GT(length, 100000u);
  EXPECT_EQ(raw.size() - head_end - 4, length) << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A client may connect a little before it has its first request ready; a
// new connection is not handed over (closed) for a second while it waits
// for that request, even when other connections wait for a worker.
TEST(HttpWorkers, ANewConnectionHasAGraceForItsFirstRequest) {
  auto dir = make_temp_dir("herald-grace-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "threads: 2").string()});
  herald.start();
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(herald.port()));
  std::vector<Poco::Net::StreamSocket> early;
  for (int i = 0; i < 2; ++i) early.emplace_back(address);  // both workers
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpResult third;
  std::thread waiting([&] { third = herald.request("GET", "/health/live"); });  // queued
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string get = "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (auto& socket : early) {
    socket.sendBytes(get.data(), static_cast<int>(get.size()));
    const std::string answer = read_to_end(socket, 10);
    EXPECT_EQ(status_lines(answer), std::vector<std::string>{"HTTP/1.1 200 OK"}) << answer;
  }
  waiting.join();
  EXPECT_EQ(third.status, 200);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A body over max_body_bytes is a 413 however it comes: announced with
// Expect: 100-continue (answered at once, with no go-ahead, so the client
// sends nothing), or chunked with no length given in advance.
TEST(HttpConnections, AnOversizedBodyIs413HoweverItComes) {
  auto dir = make_temp_dir("herald-oversize-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "max_body_bytes: 1024").string()});
  herald.start();
  std::string announced = raw_exchange(herald.port(),
                                       "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nExpect: "
                                       "100-continue\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_EQ(status_lines(announced),
            std::vector<std::string>{"HTTP/1.1 413 Request Entity Too Large"})
      << announced;
  std::string chunk(1000, ' ');
  std::string chunked =
      "POST /v1/commands/User/u1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "3e8\r\n" + chunk + "\r\n";
  std::string answer = raw_exchange(herald.port(), chunked + "0\r\n\r\n");
  EXPECT_EQ(status_lines(answer), std::vector<std::string>{"HTTP/1.1 413 Request Entity Too Large"})
      << answer;
  EXPECT_NE(answer.find("gateway.http.max_body_bytes"), std::string::npos) << answer;
  // Within the limit, with the go-ahead.
  std::string fits = raw_exchange(herald.port(),
                                  "POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                  "Connection: close\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(status_lines(fits),
            (std::vector<std::string>{"HTTP/1.1 100 Continue", "HTTP/1.1 404 Not Found"}))
      << fits;
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// Framing that two HTTP implementations may read differently (both
// Content-Length and Transfer-Encoding, two different Content-Lengths) is
// how a request is smuggled past a proxy: refused, and the connection
// closes, so that nothing after it is read as a request. A transfer coding
// herald cannot read is 501.
// RFC 9112 §3.2: an HTTP/1.1 request without a Host field, with two, or
// with one that is not a host is a 400, and the connection closes (which
// host two fields mean depends on who reads them).
TEST(HttpConnections, AnHttp11RequestNeedsExactlyOneHost) {
  auto dir = make_temp_dir("herald-host-");
  HeraldProcess herald(dir);
  herald.start();
  const std::string next = "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"GET /health/live HTTP/1.1\r\n\r\n", "must have a Host field"},
      {"GET /health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host fields"},
      {"GET /health/live HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n", "2 Host fields"},
      {"GET /health/live HTTP/1.1\r\nHost: a b\r\n\r\n", "not a host"},
      {"GET /health/live HTTP/1.1\r\nHost: a/b\r\n\r\n", "not a host"},
      {"GET /health/live HTTP/1.1\r\nHost: a,b\r\n\r\n", "not a host"},
      {"GET /health/live HTTP/1.1\r\nHost: user@a\r\n\r\n", "not a host"},
  };
  for (const auto& [request, detail] : refused) {
    std::string raw = raw_exchange(herald.port(), request + next);
    EXPECT_EQ(status_lines(raw), std::vector<std::string>{"HTTP/1.1 400 Bad Request"}) << raw;
    EXPECT_NE(raw.find(detail), std::string::npos) << raw;
    EXPECT_NE(raw.find("Connection: Close"), std::string::npos) << raw;
  }
  // A host with a port, an IPv6 literal, an empty Host (RFC 9112 allows it
  // for a target without an authority) and HTTP/1.0 without one are fine.
  for (const std::string request :
       {"GET /health/live HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n",
        "GET /health/live HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
        "GET /health/live HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
        "GET /health/live HTTP/1.0\r\n\r\n"}) {
    std::string raw = raw_exchange(herald.port(), request);
    ASSERT_EQ(status_lines(raw).size(), 1u) << raw;
    EXPECT_NE(status_lines(raw)[0].find(" 200 OK"), std::string::npos) << raw;
  }
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// A TLS client pointed at the plain-HTTP port gets a 400 that says so at
// once, not a 408 once the head times out (its ClientHello need not hold a
// line feed).
TEST(HttpConnections, ATlsHandshakeIsRefusedAtOnceWithAHint) {
  auto dir = make_temp_dir("herald-tls-");
  HeraldProcess herald(dir);
  herald.start();
  std::string hello("\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03", 11);
  hello += std::string(32, '\x42');  // "random", no line feed anywhere
  std::string raw = raw_exchange(herald.port(), hello);
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 ", 0), 0u) << raw;
  EXPECT_NE(raw.find("TLS handshake"), std::string::npos) << raw;
  EXPECT_EQ(herald.request("GET", "/health/live").status, 200);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

TEST(HttpConnections, AmbiguousFramingIsRefusedAndTheConnectionCloses) {
  auto dir = make_temp_dir("herald-framing-");
  HeraldProcess herald(dir);
  herald.start();
  const std::string create =
      "{\"type\":\"CreateUser\",\"data\":{\"name\":\"Eve\",\"email\":\"eve@example.com\"}}";
  const std::string next = "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  struct Case {
    std::string request;
    std::string status;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"POST /v1/commands/User/f1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n" +
           std::string("45\r\n") + create + "\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "both Content-Length and Transfer-Encoding"},
      {"POST /v1/commands/User/f2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: "
       "69\r\n\r\n" +
           create,
       "HTTP/1.1 400 Bad Request", "Content-Length 3 and 69"},
      {"POST /v1/commands/User/f3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, "
       "chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 501 Not Implemented", "'gzip, chunked' is not supported"},
      // Poco's chunked stream ended quietly at a size it could not read, and
      // what followed was parsed as requests.
      {"POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
       "POST /v1/commands/User/f4 HTTP/1.1\r\nHost: x\r\nContent-Length: 69\r\n\r\n" +
           create,
       "HTTP/1.1 400 Bad Request", "malformed chunked body: a chunk size that is not hexadecimal"},
      // Whitespace before the colon: Poco kept "Content-Length " as another
      // field, so the body was read as the next request, while a proxy in
      // front may take it as the length (RFC 9112 §5.1: MUST be refused).
      {"POST /v1/commands/User/f5 HTTP/1.1\r\nHost: x\r\nContent-Length : 69\r\n\r\n" + create,
       "HTTP/1.1 400 Bad Request", "'Content-Length ' is malformed"},
      {"POST /v1/commands/User/f6 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : "
       "chunked\r\nContent-Length: "
       "69\r\n\r\n" +
           create,
       "HTTP/1.1 400 Bad Request", "'Transfer-Encoding ' is malformed"},
      // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
      {"POST /v1/commands/User/f7 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n45\r\n" + create +
           "\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request", "HTTP/1.0 request cannot have Transfer-Encoding"},
      // A field line without a colon, and an obs-fold line: Poco dropped the
      // first and joined the second to the field before, so neither length
      // counted and the body was read as the next request.
      {"POST /v1/commands/User/f8 HTTP/1.1\r\nHost: x\r\nContent-Length 69\r\n\r\n" + create,
       "HTTP/1.1 400 Bad Request", "has no colon"},
      {"POST /v1/commands/User/f9 HTTP/1.1\r\nHost: x\r\n Content-Length: 69\r\n\r\n" + create,
       "HTTP/1.1 400 Bad Request", "obsolete line folding"},
      // HTTP/2 with prior knowledge was answered "HTTP/2.0 404" in 1.1 syntax.
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported",
       "HTTP/2.0 is not spoken here"},
  };
  for (const Case& c : cases) {
    std::string raw = raw_exchange(herald.port(), c.request + next);
    EXPECT_EQ(status_lines(raw), std::vector<std::string>{c.status}) << raw;
    EXPECT_NE(raw.find(c.detail), std::string::npos) << raw;
    EXPECT_NE(raw.find("Connection: Close"), std::string::npos) << raw;
  }
  for (const char* id : {"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"}) {
    EXPECT_EQ(herald.request("GET", std::string("/v1/streams/User/") + id).status, 404) << id;
  }
  // The absolute form, as a proxy sends it, names the same resource.
  std::string absolute = raw_exchange(
      herald.port(),
      "GET http://127.0.0.1/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_lines(absolute), std::vector<std::string>{"HTTP/1.1 200 OK"}) << absolute;
  // A later 1.x is answered in 1.1, 1.0 in 1.0.
  std::string later = raw_exchange(
      herald.port(), "GET /health/live HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_lines(later), std::vector<std::string>{"HTTP/1.1 200 OK"}) << later;
  std::string old = raw_exchange(herald.port(), "GET /health/live HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_lines(old), std::vector<std::string>{"HTTP/1.0 200 OK"}) << old;
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// Clients that keep idle keep-alive connections (a pool, say) must not keep
// a new connection out for the keep-alive timeout: an idle connection gives
// its worker up as soon as another connection waits for one.
TEST(HttpWorkers, IdleKeepAliveConnectionsGiveTheirWorkersUp) {
  auto dir = make_temp_dir("herald-idle-");
  HeraldProcess herald(dir, {"-c", http_test_config(dir, "threads: 2").string()});
  herald.start();
  std::vector<Poco::Net::StreamSocket> idle;
  for (int i = 0; i < 2; ++i) {
    idle.emplace_back(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(herald.port())));
    idle.back().setReceiveTimeout(Poco::Timespan(20, 0));
    const std::string get = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    idle.back().sendBytes(get.data(), static_cast<int>(get.size()));
    std::string answer;
    char buf[4096];
    while (answer.find("{\"status\":\"live\"}") == std::string::npos) {
      int n = idle.back().receiveBytes(buf, sizeof buf);
      ASSERT_GT(n, 0) << answer;
      answer.append(buf, n);
    }
    ASSERT_NE(answer.find("Connection: Keep-Alive"), std::string::npos) << answer;
  }
  // Both workers now wait on an idle connection, for 30 s (keep_alive_seconds)
  // without the hand-over: longer than this probe waits.
  auto [live, error] = probe_health(herald.port(), 10);
  EXPECT_EQ(live, 200) << error;
  // At least one idle connection was closed for it (a client sees the end of
  // its pooled connection and opens a new one).
  int closed = 0;
  for (auto& socket : idle) {
    char byte;
    socket.setReceiveTimeout(Poco::Timespan(1, 0));
    try {
      if (socket.receiveBytes(&byte, 1) == 0) ++closed;
    } catch (const Poco::TimeoutException&) {
    }
  }
  EXPECT_GE(closed, 1);
  EXPECT_GT(metric(herald, "herald_http_connections_handed_over_total"), 0);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

// gateway.logging.format: json (HERALD_LOG_FORMAT for the default config):
// every line of the log is one JSON object with the documented keys, also
// for lines that quote what a client sent (a target with a quote, a
// backslash, a byte that is not UTF-8).
TEST(HeraldLogs, JsonLogsAreOneObjectPerLineWhateverAClientSent) {
  auto dir = make_temp_dir("herald-json-log-");
  HeraldProcess herald(dir);
  herald.set_env("HERALD_LOG_FORMAT", "json");
  herald.set_env("HERALD_LOG_LEVEL", "debug");
  herald.start();
  ASSERT_EQ(
      herald.request("POST", "/v1/commands/User/j1", create_user("J", "j@example.com")).status,
      200);
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(herald.port()));
  for (const std::string target : {"/v1/events?after=\"1\"", "/v1/x\\y", "/v1/\xff\x01"}) {
    Poco::Net::StreamSocket socket(address);
    const std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    std::string error;
    EXPECT_EQ(read_to_end(socket, 10, &error).rfind("HTTP/1.1 4", 0), 0u) << target << error;
  }
  EXPECT_EQ(herald.stop(), 0) << herald.log();

  std::istringstream lines(herald.log());
  int parsed = 0;
  bool quoted_target = false;
  for (std::string line; std::getline(lines, line);) {
    json j;
    ASSERT_NO_THROW(j = json::parse(line)) << line;
    ASSERT_TRUE(j.is_object()) << line;
    for (const char* key : {"time", "level", "logger", "thread", "message"}) {
      EXPECT_TRUE(j.contains(key)) << key << " in " << line;
    }
    if (j["message"].get<std::string>().find("after=\"1\"") != std::string::npos)
      quoted_target = true;
    ++parsed;
  }
  EXPECT_GE(parsed, 5);  // starting, store open, listening, requests, stopped
  EXPECT_TRUE(quoted_target) << herald.log();
  std::filesystem::remove_all(dir);
}

// herald tail: the events after a position as JSON lines as they become
// durable; across a restart of the gateway it waits and goes on where it was.
TEST(HeraldCli, TailFollowsTheLogAcrossARestart) {
  auto dir = make_temp_dir("herald-tail-");
  HeraldProcess herald(dir);
  herald.start();
  ASSERT_EQ(
      herald.request("POST", "/v1/commands/User/t1", create_user("T", "t@example.com")).status,
      200);
  // Its own process, on the gateway's address (the default config's
  // ${HERALD_LISTEN}), with its output in its log.
  HeraldProcess tail(dir, {"tail", "0"});
  tail.spawn(herald.port());
  HeraldProcess deactivations(dir, {"tail", "0", "UserDeactivated", "UserActivated"});
  deactivations.spawn(herald.port());
  auto lines = [](const HeraldProcess& from) {
    std::vector<json> events;
    std::istringstream in(from.log());
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == '{') events.push_back(json::parse(line));
    }
    return events;
  };
  auto wait_for_lines = [&](std::size_t n, const HeraldProcess& from) {
    for (int i = 0; i < 300 && lines(from).size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return lines(from);
  };
  auto events = wait_for_lines(1, tail);
  ASSERT_EQ(events.size(), 1u) << tail.log();
  EXPECT_EQ(events[0]["type"], "UserCreated");
  EXPECT_EQ(events[0]["position"], 1);
  EXPECT_EQ(events[0]["stream"]["id"], "t1");

  ASSERT_EQ(
      herald.request("POST", "/v1/commands/User/t1", R"({"type":"UpdateUser","data":{"name":"U"}})")
          .status,
      200);
  events = wait_for_lines(2, tail);
  ASSERT_EQ(events.size(), 2u) << tail.log();
  EXPECT_EQ(events[1]["type"], "UserUpdated");

  // The gateway restarts on the same address; the tail waits, then goes on
  // after position 2, printing nothing twice.
  const int port = herald.port();
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  herald.start(port);
  ASSERT_EQ(herald.request("POST", "/v1/commands/User/t1", R"({"type":"DeactivateUser","data":{}})")
                .status,
            200);
  events = wait_for_lines(3, tail);
  ASSERT_EQ(events.size(), 3u) << tail.log();
  EXPECT_EQ(events[2]["type"], "UserDeactivated");
  EXPECT_EQ(events[2]["position"], 3);
  EXPECT_NE(tail.log().find("waiting for it"), std::string::npos) << tail.log();
  // The one with types has only the deactivation.
  auto filtered = wait_for_lines(1, deactivations);
  ASSERT_EQ(filtered.size(), 1u) << deactivations.log();
  EXPECT_EQ(filtered[0]["type"], "UserDeactivated");
  EXPECT_EQ(tail.stop(SIGINT), 128 + SIGINT);  // followed until interrupted
  EXPECT_EQ(deactivations.stop(SIGINT), 128 + SIGINT);
  EXPECT_EQ(herald.stop(), 0) << herald.log();

  auto [rc, out] = run_shell("timeout 10 " + HeraldProcess::binary() + " tail 12x");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("'12x' is neither a position (first, digits only) nor an event type"),
            std::string::npos)
      << out;
  // A config file without -c followed the embedded config's address for an
  // event type "herald.yaml", printing nothing, for ever.
  auto config = run_shell("timeout 10 " + HeraldProcess::binary() + " tail 0 herald.yaml");
  EXPECT_EQ(config.exit_code, 2) << config.output;
  EXPECT_NE(config.output.find("a config file goes after -c: herald tail -c herald.yaml"),
            std::string::npos)
      << config.output;
  std::filesystem::remove_all(dir);
}

// A tail at a position the gateway's log has not reached (a gateway restarted
// on another log) says so at once instead of waiting in silence, and prints
// the events once the log gets there.
TEST(HeraldCli, TailSaysWhenTheLogEndsBeforeItsPosition) {
  auto dir = make_temp_dir("herald-tail-behind-");
  HeraldProcess herald(dir);
  herald.start();
  ASSERT_EQ(
      herald.request("POST", "/v1/commands/User/b1", create_user("B", "b@example.com")).status,
      200);
  HeraldProcess tail(dir, {"tail", "2"});
  tail.spawn(herald.port());
  // Whether the tail's output has `text` within 15 s.
  auto says = [&](const std::string& text) {
    for (int i = 0; i < 300; ++i) {
      if (tail.log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  EXPECT_TRUE(says("the gateway's log ends at position 1, before position 2")) << tail.log();
  for (const char* command :
       {R"({"type":"DeactivateUser","data":{}})", R"({"type":"ActivateUser","data":{}})"}) {
    ASSERT_EQ(herald.request("POST", "/v1/commands/User/b1", command).status, 200);
  }
  EXPECT_TRUE(says("\"UserActivated\"")) << tail.log();
  EXPECT_EQ(tail.log().find("\"UserDeactivated\""), std::string::npos)
      << "position 2 is not after 2";
  EXPECT_EQ(tail.stop(SIGINT), 128 + SIGINT);
  EXPECT_EQ(herald.stop(), 0) << herald.log();
  std::filesystem::remove_all(dir);
}

TEST(HeraldCli, CheckReportsEveryProblemWithLines) {
  auto dir = make_temp_dir("herald-cli-");
  auto file = dir / "bad.yaml";
  std::ofstream(file) << "gateway:\n  http:\n    listen: 127.0.0.1:99999\nstore:\n  plugin: memory\n"
                         "  config:\n    fsnyc: batch\naggregates:\n  - type: User\n    plugin: declarative\n"
                         "    snapshot_evry: 10\n";
  auto [rc, out] = run_shell(HeraldProcess::binary() + " check -c " + file.string());
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("bad.yaml:3"), std::string::npos) << out;    // listen port
  EXPECT_NE(out.find("bad.yaml:11"), std::string::npos) << out;   // snapshot_evry
  EXPECT_NE(out.find("did you mean 'snapshot_every'"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

// `herald check my.yaml` (no -c) checked the embedded config and said "ok":
// an argument a command does not take is refused, with the likely meaning.
TEST(HeraldCli, AStrayArgumentIsRefusedNotIgnored) {
  const std::string herald = HeraldProcess::binary();
  auto check = run_shell(herald + " check my.yaml");
  EXPECT_EQ(check.exit_code, 2) << check.output;
  EXPECT_NE(check.output.find("a config file goes after -c: herald check -c my.yaml"),
            std::string::npos)
      << check.output;
  EXPECT_EQ(check.output.find(": ok"), std::string::npos) << check.output;
  auto bare = run_shell(herald + " my.yaml");
  EXPECT_EQ(bare.exit_code, 2) << bare.output;
  EXPECT_NE(bare.output.find("herald -c my.yaml"), std::string::npos) << bare.output;
  auto typo = run_shell(herald + " chekc");
  EXPECT_NE(typo.output.find("did you mean 'check'?"), std::string::npos) << typo.output;
  EXPECT_EQ(run_shell(herald + " plugins lst").exit_code, 2);
  EXPECT_EQ(run_shell(herald + " docs extra").exit_code, 2);
  EXPECT_EQ(run_shell(herald + " check").exit_code, 0);  // no arguments: the embedded config
}

TEST(HeraldCli, DescribeAnUnknownPluginSuggestsTheNearestName) {
  auto [rc, out] = run_shell(std::string("HERALD_PLUGIN_PATH=") + HERALD_PLUGIN_DIR + " " +
                             HeraldProcess::binary() + " plugins describe memry");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("no plugin named 'memry' (did you mean 'memory'?)"), std::string::npos) << out;
}

}  // namespace
}  // namespace herald::testing
