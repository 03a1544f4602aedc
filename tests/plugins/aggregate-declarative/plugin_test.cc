// The plugin as the gateway sees it: the module's exported descriptor, its
// schema and checks, loaded through the gateway's PluginLoader.
#include <gmock/gmock.h>

#include "loader/plugin_loader.h"
#include "test_support.h"

namespace herald::plugins::declarative::tests {
namespace {

using ::testing::ElementsAre;

const OptionSpec* find_option(const ConfigSchema& schema, const std::string& key) {
  for (const auto& o : schema) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

TEST(DeclarativePluginTest, SchemaDeclaresTheTopLevelKeys) {
  ConfigSchema schema = config_schema();
  ASSERT_EQ(schema.size(), 4u);
  for (const auto& o : schema) EXPECT_FALSE(o.description.empty()) << o.key;
  const OptionSpec* format = find_option(schema, "state_format");
  ASSERT_NE(format, nullptr);
  EXPECT_EQ(format->type, OptionType::kInt);
  EXPECT_EQ(format->default_value, 1);
  const OptionSpec* initial = find_option(schema, "initial_state");
  ASSERT_NE(initial, nullptr);
  EXPECT_EQ(initial->type, OptionType::kAny);
  EXPECT_EQ(initial->default_value, Json::object());
  for (const char* key : {"commands", "events"}) {
    const OptionSpec* o = find_option(schema, key);
    ASSERT_NE(o, nullptr) << key;
    EXPECT_EQ(o->type, OptionType::kMap);
    EXPECT_TRUE(o->required);
    ASSERT_EQ(o->items.size(), 1u);
    EXPECT_EQ(o->items[0].type, OptionType::kObject);
  }
}

TEST(DeclarativePluginTest, DefaultsAreFilledIn) {
  Json config = yaml("commands: { A: { emit: [] } }\nevents: {}\n");
  EXPECT_TRUE(gateway::check_against_schema(config, config_schema()).empty());
  EXPECT_EQ(config["state_format"], 1);
  EXPECT_EQ(config["initial_state"], Json::object());
  EXPECT_TRUE(validate_config(config).empty());
}

TEST(DeclarativePluginTest, TheModuleLoadsAndMakesAWorkingAggregate) {
  gateway::PluginLoader loader({HERALD_PLUGIN_DIR});
  auto plugin = loader.load("declarative", PluginKind::kAggregate);
  ASSERT_NE(plugin, nullptr);
  const PluginDescriptor& d = *plugin->descriptor;
  EXPECT_EQ(d.name, "declarative");
  EXPECT_EQ(d.kind, PluginKind::kAggregate);
  EXPECT_EQ(d.abi_version, kAbiVersion);
  ASSERT_TRUE(d.validate);
  ASSERT_TRUE(d.make_aggregate);

  Json config = yaml(R"yaml(
commands:
  Ping:
    preconditions: [ { stream: new } ]
    emit: [ { event: Pinged, data: { who: $metadata.user_id } } ]
events:
  Pinged: { fold: { set: { pinged_by: $event.data.who } } }
)yaml");
  ASSERT_TRUE(gateway::check_against_schema(config, d.schema).empty());
  ASSERT_TRUE(d.validate(config).empty());
  PluginContext context{"Pinger", config, nullptr, nullptr};
  auto aggregate = gateway::keep_loaded(d.make_aggregate(context), plugin);
  Stream s(aggregate, "p1", "Pinger");
  Metadata m;
  m.user_id = "ann";
  ASSERT_EQ(s.run("Ping", Json::object(), m).kind, Decision::Kind::kAccepted);
  EXPECT_EQ(s.state()["pinged_by"], "ann");
  Decision again = s.run("Ping");
  ASSERT_EQ(again.kind, Decision::Kind::kRejected);
  EXPECT_THAT(again.errors, ElementsAre("Pinger p1 already exists"));

  Json bad = yaml("commands: { A: { emit: [ { event: Nope } ] } }\nevents: {}\n");
  ASSERT_TRUE(gateway::check_against_schema(bad, d.schema).empty());
  auto issues = d.validate(bad);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "commands/A/emit/0/event");
}

}  // namespace
}  // namespace herald::plugins::declarative::tests
