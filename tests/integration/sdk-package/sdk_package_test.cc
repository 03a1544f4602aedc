// The promise of DESIGN.md's plugin ABI section, kept by a test: a plugin
// builds out of tree against the installed SDK package and the gateway loads
// it. Installs only the `sdk` component of this build into a fresh prefix,
// builds plugins/examples/aggregate-order there with find_package(herald),
// and loads the result with the gateway's PluginLoader. And a whole install
// has what docs/systemd.md and the unit rely on.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "loader/plugin_loader.h"

namespace herald::gateway {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SdkPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "herald-sdk-package-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
  }

  // Kept on failure so the logs and the build can be looked at.
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "kept " << work_ << " for inspection\n";
    } else {
      std::error_code ec;
      fs::remove_all(work_, ec);
    }
  }

  // Runs `command`, its output to a log; on failure the log is in the message.
  ::testing::AssertionResult run(const std::string& step, const std::string& command) {
    const fs::path log = work_ / (step + ".log");
    const int rc = std::system((command + " > " + quote(log.string()) + " 2>&1").c_str());
    if (rc == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << step << " failed (" << rc << "): " << command << "\n"
                                         << read_file(log);
  }

  fs::path work_;
};

TEST_F(SdkPackageTest, OrderPluginBuildsOutOfTreeAgainstTheInstalledSdkAndLoads) {
  const std::string cmake = quote(HERALD_CMAKE_COMMAND);
  const fs::path prefix = work_ / "prefix";
  const fs::path build = work_ / "build";
  const fs::path plugin_prefix = work_ / "plugin-prefix";

  ASSERT_TRUE(run("install-sdk", cmake + " --install " + quote(HERALD_BUILD_DIR) + " --prefix " +
                                     quote(prefix.string()) + " --component sdk"));
  ASSERT_TRUE(fs::exists(prefix / "include/herald/herald.h"));
  ASSERT_TRUE(fs::exists(prefix / "include/herald/testing/fake_store.h"));

  const std::string source = std::string(HERALD_SOURCE_DIR) + "/plugins/examples/aggregate-order";
  ASSERT_TRUE(run("configure", cmake + " -S " + quote(source) + " -B " + quote(build.string()) +
                                   " -G " + quote(HERALD_CMAKE_GENERATOR) +
                                   " -DCMAKE_PREFIX_PATH=" + quote(prefix.string()) +
                                   " -DCMAKE_CXX_COMPILER=" + quote(HERALD_CXX_COMPILER) +
                                   " -DCMAKE_BUILD_TYPE=" + quote(HERALD_BUILD_TYPE) +
                                   " -DCMAKE_EXPORT_COMPILE_COMMANDS=ON"));
  // The package was found in the fresh prefix, not in some other install.
  const std::string cache = read_file(build / "CMakeCache.txt");
  EXPECT_NE(cache.find("herald_DIR:PATH=" + prefix.string() + "/"), std::string::npos)
      << "herald_DIR is not in the fresh prefix";
  ASSERT_TRUE(run("build", cmake + " --build " + quote(build.string())));

  // It compiled against the installed headers, not the source tree's.
  const std::string commands = read_file(build / "compile_commands.json");
  EXPECT_NE(commands.find((prefix / "include").string()), std::string::npos) << commands;
  EXPECT_EQ(commands.find(std::string(HERALD_SOURCE_DIR) + "/sdk"), std::string::npos) << commands;

  const fs::path library = build / "libherald-order.so";
  ASSERT_TRUE(fs::exists(library));

  // The gateway's loader accepts it: ABI, descriptor, name and kind.
  PluginLoader loader({build.string()});
  std::shared_ptr<const LoadedPlugin> plugin;
  ASSERT_NO_THROW(plugin = loader.load("order", PluginKind::kAggregate));
  EXPECT_EQ(plugin->file, fs::canonical(library).string());
  EXPECT_EQ(plugin->descriptor->name, "order");
  EXPECT_EQ(plugin->descriptor->abi_version, kAbiVersion);
  EXPECT_THROW(loader.load("order", PluginKind::kStore), PluginError);

  // And what it makes works across the boundary.
  PluginContext ctx;
  ctx.instance_name = "Order";
  ctx.config = Json::object();
  auto order = keep_loaded(plugin->descriptor->make_aggregate(ctx), plugin);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->commands().size(), 4u);
  Json items = Json::array({{{"product_id", "p"}, {"quantity", 2}, {"price", 1.25}}});
  Command create{"c1", {"Order", "o1"}, "CreateOrder", {{"user_id", "u1"}, {"items", items}}, {}};
  Decision d = order->decide({kNoVersion, order->initial_state()}, create);
  ASSERT_EQ(d.kind, Decision::Kind::kAccepted);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].type, "OrderCreated");
  EXPECT_EQ(d.events[0].data["total"], 2.5);

  // The package's herald_add_plugin installs where an installed herald looks.
  ASSERT_TRUE(run("install-plugin", cmake + " --install " + quote(build.string()) + " --prefix " +
                                        quote(plugin_prefix.string())));
  bool installed = false;
  for (const auto& entry : fs::recursive_directory_iterator(plugin_prefix)) {
    const std::string path = entry.path().string();
    if (path.ends_with("/herald/plugins/libherald-order.so")) installed = true;
  }
  EXPECT_TRUE(installed) << "no <libdir>/herald/plugins/libherald-order.so in " << plugin_prefix;
}

// What docs/systemd.md installs: a whole install into a fresh prefix has the
// binary, the plugins where the binary finds them, the default config, the
// unit and the docs the unit names; and the installed herald checks the
// installed config with the installed plugins alone.
TEST_F(SdkPackageTest, AFullInstallHasWhatTheSystemdUnitNamesAndChecksItsConfig) {
  const fs::path prefix = work_ / "prefix";
  ASSERT_TRUE(run("install", quote(HERALD_CMAKE_COMMAND) + " --install " + quote(HERALD_BUILD_DIR) +
                                 " --prefix " + quote(prefix.string())));
  for (const char* name : {"memory", "declarative", "document", "order"}) {
    EXPECT_TRUE(
        fs::exists(prefix / "lib/herald/plugins" / ("libherald-" + std::string(name) + ".so")))
        << name;
  }
  const fs::path unit = prefix / "share/herald/herald.service";
  const fs::path config = prefix / "share/herald/herald.yaml";
  ASSERT_TRUE(fs::exists(unit));
  ASSERT_TRUE(fs::exists(config));
  // Every file the unit's settings name under /usr/local (ExecStart,
  // Documentation) is where the install put it.
  const std::string installed = "/usr/local/";
  int named = 0;
  std::istringstream lines(read_file(unit));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    for (std::size_t at = line.find(installed); at != std::string::npos;
         at = line.find(installed, at + 1)) {
      const std::size_t from = at + installed.size();
      const std::string path = line.substr(from, line.find(' ', from) - from);
      EXPECT_TRUE(fs::exists(prefix / path)) << line;
      ++named;
    }
  }
  EXPECT_GE(named, 4);  // herald twice (check, serve), two documents
  EXPECT_TRUE(fs::exists(prefix / "share/doc/herald/docs/configuration.md"));
  EXPECT_TRUE(fs::exists(prefix / "share/doc/herald/plugins/store-memory/README.md"));

  // Plugins from <exe>/../lib/herald/plugins, nothing from this build.
  ASSERT_TRUE(run("check", "cd " + quote(work_.string()) + " && " +
                               quote((prefix / "bin/herald").string()) + " check -c " +
                               quote(config.string())));
  EXPECT_NE(read_file(work_ / "check.log").find("ok (5 plugin instances)"), std::string::npos)
      << read_file(work_ / "check.log");
}

}  // namespace
}  // namespace herald::gateway
