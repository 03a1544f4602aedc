// The plugin as the gateway sees it: the module's exported descriptor, its
// validate and its factory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>

#include "config/schema_check.h"
#include "herald/plugin.h"
#include "test_support.h"

namespace herald::plugins::document {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

#ifdef HERALD_DOCUMENT_PLUGIN_FILE
TEST(DocumentPluginTest, ModuleExportsADescriptorWhoseFactoryMakesAProjection) {
  boost::dll::shared_library lib(HERALD_DOCUMENT_PLUGIN_FILE);
  auto abi = boost::dll::import_alias<std::uint32_t()>(lib, "herald_plugin_abi");
  EXPECT_EQ(abi(), kAbiVersion);
  auto descriptor_fn =
      boost::dll::import_alias<const PluginDescriptor&()>(lib, "herald_plugin_descriptor");
  const PluginDescriptor& d = descriptor_fn();
  EXPECT_EQ(d.name, "document");
  EXPECT_EQ(d.kind, PluginKind::kProjection);
  EXPECT_FALSE(d.version.empty());
  EXPECT_FALSE(d.description.empty());
  ASSERT_TRUE(d.make_projection);
  ASSERT_TRUE(d.validate);
  EXPECT_FALSE(d.make_store);
  EXPECT_EQ(d.schema.size(), config_schema().size());

  // What the gateway does: schema check with defaults, validate, factory.
  Json config = Json::parse(R"({"search": ["name"], "on": {
      "UserCreated": {"set": {"name": "$event.data.name"}}}})");
  EXPECT_THAT(gateway::check_against_schema(config, d.schema), IsEmpty());
  EXPECT_THAT(d.validate(config), IsEmpty());
  PluginContext context;
  context.instance_name = "users";
  context.config = config;
  std::unique_ptr<Projection> p = d.make_projection(context);  // null logger: default
  ASSERT_NE(p, nullptr);
  testing::EventLog log;
  ASSERT_TRUE(p->apply(log.user("u1", "UserCreated", {{"name", "Charlie Brown"}})).is_ok());
  EXPECT_EQ(p->position(), 1u);
  EXPECT_EQ(p->get("u1")->value(), Json::parse(R"({"id": "u1", "name": "Charlie Brown"})"));
  Query q;
  q.text = "charlie";
  EXPECT_EQ(p->query(q)->total, 1u);

  // A bad config: validate lists every problem; the factory throws them.
  Json bad = Json::parse(R"({"on": {"UserCreated": {"set": {"name": "$evnt.data.name"}},
                                   "UserUpdated": {"increment": {"n": "x"}}}})");
  EXPECT_THAT(d.validate(bad), SizeIs(2));
  context.config = bad;
  try {
    d.make_projection(context);
    FAIL() << "the factory accepted a bad config";
  } catch (const ConfigError& e) {
    ASSERT_THAT(e.issues(), SizeIs(2));
    EXPECT_EQ(e.issues()[0].path, "on/UserCreated/set/name");
    EXPECT_THAT(e.issues()[0].hint, HasSubstr("$event.data.name"));
  }
  p.reset();  // before the library goes
}
#endif

}  // namespace
}  // namespace herald::plugins::document
