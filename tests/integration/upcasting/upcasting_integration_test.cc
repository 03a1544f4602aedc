// Upcasters declared in YAML run when events are read, for aggregates and
// projections alike, over real plugins: the memory store, the Order
// aggregate and the email-index projection.
#include <gtest/gtest.h>

#include <thread>

#include "config/gateway_config.h"
#include "core/runtime.h"

namespace herald::gateway {
namespace {

using namespace std::chrono_literals;

const char* kConfig = R"(
gateway:
  plugin_dirs: [ "${PLUGIN_DIR}" ]
store:
  plugin: memory
  config: { path: "" }
aggregates:
  - type: Order
    plugin: order
projections:
  - name: emails
    plugin: email-index
    from: [User]
upcasters:
  # v1 called it UserRegistered with `mail`; v2 is UserCreated with `email`.
  - event: UserRegistered
    from_version: 1
    rename_type: UserCreated
    rename_fields: { mail: email }
  # v2 of OrderCreated had no currency; v3 defaults it.
  - event: OrderPlaced
    from_version: 1
    to_version: 2
    rename_type: OrderCreated
    rename_fields: { customer: user_id }
    drop: [ legacy_flag ]
  - event: OrderCreated
    from_version: 2
    defaults: { currency: EUR }
)";

void append_old(EventStore& store, StreamId stream, std::string type, int version, Json data) {
  AppendRequest r;
  r.stream = std::move(stream);
  r.events.push_back(NewEvent{type + "-" + r.stream.id, std::move(type), version, std::move(data), {}});
  ASSERT_TRUE(store.append(r).status.is_ok());
}

TEST(UpcastingIntegration, OldEventsMeetNewCodeInAggregatesAndProjections) {
  ::setenv("PLUGIN_DIR", HERALD_PLUGIN_DIR, 1);
  Runtime runtime(parse_gateway_config(ConfigDocument::from_string(kConfig, "upcasting.yaml")));
  runtime.build();
  // Write the old events before anything reads the log.
  ASSERT_TRUE(runtime.store().open().is_ok());
  append_old(runtime.store(), {"User", "u1"}, "UserRegistered", 1, {{"mail", "Ann@Example.com"}});
  append_old(runtime.store(), {"Order", "o1"}, "OrderPlaced", 1,
             {{"customer", "u1"},
              {"legacy_flag", true},
              {"items", {{{"product_id", "p"}, {"quantity", 1}, {"price", 5.0}}}},
              {"total", 5.0}});
  runtime.projections().start();

  // The projection saw UserCreated with `email`.
  auto live = runtime.projections().find("emails");
  ASSERT_TRUE(live);
  ASSERT_TRUE(live->subscription->wait_for(2, 5s));
  auto doc = live->projection->get("ann@example.com");
  ASSERT_TRUE(doc.is_ok());
  ASSERT_TRUE(doc->has_value()) << runtime.projections().status().dump();
  EXPECT_EQ((**doc)["user_id"], "u1");

  // The aggregate folds the upcast OrderCreated (v1 -> v2 -> v3) and accepts
  // a command that needs it.
  auto state = runtime.router().get_state("Order", "o1");
  ASSERT_TRUE(state.ok()) << state.body.dump();
  EXPECT_EQ(state.body["state"]["user_id"], "u1");
  CommandRequest pay;
  pay.aggregate_type = "Order";
  pay.aggregate_id = "o1";
  pay.type = "PayOrder";
  auto out = runtime.router().dispatch(pay);
  EXPECT_TRUE(out.ok()) << out.body.dump();

  // The log itself is unchanged.
  auto raw = runtime.store().read_stream({"Order", "o1"}, 0, 1);
  EXPECT_EQ(raw->events.at(0).type, "OrderPlaced");
  EXPECT_EQ(raw->events.at(0).schema_version, 1);
  runtime.projections().stop();
  runtime.store().close();
}

TEST(UpcastingIntegration, CxxUpcasterPluginsChainWithDeclarativeOnes) {
  const std::string config = std::string(R"(
store: { plugin: memory, config: { path: "" } }
upcasters:
  - plugin: )") + HERALD_FIXTURE_DIR + R"(/upcaster/libherald-test-upcaster.so
    config: { field: n }
  - event: Legacy
    from_version: 2
    rename_type: Modern
)";
  ::setenv("PLUGIN_DIR", HERALD_PLUGIN_DIR, 1);
  Runtime runtime(parse_gateway_config(ConfigDocument::from_string(config, "cxx.yaml")));
  runtime.build();
  RecordedEvent e;
  e.type = "Legacy";
  e.schema_version = 1;
  e.data = {{"n", "42"}};
  ASSERT_TRUE(runtime.upcasters().upcast(e).is_ok());
  EXPECT_EQ(e.type, "Modern");
  EXPECT_EQ(e.schema_version, 3);
  EXPECT_EQ(e.data["n"], 42);
  RecordedEvent bad = e;
  bad.type = "Legacy";
  bad.schema_version = 1;
  bad.data = {{"n", "many"}};
  auto s = runtime.upcasters().upcast(bad);
  EXPECT_EQ(s.code(), StatusCode::kFailed);
  EXPECT_NE(s.message().find("not a number"), std::string::npos);
}

TEST(UpcastingIntegration, ConfigProblemsAreReportedWithLines) {
  const char* bad = R"(
store: { plugin: memory, config: { path: "" } }
upcasters:
  - event: A
    from_version: 2
    to_version: 2
  - event: A
    from_version: 2
  - rename_type: B
)";
  try {
    parse_gateway_config(ConfigDocument::from_string(bad, "bad.yaml"));
    FAIL() << "expected ConfigErrors";
  } catch (const ConfigErrors& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("must be greater than from_version"), std::string::npos) << what;
    EXPECT_NE(what.find("already takes A v2"), std::string::npos) << what;
    EXPECT_NE(what.find("needs `event:`"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace herald::gateway
