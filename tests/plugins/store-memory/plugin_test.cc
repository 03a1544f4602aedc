// The plugin as the gateway sees it: the exported descriptor, its schema and
// factory, and options made from a config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>

#include "herald/plugin.h"
#include "options.h"
#include "test_support.h"

namespace herald::plugins::memory {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;

const OptionSpec* find_option(const ConfigSchema& schema, const std::string& key) {
  for (const auto& o : schema) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

// The config the gateway would pass: every declared default filled in.
Json with_defaults(const ConfigSchema& schema, Json config) {
  for (const auto& o : schema) {
    if (!config.contains(o.key) && !o.default_value.is_null()) config[o.key] = o.default_value;
  }
  return config;
}

TEST(MemoryStorePluginTest, SchemaDeclaresEveryOptionWithDefaultAndDescription) {
  ConfigSchema schema = config_schema();
  for (const auto& o : schema) {
    EXPECT_FALSE(o.description.empty()) << o.key;
    EXPECT_FALSE(o.default_value.is_null()) << o.key;
  }
  ASSERT_NE(find_option(schema, "path"), nullptr);
  EXPECT_EQ(find_option(schema, "path")->default_value, "./data/events.log");
  const OptionSpec* fsync = find_option(schema, "fsync");
  ASSERT_NE(fsync, nullptr);
  EXPECT_EQ(fsync->type, OptionType::kEnum);
  EXPECT_EQ(fsync->choices, (std::vector<std::string>{"always", "batch", "never"}));
  EXPECT_EQ(fsync->default_value, "batch");
}

TEST(MemoryStorePluginTest, OptionsComeFromTheConfig) {
  MemoryStoreOptions o = options_from_config(with_defaults(config_schema(), Json::object()));
  EXPECT_EQ(o.path, "./data/events.log");
  EXPECT_EQ(o.fsync, FsyncMode::kBatch);
  EXPECT_EQ(o.max_record_bytes, 16u << 20);
  o = options_from_config(Json{{"path", ""}, {"fsync", "never"}, {"sync_timeout_ms", 5}});
  EXPECT_EQ(o.path, "");
  EXPECT_EQ(o.fsync, FsyncMode::kNever);
  EXPECT_EQ(o.sync_timeout.count(), 5);
  EXPECT_EQ(options_from_config(Json{{"fsync", "always"}}).fsync, FsyncMode::kAlways);
  EXPECT_THROW(options_from_config(Json{{"fsync", "sometimes"}}), ConfigError);
}

TEST(MemoryStorePluginTest, SyncTimeoutIsBoundedSoItsDeadlineCannotOverflow) {
  // LogWriter::wait computes now + sync_timeout on steady_clock's int64
  // nanoseconds: 9223372036854775807 ms wrapped round into the past and every
  // append answered "retry" at once. The schema stops such values at the
  // config check.
  const ConfigSchema schema = config_schema();
  const OptionSpec* timeout = find_option(schema, "sync_timeout_ms");
  ASSERT_NE(timeout, nullptr);
  ASSERT_TRUE(timeout->maximum.has_value());
  EXPECT_EQ(*timeout->maximum, 3600000.0);
}

#ifdef HERALD_MEMORY_PLUGIN_FILE
TEST(MemoryStorePluginTest, ModuleExportsADescriptorWhoseFactoryMakesAStore) {
  boost::dll::shared_library lib(HERALD_MEMORY_PLUGIN_FILE);
  auto abi = boost::dll::import_alias<std::uint32_t()>(lib, "herald_plugin_abi");
  EXPECT_EQ(abi(), kAbiVersion);
  auto descriptor_fn =
      boost::dll::import_alias<const PluginDescriptor&()>(lib, "herald_plugin_descriptor");
  const PluginDescriptor& d = descriptor_fn();
  EXPECT_EQ(d.name, "memory");
  EXPECT_EQ(d.kind, PluginKind::kStore);
  EXPECT_EQ(d.abi_version, kAbiVersion);
  ASSERT_TRUE(d.make_store);
  EXPECT_FALSE(d.make_aggregate);

  TempDir dir;
  PluginContext context;
  context.instance_name = "store";
  context.config = with_defaults(d.schema, Json{{"path", dir.file("nested/events.log")}});
  auto store = d.make_store(context);  // null logger: spdlog's default
  ASSERT_TRUE(store->open().is_ok());
  auto r = store->append(
      testing::request(testing::user("u1"), ExpectedVersion::no_stream(), {testing::event("A")}));
  EXPECT_TRUE(r.status.is_ok()) << r.status.message();
  store->close();
  store.reset();  // before the library goes
}
#endif

}  // namespace
}  // namespace herald::plugins::memory
