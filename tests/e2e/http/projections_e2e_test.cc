// The read side end to end, on the embedded default config: the users read
// model and the per-user order summary, queries, read-your-writes, restart
// catch-up and live rebuilds (admin API and `herald rebuild`).
#include <gtest/gtest.h>

#include <thread>

#include "support/herald_process.h"

namespace herald::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ProjectionsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("herald-proj-");
    herald_ = std::make_unique<HeraldProcess>(dir_);
    herald_->start();
  }
  void TearDown() override {
    if (herald_) herald_->kill_now();
    std::filesystem::remove_all(dir_);
  }
  json command(const std::string& path, const json& body) {
    auto r = herald_->request("POST", path, body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  std::uint64_t create_user(const std::string& id, const std::string& name, const std::string& email) {
    return command("/v1/commands/User/" + id,
                   {{"type", "CreateUser"}, {"data", {{"name", name}, {"email", email}}}})["position"];
  }
  HttpResult get(const std::string& path) { return herald_->request("GET", path); }

  std::filesystem::path dir_;
  std::unique_ptr<HeraldProcess> herald_;
};

TEST_F(ProjectionsE2E, UsersReadModelAnswersTheSeedQueries) {
  create_user("u1", "Alice Johnson", "alice@example.com");
  create_user("u2", "Bob Smith", "bob@example.com");
  auto p = create_user("u3", "Charlie Brown", "charlie@example.com");

  auto alice = get("/v1/projections/users/u1?min_position=" + std::to_string(p));
  ASSERT_EQ(alice.status, 200) << alice.body;
  EXPECT_EQ(alice.json()["document"]["name"], "Alice Johnson");
  EXPECT_EQ(alice.json()["document"]["active"], true);

  auto page = get("/v1/projections/users?limit=2&offset=1&min_position=" + std::to_string(p)).json();
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["name"], "Bob Smith");  // sorted by name
  EXPECT_EQ(page["items"][1]["name"], "Charlie Brown");

  auto search = get("/v1/projections/users?q=charlie").json();
  ASSERT_EQ(search["total"], 1) << search.dump();
  EXPECT_EQ(search["items"][0]["name"], "Charlie Brown");

  auto d = command("/v1/commands/User/u2", {{"type", "DeactivateUser"}, {"data", json::object()}});
  auto inactive = get("/v1/projections/users?active=false&min_position=" +
                      std::to_string(d["position"].get<std::uint64_t>()))
                      .json();
  ASSERT_EQ(inactive["total"], 1) << inactive.dump();
  EXPECT_EQ(inactive["items"][0]["name"], "Bob Smith");
}

TEST_F(ProjectionsE2E, ReadYourWritesWaitsOrSaysHowFarItIs) {
  auto p = create_user("u1", "Alice", "alice@example.com");
  auto u = command("/v1/commands/User/u1", {{"type", "UpdateUser"}, {"data", {{"name", "Alice Two"}}}});
  auto fresh = get("/v1/projections/users/u1?min_position=" + std::to_string(u["position"].get<int>()));
  ASSERT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.json()["document"]["name"], "Alice Two");
  EXPECT_GE(fresh.json()["position"].get<std::uint64_t>(), p + 1);

  auto ahead = get("/v1/projections/users/u1?min_position=999&wait_ms=100");
  EXPECT_EQ(ahead.status, 504) << ahead.body;
  EXPECT_EQ(ahead.content_type, "application/problem+json");
  EXPECT_EQ(ahead.json()["position"], 2);
}

TEST_F(ProjectionsE2E, StoppingAnswersAWaitingReadYourWritesQuery) {
  create_user("u1", "Alice", "alice@example.com");
  // Waits up to 30 s for a position that will not come; SIGTERM must not
  // wait with it (once, the stop took the whole 30 s).
  HttpResult waiting;
  std::thread query(
      [&] { waiting = get("/v1/projections/users/u1?min_position=999999&wait_ms=30000"); });
  std::this_thread::sleep_for(300ms);  // the query is waiting
  EXPECT_EQ(herald_->stop(), 0) << herald_->log();
  query.join();
  EXPECT_EQ(waiting.status, 503) << waiting.body;
  EXPECT_EQ(waiting.content_type, "application/problem+json");
  EXPECT_EQ(waiting.json()["type"], "urn:herald:problem:shutting-down") << waiting.body;
  EXPECT_EQ(waiting.json()["min_position"], 999999);
}

TEST_F(ProjectionsE2E, OrderSummaryPerUserSpansOrders) {
  create_user("u1", "Alice", "alice@example.com");
  json items = json::array({{{"product_id", "p1"}, {"quantity", 2}, {"price", 10.5}}});
  command("/v1/commands/Order/o1", {{"type", "CreateOrder"}, {"data", {{"user_id", "u1"}, {"items", items}}}});
  auto last = command("/v1/commands/Order/o2",
                      {{"type", "CreateOrder"}, {"data", {{"user_id", "u1"}, {"items", items}}}});
  auto summary = get("/v1/projections/user_orders/u1?min_position=" +
                     std::to_string(last["position"].get<std::uint64_t>()));
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_EQ(summary.json()["document"]["order_count"], 2);
  EXPECT_DOUBLE_EQ(summary.json()["document"]["total_spent"].get<double>(), 42.0);

  // User commands are nothing to user_orders: a read-your-writes query for
  // one's position is answered at once, at that position or past it, though
  // the model (asleep until an Order event) has not moved there yet.
  std::uint64_t p = 0;
  for (int i = 0; i < 5; ++i) p = create_user("x" + std::to_string(i), "X", "x@example.com");
  auto same =
      get("/v1/projections/user_orders/u1?min_position=" + std::to_string(p) + "&wait_ms=1");
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_GE(same.json()["position"].get<std::uint64_t>(), p) << same.body;
  EXPECT_EQ(same.json()["document"]["order_count"], 2);
  int listed = 0;
  const json subscriptions = get("/v1/admin/subscriptions").json()["subscriptions"];
  for (const json& sub : subscriptions) {
    if (sub["name"] != "user_orders") continue;
    ++listed;
    EXPECT_EQ(sub["lag"], 0) << sub.dump();
    EXPECT_GE(sub["position"].get<std::uint64_t>(), p) << sub.dump();
  }
  EXPECT_EQ(listed, 1);
}

TEST_F(ProjectionsE2E, RestartRebuildsTheModelsFromTheLog) {
  create_user("u1", "Alice", "alice@example.com");
  auto p = create_user("u2", "Bob", "bob@example.com");
  auto before = get("/v1/projections/users?min_position=" + std::to_string(p)).json()["items"];
  ASSERT_EQ(herald_->stop(), 0);
  herald_->start();
  auto after = get("/v1/projections/users?min_position=" + std::to_string(p));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.json()["items"], before);
}

TEST_F(ProjectionsE2E, LiveRebuildEqualsTheLiveModel) {
  std::uint64_t p = 0;
  for (int i = 0; i < 40; ++i) {
    p = create_user("r" + std::to_string(i), "User " + std::to_string(i), "r" + std::to_string(i) + "@example.com");
  }
  command("/v1/commands/User/r3", {{"type", "DeactivateUser"}, {"data", json::object()}});
  auto before = get("/v1/projections/users?limit=1000&min_position=" + std::to_string(p + 1)).json()["items"];

  auto started = herald_->request("POST", "/v1/admin/projections/users/rebuild");
  ASSERT_EQ(started.status, 202) << started.body;
  json status;
  for (int i = 0; i < 200; ++i) {
    status = get("/v1/admin/projections/users").json();
    if (!status.contains("rebuild") && status["rebuilds"] == 1) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(status.contains("rebuild")) << status.dump();
  auto after = get("/v1/projections/users?limit=1000").json()["items"];
  EXPECT_EQ(after, before);

  auto subs = get("/v1/admin/subscriptions").json()["subscriptions"];
  bool found = false;
  for (const auto& s : subs) {
    if (s["name"] == "users") {
      found = true;
      EXPECT_EQ(s["state"], "live");
      EXPECT_EQ(s["lag"], 0);
    }
  }
  EXPECT_TRUE(found) << subs.dump();
}

TEST_F(ProjectionsE2E, HeraldRebuildCommandShowsProgressUntilLive) {
  create_user("u1", "Alice", "alice@example.com");
  auto [rc, out] = run_shell("HERALD_LISTEN=127.0.0.1:" + std::to_string(herald_->port()) + " " +
                             HeraldProcess::binary() + " rebuild users");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("rebuilt and live"), std::string::npos) << out;
}

TEST_F(ProjectionsE2E, UnknownProjectionOrDocumentIs404) {
  auto r = get("/v1/projections/usrs/u1");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("did you mean 'users'"), std::string::npos) << r.body;
  EXPECT_EQ(get("/v1/projections/users/nobody").status, 404);
  EXPECT_EQ(herald_->request("POST", "/v1/admin/projections/nope/rebuild").status, 404);
}

}  // namespace
}  // namespace herald::testing
