// The plugin loader against real libraries: the fixtures in tests/fixtures/plugins,
// one folder per scenario under HERALD_FIXTURE_DIR.
#include "loader/plugin_loader.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/filesystem.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace herald::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string fixture_dir(const std::string& scenario) {
  return std::string(HERALD_FIXTURE_DIR) + "/" + scenario;
}

std::string fixture_file(const std::string& scenario, const std::string& name) {
  return fixture_dir(scenario) + "/libherald-" + name + ".so";
}

// The PluginError message of `f`, failing the test when it does not throw one.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a PluginError";
  return {};
}

std::string load_error(const std::vector<std::string>& dirs, const std::string& name,
                       PluginKind kind = PluginKind::kAggregate) {
  PluginLoader loader(dirs);
  return error_of([&] { loader.load(name, kind); });
}

bool is_loaded(const std::string& file) {
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// Sets (or unsets) an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

Command increment(int by) {
  Command command;
  command.target = {"Counter", "c1"};
  command.type = "Increment";
  command.data = Json{{"by", by}};
  return command;
}

PluginContext context_named(const std::string& instance) {
  PluginContext context;
  context.instance_name = instance;
  context.config = Json::object();
  return context;
}

// --- the good plugin --------------------------------------------------------

TEST(PluginLoaderTest, LoadsAGoodPluginWhoseDescriptorWorks) {
  PluginLoader loader({fixture_dir("good")});
  auto plugin = loader.load("fixture-good", PluginKind::kAggregate);

  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->file, fixture_file("good", "fixture-good"));
  ASSERT_NE(plugin->descriptor, nullptr);
  const PluginDescriptor& d = *plugin->descriptor;
  EXPECT_EQ(d.name, "fixture-good");
  EXPECT_EQ(d.kind, PluginKind::kAggregate);
  EXPECT_EQ(d.abi_version, kAbiVersion);
  EXPECT_EQ(d.version, "1.2.3");
  ASSERT_EQ(d.schema.size(), 1u);
  EXPECT_EQ(d.schema[0].key, "start");
  ASSERT_TRUE(d.make_aggregate);

  auto aggregate = d.make_aggregate(context_named("Counter"));
  ASSERT_NE(aggregate, nullptr);
  ASSERT_EQ(aggregate->commands().size(), 1u);
  EXPECT_EQ(aggregate->commands()[0].type, "Increment");

  Decision decision = aggregate->decide({kNoVersion, aggregate->initial_state()}, increment(2));
  ASSERT_EQ(decision.kind, Decision::Kind::kAccepted);
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(decision.events[0].type, "Incremented");

  Json state = aggregate->initial_state();
  RecordedEvent event;
  event.type = decision.events[0].type;
  event.data = decision.events[0].data;
  ASSERT_TRUE(aggregate->apply(state, event).is_ok());
  EXPECT_EQ(state["count"], 2);
  EXPECT_EQ(aggregate->decide({0, state}, increment(0)).kind, Decision::Kind::kRejected);
}

TEST(PluginLoaderTest, LoadingTwiceReturnsTheSamePlugin) {
  PluginLoader loader({fixture_dir("good")});
  auto first = loader.load("fixture-good", PluginKind::kAggregate);
  auto second = loader.load("fixture-good", PluginKind::kAggregate);
  EXPECT_EQ(first, second);
  // The same library by path, written another way, is the same plugin too.
  auto by_path = loader.load(fixture_dir("good") + "/../good/libherald-fixture-good.so",
                             PluginKind::kAggregate);
  EXPECT_EQ(first, by_path);
}

TEST(PluginLoaderTest, LoadsByPathOutsideTheSearchPath) {
  PluginLoader loader({});
  auto plugin = loader.load(fixture_file("good", "fixture-good"), PluginKind::kAggregate);
  EXPECT_EQ(plugin->descriptor->name, "fixture-good");
}

TEST(PluginLoaderTest, SkipsFoldersThatDoNotExist) {
  PluginLoader loader({"/nonexistent/herald-plugins", fixture_dir("good")});
  EXPECT_EQ(loader.load("fixture-good", PluginKind::kAggregate)->descriptor->name, "fixture-good");
}

TEST(PluginLoaderTest, KeepLoadedKeepsTheLibraryAfterTheLoaderIsGone) {
  const std::string file = fixture_file("good", "fixture-good");
  std::shared_ptr<Aggregate> aggregate;
  {
    PluginLoader loader({fixture_dir("good")});
    auto plugin = loader.load("fixture-good", PluginKind::kAggregate);
    aggregate = keep_loaded(plugin->descriptor->make_aggregate(context_named("Counter")), plugin);
  }
  // Nothing but the object holds the library now.
  ASSERT_TRUE(is_loaded(file));
  Decision decision = aggregate->decide({kNoVersion, aggregate->initial_state()}, increment(1));
  EXPECT_EQ(decision.kind, Decision::Kind::kAccepted);
  EXPECT_THAT(aggregate->commands()[0].description, HasSubstr("Counter"));
  // Destroying it runs the plugin's destructor before the library is released.
  aggregate.reset();
}

TEST(PluginLoaderTest, KeepLoadedOfNullIsNull) {
  EXPECT_EQ(keep_loaded(std::unique_ptr<Aggregate>(), nullptr), nullptr);
}

// --- finding ------------------------------------------------------------------

TEST(PluginLoaderTest, NotFoundNamesEveryFolderSearchedAndSuggests) {
  std::string message =
      load_error({fixture_dir("good"), "/nonexistent/herald-plugins"}, "fixture-god");
  EXPECT_THAT(message, HasSubstr("plugin 'fixture-god' not found"));
  EXPECT_THAT(message, HasSubstr("libherald-fixture-god.so"));
  EXPECT_THAT(message, HasSubstr(fixture_dir("good")));
  EXPECT_THAT(message, HasSubstr("/nonexistent/herald-plugins (no such folder)"));
  EXPECT_THAT(message, HasSubstr("gateway.plugin_dirs"));
  EXPECT_THAT(message, HasSubstr("HERALD_PLUGIN_PATH"));
  EXPECT_THAT(message, HasSubstr("did you mean 'fixture-good'?"));
}

TEST(PluginLoaderTest, NotFoundWithoutACloseNameMakesNoSuggestion) {
  std::string message = load_error({fixture_dir("good")}, "redis");
  EXPECT_THAT(message, HasSubstr("plugin 'redis' not found"));
  EXPECT_THAT(message, Not(HasSubstr("did you mean")));
  EXPECT_THAT(message, HasSubstr("plugins present: fixture-good"));
}

TEST(PluginLoaderTest, NotFoundWithNoFolders) {
  EXPECT_THAT(load_error({}, "memory"), HasSubstr("(no folders)"));
}

TEST(PluginLoaderTest, PathThatDoesNotExist) {
  std::string message = load_error({}, "/nonexistent/libherald-x.so");
  EXPECT_THAT(message, HasSubstr("/nonexistent/libherald-x.so not found"));
}

TEST(PluginLoaderTest, EmptyName) {
  EXPECT_THAT(load_error({fixture_dir("good")}, ""), HasSubstr("empty plugin name"));
}

TEST(PluginLoaderTest, SameNameInTwoFoldersNamesBothFiles) {
  std::string message = load_error({fixture_dir("dup1"), fixture_dir("dup2")}, "fixture-dup");
  EXPECT_THAT(message, HasSubstr("plugin 'fixture-dup' found more than once"));
  EXPECT_THAT(message, HasSubstr(fixture_file("dup1", "fixture-dup")));
  EXPECT_THAT(message, HasSubstr(fixture_file("dup2", "fixture-dup")));
}

TEST(PluginLoaderTest, OneFolderListedTwiceIsNotADuplicate) {
  PluginLoader loader({fixture_dir("good"), fixture_dir("good") + "/../good"});
  EXPECT_NE(loader.load("fixture-good", PluginKind::kAggregate), nullptr);
}

// --- refusing libraries -------------------------------------------------------

TEST(PluginLoaderTest, NotALibraryGivesTheFileAndWhatDlopenSaid) {
  std::string message = load_error({fixture_dir("notalib")}, "fixture-text");
  EXPECT_THAT(message, HasSubstr("cannot load plugin library"));
  EXPECT_THAT(message, HasSubstr(fixture_file("notalib", "fixture-text")));
  EXPECT_THAT(message, HasSubstr("invalid ELF header"));
  EXPECT_THAT(message, HasSubstr("not a shared library"));
}

TEST(PluginLoaderTest, MissingDependencyIsNamed) {
  std::string message = load_error({fixture_dir("missingdep")}, "fixture-missingdep");
  EXPECT_THAT(message, HasSubstr(fixture_file("missingdep", "fixture-missingdep")));
  EXPECT_THAT(message, HasSubstr("libherald_fixture_dep.so"));
  EXPECT_THAT(message, HasSubstr("cannot open shared object file"));
  EXPECT_THAT(message, HasSubstr("ldd"));
}

TEST(PluginLoaderTest, NoAbiSymbolIsNotAHeraldPlugin) {
  std::string message = load_error({fixture_dir("noabi")}, "fixture-noabi");
  EXPECT_THAT(message, HasSubstr(fixture_file("noabi", "fixture-noabi") +
                                 " is not a herald plugin: it exports no herald_plugin_abi"));
  EXPECT_THAT(message, HasSubstr("HERALD_PLUGIN(...) from <herald/plugin.h>"));
}

TEST(PluginLoaderTest, NoDescriptorIsNotAHeraldPlugin) {
  std::string message = load_error({fixture_dir("nodescriptor")}, "fixture-nodescriptor");
  EXPECT_THAT(message, HasSubstr(fixture_file("nodescriptor", "fixture-nodescriptor") +
                                 " is not a herald plugin"));
  EXPECT_THAT(message, HasSubstr("no herald_plugin_descriptor"));
  EXPECT_THAT(message, HasSubstr("HERALD_PLUGIN(...)"));
}

TEST(PluginLoaderTest, AbiMismatchIsRefusedBeforeTheDescriptorIsCalled) {
  const std::string file = fixture_file("abi", "fixture-abi");
  // Held open here so the fixture's call counter survives the loader's
  // dlclose of its own handle.
  boost::dll::shared_library library(file);
  auto descriptor_calls = library.get_alias<int()>("fixture_descriptor_calls");

  std::string message = load_error({fixture_dir("abi")}, "fixture-abi");
  EXPECT_THAT(message,
              HasSubstr(file + " was built for herald plugin ABI 999, this herald has ABI " +
                        std::to_string(kAbiVersion)));
  EXPECT_THAT(message, HasSubstr("rebuild the plugin against this herald's SDK"));
  EXPECT_EQ(descriptor_calls(), 0);

  // The counter does count: calling the descriptor ourselves moves it.
  library.get_alias<const PluginDescriptor&()>("herald_plugin_descriptor")();
  EXPECT_EQ(descriptor_calls(), 1);
}

TEST(PluginLoaderTest, DescriptorAbiFieldDifferingFromTheExportedOne) {
  std::string message = load_error({fixture_dir("abifield")}, "fixture-abifield");
  EXPECT_THAT(message, HasSubstr(fixture_file("abifield", "fixture-abifield")));
  EXPECT_THAT(message, HasSubstr("herald_plugin_abi " + std::to_string(kAbiVersion)));
  EXPECT_THAT(message, HasSubstr("abi_version " + std::to_string(kAbiVersion + 1)));
}

TEST(PluginLoaderTest, EmptyDescriptorName) {
  std::string message = load_error({fixture_dir("emptyname")}, "fixture-emptyname");
  EXPECT_THAT(message, HasSubstr(fixture_file("emptyname", "fixture-emptyname")));
  EXPECT_THAT(message, HasSubstr("empty name"));
}

TEST(PluginLoaderTest, DescriptorNameDifferingFromTheFileName) {
  std::string message = load_error({fixture_dir("mismatch")}, "fixture-renamed");
  EXPECT_THAT(message, HasSubstr(fixture_file("mismatch", "fixture-renamed")));
  EXPECT_THAT(message, HasSubstr("declares plugin name 'fixture-other'"));
  EXPECT_THAT(message, HasSubstr("its file name says 'fixture-renamed'"));
  EXPECT_THAT(message, HasSubstr("libherald-fixture-other.so"));
}

TEST(PluginLoaderTest, WrongKindSaysBothKinds) {
  const std::string file = fixture_file("wrongkind", "fixture-wrongkind");
  std::string message =
      load_error({fixture_dir("wrongkind")}, "fixture-wrongkind", PluginKind::kStore);
  EXPECT_THAT(message, HasSubstr("plugin 'fixture-wrongkind' (" + file +
                                 ") is an aggregate plugin, but `store:` needs a store plugin"));
  EXPECT_THAT(message, HasSubstr("`aggregates:`"));

  message = load_error({fixture_dir("wrongkind")}, "fixture-wrongkind", PluginKind::kProjection);
  EXPECT_THAT(message, HasSubstr("`projections:` entries need a projection plugin"));
}

TEST(PluginLoaderTest, WrongKindForOneUseDoesNotSpoilAnother) {
  PluginLoader loader({fixture_dir("good")});
  EXPECT_THROW(loader.load("fixture-good", PluginKind::kTransport), PluginError);
  EXPECT_NE(loader.load("fixture-good", PluginKind::kAggregate), nullptr);
}

TEST(PluginLoaderTest, FactoryForItsKindNotSet) {
  std::string message =
      load_error({fixture_dir("nofactory")}, "fixture-nofactory", PluginKind::kStore);
  EXPECT_THAT(message, HasSubstr(fixture_file("nofactory", "fixture-nofactory")));
  EXPECT_THAT(message, HasSubstr("is a store plugin but its descriptor sets no make_store"));
  // It points at the likely slip: the factory set is another kind's.
  EXPECT_THAT(message, HasSubstr("make_aggregate"));
}

// --- discover -----------------------------------------------------------------

TEST(PluginLoaderTest, DiscoverListsEveryPluginByName) {
  PluginLoader loader(
      {fixture_dir("wrongkind"), "/nonexistent/herald-plugins", fixture_dir("good")});
  auto plugins = loader.discover();
  std::vector<std::string> names;
  for (const auto& p : plugins) names.push_back(p->descriptor->name);
  EXPECT_THAT(names, ElementsAre("fixture-good", "fixture-wrongkind"));
  // Discovered plugins are the ones load() hands out later.
  EXPECT_EQ(loader.load("fixture-good", PluginKind::kAggregate), plugins[0]);
}

TEST(PluginLoaderTest, DiscoverNamesBothFilesOfADuplicate) {
  PluginLoader loader({fixture_dir("dup1"), fixture_dir("dup2")});
  std::string message = error_of([&] { loader.discover(); });
  EXPECT_THAT(message, HasSubstr("plugin 'fixture-dup' found more than once"));
  EXPECT_THAT(message, HasSubstr(fixture_file("dup1", "fixture-dup")));
  EXPECT_THAT(message, HasSubstr(fixture_file("dup2", "fixture-dup")));
}

TEST(PluginLoaderTest, DiscoverRefusesABadLibrary) {
  PluginLoader loader({fixture_dir("good"), fixture_dir("mismatch")});
  EXPECT_THAT(error_of([&] { loader.discover(); }),
              HasSubstr("declares plugin name 'fixture-other'"));
}

// --- search path --------------------------------------------------------------

std::string exe_relative(const std::string& rest) {
  return (boost::dll::program_location().parent_path() / ".." / rest).lexically_normal().string();
}

TEST(PluginLoaderTest, SearchPathOrderWithHeraldPluginPath) {
  ScopedEnv env("HERALD_PLUGIN_PATH", "/env/a::/env/b/:/conf/x");
  const std::string cwd = boost::filesystem::current_path().string();
  auto path = PluginLoader::search_path({"/conf/x", "rel/dir", "/conf/x/", "/conf/y/../z"});
  EXPECT_THAT(path, ElementsAre("/conf/x", cwd + "/rel/dir", "/conf/z", "/env/a", "/env/b",
                                exe_relative("plugins"), exe_relative("lib/herald/plugins")));
}

TEST(PluginLoaderTest, SearchPathWithoutHeraldPluginPath) {
  ScopedEnv env("HERALD_PLUGIN_PATH", nullptr);
  EXPECT_THAT(PluginLoader::search_path({}),
              ElementsAre(exe_relative("plugins"), exe_relative("lib/herald/plugins")));
}

TEST(PluginLoaderTest, SearchPathFindsPluginsThroughHeraldPluginPath) {
  ScopedEnv env("HERALD_PLUGIN_PATH", fixture_dir("good").c_str());
  PluginLoader loader(PluginLoader::search_path({}));
  EXPECT_EQ(loader.load("fixture-good", PluginKind::kAggregate)->descriptor->name, "fixture-good");
}

}  // namespace
}  // namespace herald::gateway
