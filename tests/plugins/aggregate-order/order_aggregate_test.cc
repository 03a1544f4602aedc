// The `order` example aggregate as shipped: loaded from libherald-order.so by
// the gateway's PluginLoader, its rules checked directly (decide/apply) and
// its lifecycle run through the gateway's CommandRouter on a FakeEventStore,
// with the command and event schemas checked by the gateway's validator.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/command_router.h"
#include "core/data_validator.h"
#include "herald/testing/fake_store.h"
#include "loader/plugin_loader.h"
#include "support/edited_commands.h"
#include "support/json_mutator.h"
#include "support/test_seed.h"

namespace herald::gateway {
namespace {

using herald::testing::FakeEventStore;
using Kind = CommandOutcome::Kind;

std::shared_ptr<const LoadedPlugin> load_order_plugin() {
  PluginLoader loader({HERALD_PLUGIN_DIR});
  return loader.load("order", PluginKind::kAggregate);
}

std::shared_ptr<Aggregate> make_order(Json config = Json::object()) {
  auto plugin = load_order_plugin();
  PluginContext ctx;
  ctx.instance_name = "Order";
  ctx.config = std::move(config);
  return keep_loaded(plugin->descriptor->make_aggregate(ctx), plugin);
}

// What Runtime::build() does with an aggregate: its command and event schemas
// compiled by the gateway's validator.
AggregateType order_type(std::shared_ptr<Aggregate> aggregate, std::int64_t snapshot_every = 0) {
  AggregateType type;
  type.type = "Order";
  type.aggregate = std::move(aggregate);
  type.snapshot_every = snapshot_every;
  for (auto& spec : type.aggregate->commands()) {
    CommandEntry entry;
    if (!spec.data_schema.is_null()) entry.validate = make_data_validator(spec.data_schema);
    entry.spec = std::move(spec);
    type.commands.emplace(entry.spec.type, std::move(entry));
  }
  for (const auto& spec : type.aggregate->events()) {
    if (!spec.data_schema.is_null()) {
      type.event_validators[spec.type] = make_data_validator(spec.data_schema);
    }
  }
  return type;
}

Json item(const std::string& product, Json quantity, Json price) {
  return {{"product_id", product}, {"quantity", std::move(quantity)}, {"price", std::move(price)}};
}

Json create_data(Json items = Json::array({item("p1", 1, 10)})) {
  return {{"user_id", "u1"}, {"items", std::move(items)}};
}

bool contains(const std::vector<std::string>& errors, const std::string& text) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& e) { return e.find(text) != std::string::npos; });
}

// ---------------------------------------------------------------------------
// The aggregate on its own: decide() and apply() as a plugin author tests them.

class OrderRulesTest : public ::testing::Test {
 protected:
  Decision decide(const std::string& type, Json data = Json::object()) {
    Command c{"cmd-1", {"Order", "o1"}, type, std::move(data), {}};
    return order_->decide(state_, c);
  }

  // Decides and, when accepted, folds the events the way the gateway would.
  Decision run(const std::string& type, Json data = Json::object()) {
    Decision d = decide(type, std::move(data));
    if (d.kind != Decision::Kind::kAccepted) return d;
    for (const auto& e : d.events) {
      RecordedEvent rec;
      rec.id = "e" + std::to_string(state_.version + 1);
      rec.stream = {"Order", "o1"};
      rec.type = e.type;
      rec.version = state_.version + 1;
      rec.position = static_cast<Position>(rec.version + 1);
      rec.timestamp = 1'700'000'000'000'000 + rec.version;
      rec.data = e.data;
      Status s = order_->apply(state_.state, rec);
      EXPECT_TRUE(s.is_ok()) << s.message();
      state_.version = rec.version;
    }
    return d;
  }

  void expect_accepted(const Decision& d, const std::string& event) {
    ASSERT_EQ(d.kind, Decision::Kind::kAccepted)
        << (d.errors.empty() ? std::string("not accepted") : d.errors.front());
    ASSERT_EQ(d.events.size(), 1u);
    EXPECT_EQ(d.events[0].type, event);
  }

  void expect_rejected(const Decision& d, const std::string& error) {
    ASSERT_EQ(d.kind, Decision::Kind::kRejected);
    EXPECT_TRUE(contains(d.errors, error))
        << "no error containing '" << error << "' in " << Json(d.errors).dump();
  }

  std::shared_ptr<Aggregate> order_ = make_order();
  AggregateState state_{kNoVersion, order_->initial_state()};
};

TEST(OrderPluginTest, DescriptorDescribesAnAggregateNamedOrder) {
  auto plugin = load_order_plugin();
  const PluginDescriptor& d = *plugin->descriptor;
  EXPECT_EQ(d.name, "order");
  EXPECT_EQ(d.kind, PluginKind::kAggregate);
  EXPECT_EQ(d.abi_version, kAbiVersion);
  EXPECT_FALSE(d.version.empty());
  ASSERT_EQ(d.schema.size(), 1u);
  EXPECT_EQ(d.schema[0].key, "max_items");
  EXPECT_EQ(d.schema[0].default_value, 100);
  ASSERT_TRUE(d.make_aggregate);
  EXPECT_FALSE(d.make_store || d.make_projection || d.make_transport);
}

TEST(OrderPluginTest, EveryCommandAndEventDeclaresASchemaTheGatewayCompiles) {
  auto order = make_order();
  std::vector<std::string> commands, events;
  for (const auto& c : order->commands()) {
    commands.push_back(c.type);
    EXPECT_TRUE(c.data_schema.is_object()) << c.type;
    EXPECT_FALSE(c.description.empty()) << c.type;
    EXPECT_NO_THROW(make_data_validator(c.data_schema)) << c.type;
  }
  for (const auto& e : order->events()) {
    events.push_back(e.type);
    EXPECT_TRUE(e.data_schema.is_object()) << e.type;
    EXPECT_NO_THROW(make_data_validator(e.data_schema)) << e.type;
  }
  EXPECT_EQ(commands,
            (std::vector<std::string>{"CreateOrder", "PayOrder", "ShipOrder", "CancelOrder"}));
  EXPECT_EQ(events, (std::vector<std::string>{"OrderCreated", "OrderPaid", "OrderShipped",
                                              "OrderCancelled"}));
}

TEST(OrderPluginTest, MaxItemsComesFromConfigAndBadValuesAreConfigErrors) {
  auto order = make_order({{"max_items", 2}});
  EXPECT_EQ(order->commands()[0].data_schema["properties"]["items"]["maxItems"], 2);
  Command c{"c", {"Order", "o"}, "CreateOrder",
            create_data(Json::array({item("a", 1, 1), item("b", 1, 1), item("c", 1, 1)})), {}};
  Decision d = order->decide({kNoVersion, order->initial_state()}, c);
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_TRUE(contains(d.errors, "at most 2 items (got 3)"));
  EXPECT_THROW(make_order({{"max_items", 0}}), ConfigError);
  // No config at all (a test calling the factory directly) takes the defaults.
  auto plugin = load_order_plugin();
  EXPECT_NE(plugin->descriptor->make_aggregate(PluginContext{}), nullptr);
}

TEST_F(OrderRulesTest, InitialStateIsNew) {
  EXPECT_EQ(state_.state["status"], "new");
  EXPECT_EQ(state_.state["items"], Json::array());
  EXPECT_EQ(state_.state["total"], 0);
}

TEST_F(OrderRulesTest, CreateOrderComputesTheTotalRoundedToCents) {
  Decision d =
      run("CreateOrder", create_data(Json::array({item("p1", 3, 19.99), item("p2", 2, 5.5)})));
  expect_accepted(d, "OrderCreated");
  EXPECT_DOUBLE_EQ(d.events[0].data["total"].get<double>(), 70.97);
  EXPECT_EQ(d.events[0].data["user_id"], "u1");
  EXPECT_EQ(d.events[0].data["items"].size(), 2u);
  EXPECT_EQ(d.events[0].data["items"][0],
            (Json{{"product_id", "p1"}, {"quantity", 3}, {"price", 19.99}}));
  EXPECT_EQ(state_.state["status"], "created");
  EXPECT_EQ(state_.state["user_id"], "u1");
  EXPECT_DOUBLE_EQ(state_.state["total"].get<double>(), 70.97);
}

TEST_F(OrderRulesTest, TotalsAreExactInCents) {
  struct Case {
    Json items;
    double total;
  };
  const std::vector<Case> cases = {
      {Json::array({item("a", 3, 0.1)}), 0.3},  // 0.30000000000000004 in doubles
      {Json::array({item("a", 3, 0.333)}), 1.0},  // 0.999 rounds up
      {Json::array({item("a", 1, 0.004)}), 0.0},  // rounds down
      {Json::array({item("a", 1, 0), item("b", 2, 1.25)}), 2.5},  // free items are fine
      {Json::array({item("a", 1000, 0.01), item("b", 7, 100)}), 710.0},
  };
  for (const auto& c : cases) {
    Decision d = decide("CreateOrder", create_data(c.items));
    ASSERT_EQ(d.kind, Decision::Kind::kAccepted) << c.items.dump();
    EXPECT_EQ(d.events[0].data["total"].get<double>(), c.total) << c.items.dump();
    // The number the store and every consumer see prints as cents.
    EXPECT_EQ(d.events[0].data["total"].dump(), Json(c.total).dump());
  }
}

TEST_F(OrderRulesTest, CreateOrderListsEveryProblemAtOnce) {
  Decision d = decide("CreateOrder",
                      {{"items", Json::array({item("p1", 0, -1),
                                              {{"quantity", -2}, {"price", 1}},
                                              item("p3", 1.5, "cheap")})}});
  expect_rejected(d, "user_id is required");
  EXPECT_EQ(d.errors, (std::vector<std::string>{
                          "user_id is required",
                          "items[0].quantity must be greater than 0 (got 0)",
                          "items[0].price must not be negative (got -1)",
                          "items[1].product_id is required",
                          "items[1].quantity must be greater than 0 (got -2)",
                          "items[2].quantity must be a whole number",
                          "items[2].price must be a number",
                      }));
}

TEST_F(OrderRulesTest, CreateOrderNeedsItemsAndAUser) {
  expect_rejected(decide("CreateOrder", {{"user_id", "u1"}, {"items", Json::array()}}),
                  "an order needs at least one item");
  expect_rejected(decide("CreateOrder", {{"user_id", "u1"}}), "items is required");
  expect_rejected(decide("CreateOrder", {{"user_id", "u1"}, {"items", "p1"}}),
                  "items must be a list");
  for (Json user : {Json(""), Json(7), Json(nullptr)}) {
    Json data = create_data();
    data["user_id"] = user;
    expect_rejected(decide("CreateOrder", data), "user_id must be a non-empty string");
  }
  expect_rejected(decide("CreateOrder", create_data(Json::array({1}))),
                  "items[0] must be an object");
  expect_rejected(decide("CreateOrder", create_data(Json::array({Json{{"product_id", "p"}}}))),
                  "items[0].quantity is required");
  expect_rejected(
      decide("CreateOrder",
             create_data(Json::array({Json{{"product_id", "p"}, {"quantity", 1}}}))),
      "items[0].price is required");
}

TEST_F(OrderRulesTest, WholeNumberQuantitiesWrittenAsFloatsAreNormalized) {
  Decision d = decide("CreateOrder", create_data(Json::array({item("p", 2.0, 1.5)})));
  expect_accepted(d, "OrderCreated");
  EXPECT_TRUE(d.events[0].data["items"][0]["quantity"].is_number_integer());
  EXPECT_EQ(d.events[0].data["total"], 3.0);
}

TEST_F(OrderRulesTest, HugeQuantitiesAndTotalsAreRejectedNeverWrapped) {
  // Once, these came out as quantity -9223372036854775808 and a negative
  // total, which the gateway then refused as an invalid event (500).
  for (Json quantity : {Json(INT64_MAX), Json(UINT64_MAX), Json(1e12), Json(1000000001)}) {
    Decision d = decide("CreateOrder", create_data(Json::array({item("p", quantity, 1)})));
    expect_rejected(d, "items[0].quantity must be at most 1000000000");
  }
  expect_accepted(decide("CreateOrder", create_data(Json::array({item("p", 1000000000, 1)}))),
                  "OrderCreated");
  for (double price : {1e308, 1e13, 3.4e12}) {
    Decision d = decide("CreateOrder", create_data(Json::array({item("p", 3, price)})));
    expect_rejected(d, "is more than 10000000000000.00");
  }
  Decision two = decide(
      "CreateOrder",
      create_data(Json::array({item("p", 1000000000, 1e300), item("q", 1000000000, 1e300)})));
  expect_rejected(two, "is more than 10000000000000.00");
}

TEST_F(OrderRulesTest, CreateOrderTwiceIsRejected) {
  expect_accepted(run("CreateOrder", create_data()), "OrderCreated");
  expect_rejected(decide("CreateOrder", create_data()), "order o1 already exists");
}

TEST_F(OrderRulesTest, PayOrderNeedsACreatedUnpaidOrder) {
  expect_rejected(decide("PayOrder"), "order o1 does not exist");
  run("CreateOrder", create_data(Json::array({item("p", 2, 12.5)})));
  Decision paid = run("PayOrder", {{"payment_id", "pay-1"}});
  expect_accepted(paid, "OrderPaid");
  // Without an amount the payment is for the total.
  EXPECT_EQ(paid.events[0].data, (Json{{"amount", 25.0}, {"payment_id", "pay-1"}, {"user_id", "u1"}}));
  EXPECT_EQ(state_.state["status"], "paid");
  EXPECT_EQ(state_.state["paid_amount"], 25.0);
  EXPECT_EQ(state_.state["payment_id"], "pay-1");
  EXPECT_TRUE(state_.state.contains("paid_at"));
  expect_rejected(decide("PayOrder"), "order o1 is already paid");
}

TEST_F(OrderRulesTest, PayOrderAmountMustMatchTheTotal) {
  run("CreateOrder", create_data(Json::array({item("p", 3, 0.1)})));
  expect_rejected(decide("PayOrder", {{"amount", 0.29}}),
                  "amount 0.29 does not match the order total 0.30");
  expect_rejected(decide("PayOrder", {{"amount", -1}}), "amount must be a number of at least 0");
  expect_rejected(decide("PayOrder", {{"payment_id", ""}}),
                  "payment_id must be a non-empty string");
  Decision d = decide("PayOrder", {{"amount", 0.3}});
  expect_accepted(d, "OrderPaid");
  EXPECT_EQ(d.events[0].data, (Json{{"amount", 0.3}, {"user_id", "u1"}}));
}

TEST_F(OrderRulesTest, PayOrderOnACancelledOrderIsRejected) {
  run("CreateOrder", create_data());
  run("CancelOrder");
  expect_rejected(decide("PayOrder"), "order o1 is cancelled");
}

TEST_F(OrderRulesTest, ShipOrderOnlyOncePaidAndOnlyOnce) {
  expect_rejected(decide("ShipOrder"), "order o1 does not exist");
  run("CreateOrder", create_data());
  expect_rejected(decide("ShipOrder"), "order o1 is not paid yet");
  run("PayOrder");
  Decision shipped = run("ShipOrder", {{"carrier", "DHL"}, {"tracking", "JD0001"}});
  expect_accepted(shipped, "OrderShipped");
  EXPECT_EQ(shipped.events[0].data, (Json{{"carrier", "DHL"}, {"tracking", "JD0001"}, {"user_id", "u1"}}));
  EXPECT_EQ(state_.state["status"], "shipped");
  EXPECT_EQ(state_.state["carrier"], "DHL");
  EXPECT_EQ(state_.state["tracking"], "JD0001");
  expect_rejected(decide("ShipOrder"), "order o1 is already shipped");
  expect_rejected(decide("PayOrder"), "order o1 is already paid");
}

TEST_F(OrderRulesTest, ShipOrderOnACancelledOrderIsRejected) {
  run("CreateOrder", create_data());
  run("PayOrder");
  run("CancelOrder", {{"reason", "changed my mind"}});
  expect_rejected(decide("ShipOrder"), "order o1 is cancelled");
  expect_rejected(decide("ShipOrder", {{"carrier", ""}}), "carrier must be a non-empty string");
}

TEST_F(OrderRulesTest, CancelOrderBeforeShippingOnlyOnce) {
  expect_rejected(decide("CancelOrder"), "order o1 does not exist");
  run("CreateOrder", create_data());
  Decision cancelled = run("CancelOrder", {{"reason", "out of stock"}});
  expect_accepted(cancelled, "OrderCancelled");
  EXPECT_EQ(cancelled.events[0].data, (Json{{"reason", "out of stock"}, {"total", 10.0}, {"user_id", "u1"}}));
  EXPECT_EQ(state_.state["status"], "cancelled");
  EXPECT_EQ(state_.state["cancel_reason"], "out of stock");
  expect_rejected(decide("CancelOrder"), "order o1 is already cancelled");
}

TEST_F(OrderRulesTest, CancelOrderOfAPaidOrderIsAccepted) {
  run("CreateOrder", create_data());
  run("PayOrder");
  expect_accepted(run("CancelOrder"), "OrderCancelled");
  EXPECT_EQ(state_.state["status"], "cancelled");
}

TEST_F(OrderRulesTest, CancelOrderOnceShippedIsRejected) {
  run("CreateOrder", create_data());
  run("PayOrder");
  run("ShipOrder");
  expect_rejected(decide("CancelOrder"),
                  "order o1 is already shipped and can no longer be cancelled");
}

TEST_F(OrderRulesTest, StateAndDataProblemsAreListedTogether) {
  run("CreateOrder", create_data());
  Decision d = decide("CreateOrder", {{"items", Json::array()}});
  ASSERT_EQ(d.kind, Decision::Kind::kRejected);
  EXPECT_EQ(d.errors, (std::vector<std::string>{"order o1 already exists", "user_id is required",
                                                "an order needs at least one item"}));
}

TEST_F(OrderRulesTest, UnknownCommandsAndEventsAreReported) {
  EXPECT_EQ(decide("RefundOrder").kind, Decision::Kind::kUnknownCommand);
  RecordedEvent e;
  e.type = "OrderRefunded";
  Json state = order_->initial_state();
  Status s = order_->apply(state, e);
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_NE(s.message().find("OrderRefunded"), std::string::npos);
}

TEST_F(OrderRulesTest, DecideIsDeterministicAndSafeFromManyThreads) {
  run("CreateOrder", create_data(Json::array({item("p", 3, 19.99)})));
  const AggregateState snapshot = state_;
  const Decision first = decide("PayOrder", {{"payment_id", "x"}});
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Command c{"cmd", {"Order", "o1"}, "PayOrder", {{"payment_id", "x"}}, {}};
      for (int i = 0; i < 500; ++i) {
        Decision d = order_->decide(snapshot, c);
        if (d.kind != first.kind || d.events.size() != 1 ||
            d.events[0].data != first.events[0].data) {
          ++mismatches;
          continue;
        }
        Json folded = snapshot.state;
        RecordedEvent e;
        e.type = "OrderPaid";
        e.data = d.events[0].data;
        if (!order_->apply(folded, e).is_ok() || folded["status"] != "paid") ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---------------------------------------------------------------------------
// Through the gateway: CommandRouter + FakeEventStore, schemas checked by the
// gateway's validator, events checked against the declared event schemas.

class OrderRouterTest : public ::testing::Test {
 protected:
  void SetUp() override { router_ = make_router(0); }

  std::unique_ptr<CommandRouter> make_router(std::int64_t snapshot_every) {
    LimitsConfig limits;
    limits.conflict_retries = 50;
    auto router = std::make_unique<CommandRouter>(store_, limits);
    router->add(order_type(order_, snapshot_every));
    return router;
  }

  CommandOutcome send(const std::string& type, Json data = Json::object(),
                      const std::string& id = "o1", CommandRouter* router = nullptr) {
    CommandRequest r;
    r.aggregate_type = "Order";
    r.aggregate_id = id;
    r.type = type;
    r.data = std::move(data);
    r.metadata.correlation_id = "corr-" + id;
    return (router ? router : router_.get())->dispatch(r);
  }

  Json state_of(const std::string& id = "o1") {
    auto out = router_->get_state("Order", id);
    EXPECT_EQ(out.kind, Kind::kOk) << out.body.dump();
    return out.body;
  }

  std::vector<std::string> event_types(const std::string& id = "o1") {
    std::vector<std::string> types;
    auto slice = store_.read_stream({"Order", id}, 0, 100);
    for (const auto& e : slice->events) types.push_back(e.type);
    return types;
  }

  static std::vector<std::string> errors_of(const CommandOutcome& out) {
    return out.body.value("errors", std::vector<std::string>{});
  }

  FakeEventStore store_;
  std::shared_ptr<Aggregate> order_ = make_order();
  std::unique_ptr<CommandRouter> router_;
};

TEST_F(OrderRouterTest, FullLifecycleCreatePayShip) {
  auto created =
      send("CreateOrder", create_data(Json::array({item("p1", 3, 19.99), item("p2", 2, 5.5)})));
  ASSERT_EQ(created.kind, Kind::kOk) << created.body.dump();
  EXPECT_EQ(created.body["version"], 0);
  EXPECT_EQ(created.body["events"][0]["type"], "OrderCreated");

  auto paid = send("PayOrder", {{"amount", 70.97}, {"payment_id", "pay-9"}});
  ASSERT_EQ(paid.kind, Kind::kOk) << paid.body.dump();
  EXPECT_EQ(paid.body["version"], 1);

  auto shipped = send("ShipOrder", {{"carrier", "UPS"}, {"tracking", "1Z999"}});
  ASSERT_EQ(shipped.kind, Kind::kOk) << shipped.body.dump();
  EXPECT_EQ(shipped.body["version"], 2);

  Json body = state_of();
  EXPECT_EQ(body["version"], 2);
  const Json& s = body["state"];
  EXPECT_EQ(s["status"], "shipped");
  EXPECT_EQ(s["user_id"], "u1");
  EXPECT_EQ(s["total"], 70.97);
  EXPECT_EQ(s["paid_amount"], 70.97);
  EXPECT_EQ(s["payment_id"], "pay-9");
  EXPECT_EQ(s["carrier"], "UPS");
  EXPECT_EQ(s["items"].size(), 2u);
  for (const char* key : {"created_at", "paid_at", "shipped_at"}) {
    EXPECT_TRUE(s.contains(key)) << key;
  }

  EXPECT_EQ(event_types(), (std::vector<std::string>{"OrderCreated", "OrderPaid", "OrderShipped"}));
  auto slice = store_.read_stream({"Order", "o1"}, 0, 100);
  for (const auto& e : slice->events) {
    EXPECT_EQ(e.metadata.correlation_id, "corr-o1");
    EXPECT_EQ(e.schema_version, 1);
  }

  auto cancel = send("CancelOrder", {{"reason", "too late"}});
  EXPECT_EQ(cancel.kind, Kind::kRejected);
  EXPECT_EQ(errors_of(cancel),
            std::vector<std::string>{"order o1 is already shipped and can no longer be cancelled"});
  EXPECT_EQ(send("ShipOrder").kind, Kind::kRejected);
  EXPECT_EQ(send("PayOrder").kind, Kind::kRejected);
  EXPECT_EQ(event_types().size(), 3u);
}

TEST_F(OrderRouterTest, CancelledOrderRefusesEverythingElse) {
  ASSERT_EQ(send("CreateOrder", create_data()).kind, Kind::kOk);
  ASSERT_EQ(send("CancelOrder", {{"reason", "duplicate"}}).kind, Kind::kOk);
  const std::size_t appends = store_.append_calls();
  for (const char* command : {"PayOrder", "ShipOrder", "CancelOrder"}) {
    auto out = send(command);
    EXPECT_EQ(out.kind, Kind::kRejected) << command;
    EXPECT_EQ(out.body["type"], "urn:herald:problem:command-rejected") << out.body.dump();
  }
  EXPECT_EQ(store_.append_calls(), appends);
  EXPECT_EQ(state_of()["state"]["status"], "cancelled");
  EXPECT_EQ(state_of()["state"]["cancel_reason"], "duplicate");
}

TEST_F(OrderRouterTest, PaidOrderCanBeCancelledButNotShippedAfterwards) {
  ASSERT_EQ(send("CreateOrder", create_data()).kind, Kind::kOk);
  ASSERT_EQ(send("PayOrder").kind, Kind::kOk);
  ASSERT_EQ(send("CancelOrder").kind, Kind::kOk);
  EXPECT_EQ(errors_of(send("ShipOrder")), std::vector<std::string>{"order o1 is cancelled"});
  EXPECT_EQ(event_types(),
            (std::vector<std::string>{"OrderCreated", "OrderPaid", "OrderCancelled"}));
}

TEST_F(OrderRouterTest, TheGatewayChecksCommandSchemasAndListsEveryError) {
  auto out = send("CreateOrder",
                  {{"items", Json::array({item("p1", 0, -1), item("", 1, 1)})}, {"coupon", "X"}});
  ASSERT_EQ(out.kind, Kind::kRejected);
  EXPECT_EQ(out.body["type"], "urn:herald:problem:validation-failed") << out.body.dump();
  auto errors = errors_of(out);
  EXPECT_GE(errors.size(), 5u) << out.body.dump();
  for (const char* where : {"user_id", "/items/0/quantity", "/items/0/price", "/items/1/product_id",
                            "coupon"}) {
    EXPECT_TRUE(contains(errors, where)) << where << " not in " << out.body.dump();
  }
  EXPECT_EQ(send("CreateOrder", {{"user_id", "u1"}, {"items", Json::array()}}).kind,
            Kind::kRejected);
  EXPECT_EQ(send("PayOrder", {{"amount", "ten"}}).kind, Kind::kRejected);
  EXPECT_EQ(send("ShipOrder", {{"carrier", 42}}).kind, Kind::kRejected);
  EXPECT_EQ(store_.append_calls(), 0u);
}

TEST_F(OrderRouterTest, BusinessRulesAnswer422WithEveryRule) {
  auto out = send("PayOrder", {{"amount", 5}}, "missing");
  ASSERT_EQ(out.kind, Kind::kRejected);
  EXPECT_EQ(out.body["type"], "urn:herald:problem:command-rejected");
  EXPECT_EQ(errors_of(out), std::vector<std::string>{"order missing does not exist"});
  ASSERT_EQ(send("CreateOrder", create_data(Json::array({item("p", 1, 10)}))).kind, Kind::kOk);
  auto wrong = send("PayOrder", {{"amount", 9.99}, {"payment_id", "p"}});
  EXPECT_EQ(errors_of(wrong),
            std::vector<std::string>{"amount 9.99 does not match the order total 10.00"});
  EXPECT_EQ(errors_of(send("ShipOrder")), std::vector<std::string>{"order o1 is not paid yet"});
}

TEST_F(OrderRouterTest, HugeNumbersAre422NotAnInvalidEvent) {
  auto quantity = send("CreateOrder", create_data(Json::array({item("p", UINT64_MAX, 1)})));
  ASSERT_EQ(quantity.kind, Kind::kRejected) << quantity.body.dump();
  EXPECT_TRUE(contains(errors_of(quantity), "/items/0/quantity")) << quantity.body.dump();
  auto total = send("CreateOrder", create_data(Json::array({item("p", 3, 1e308)})));
  ASSERT_EQ(total.kind, Kind::kRejected) << total.body.dump();
  EXPECT_EQ(total.body["type"], "urn:herald:problem:command-rejected") << total.body.dump();
  EXPECT_EQ(store_.append_calls(), 0u);
}

TEST_F(OrderRouterTest, UnknownCommandIs404WithAHint) {
  auto out = send("PayOrdr");
  EXPECT_EQ(out.kind, Kind::kNotFound);
  EXPECT_NE(out.body["detail"].get<std::string>().find("PayOrder"), std::string::npos)
      << out.body.dump();
}

TEST_F(OrderRouterTest, ConcurrentPaymentsOfOneOrderExactlyOneWins) {
  ASSERT_EQ(send("CreateOrder", create_data()).kind, Kind::kOk);
  constexpr int kThreads = 8;
  std::atomic<int> ok{0}, rejected{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto out = send("PayOrder", {{"payment_id", "pay-" + std::to_string(t)}});
      if (out.kind == Kind::kOk) ++ok;
      else if (out.kind == Kind::kRejected) ++rejected;
      else ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(rejected.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(event_types(), (std::vector<std::string>{"OrderCreated", "OrderPaid"}));
}

TEST_F(OrderRouterTest, ManyOrdersKeepTheirOwnState) {
  for (int i = 0; i < 20; ++i) {
    const std::string id = "o" + std::to_string(i);
    Json items = Json::array({item("p", i + 1, 2.5)});
    ASSERT_EQ(send("CreateOrder", create_data(items), id).kind, Kind::kOk);
    if (i % 2 == 0) {
      ASSERT_EQ(send("PayOrder", Json::object(), id).kind, Kind::kOk);
    }
    if (i % 4 == 0) {
      ASSERT_EQ(send("ShipOrder", Json::object(), id).kind, Kind::kOk);
    }
  }
  for (int i = 0; i < 20; ++i) {
    Json s = state_of("o" + std::to_string(i))["state"];
    EXPECT_EQ(s["total"], (i + 1) * 2.5);
    EXPECT_EQ(s["status"], i % 4 == 0 ? "shipped" : i % 2 == 0 ? "paid" : "created");
  }
}

TEST_F(OrderRouterTest, SnapshotsAndReplayGiveTheSameState) {
  auto with_snapshots = make_router(2);
  ASSERT_EQ(send("CreateOrder", create_data(), "s1", with_snapshots.get()).kind, Kind::kOk);
  ASSERT_EQ(send("PayOrder", Json::object(), "s1", with_snapshots.get()).kind, Kind::kOk);
  ASSERT_EQ(send("ShipOrder", Json::object(), "s1", with_snapshots.get()).kind, Kind::kOk);
  auto snapshot = store_.load_snapshot({"Order", "s1"});
  ASSERT_TRUE(snapshot.is_ok());
  ASSERT_TRUE(snapshot->has_value());
  EXPECT_EQ((*snapshot)->version, 1);
  EXPECT_EQ((*snapshot)->state["status"], "paid");
  // A cold router loads snapshot + one event; this one replays all three.
  auto cold = make_router(2);
  Json from_snapshot = cold->get_state("Order", "s1").body;
  Json replayed = router_->get_state("Order", "s1").body;
  EXPECT_EQ(from_snapshot, replayed);
  EXPECT_EQ(replayed["state"]["status"], "shipped");
}

TEST_F(OrderRouterTest, StoreOutageIs503AndTheOrderIsUnchanged) {
  ASSERT_EQ(send("CreateOrder", create_data()).kind, Kind::kOk);
  auto cold = make_router(0);
  store_.fail_next(Status::retry("connection refused"));
  EXPECT_EQ(send("PayOrder", Json::object(), "o1", cold.get()).kind, Kind::kUnavailable);
  EXPECT_EQ(state_of()["state"]["status"], "created");
  EXPECT_EQ(send("PayOrder", Json::object(), "o1", cold.get()).kind, Kind::kOk);
}

// Command data a client could send, edited at random from valid data (a
// property renamed, dropped or added, a value of another type, a string
// mangled): through the gateway's validation and the Order's rules, every
// command is accepted or refused with reasons (422; 400 only for data that
// is not an object), never a 500 or an exception, and the state still
// loads: every accepted event folded.
TEST_F(OrderRouterTest, EditedCommandDataIsAcceptedOrRefusedNeverAnError) {
  const std::vector<std::pair<std::string, Json>> seeds = {
      {"CreateOrder", create_data(Json::array({item("p1", 3, 19.99), item("p2", 2, 5.5)}))},
      {"PayOrder", {{"amount", 70.97}, {"payment_id", "pay-9"}}},
      {"ShipOrder", {{"carrier", "UPS"}, {"tracking", "1Z999"}}},
      {"CancelOrder", {{"reason", "out of stock"}}},
  };
  herald::testing::JsonMutator mutator(herald::testing::test_seed(1127));
  herald::testing::CommandTally tally;
  for (int round = 0; round < 4000 && !HasFailure(); ++round) {
    const auto& [type, data] = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const Json edited = mutator.mutate(data);
    // Each order gets Create, Pay, Ship, Cancel twice over, so that every
    // command meets new, created, paid, shipped and cancelled orders.
    const std::string id = "o" + std::to_string(round / 8);
    CommandOutcome o;
    ASSERT_NO_THROW(o = send(type, edited, id)) << type << " " << edited.dump();
    tally.count(type, edited, o);
    const CommandOutcome state = router_->get_state("Order", id);
    EXPECT_TRUE(state.ok() || state.kind == Kind::kNotFound) << state.body;
  }
  EXPECT_GT(tally.accepted, 400);
  EXPECT_GT(tally.refused, 400);
}

}  // namespace
}  // namespace herald::gateway
