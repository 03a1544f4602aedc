#include "loader/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/filesystem.hpp>
#include <cstdlib>
#include <exception>
#include <set>
#include <string_view>
#include <utility>

#include "text/suggest.h"

namespace herald::gateway {
namespace {

namespace fs = boost::filesystem;

constexpr std::string_view kFilePrefix = "libherald-";
constexpr std::string_view kFileSuffix = ".so";
constexpr const char* kAbiSymbol = "herald_plugin_abi";
constexpr const char* kDescriptorSymbol = "herald_plugin_descriptor";
constexpr const char* kPathVariable = "HERALD_PLUGIN_PATH";
constexpr const char* kBuildHint = "build it with HERALD_PLUGIN(...) from <herald/plugin.h>";
constexpr std::size_t kMaxListedPlugins = 12;

std::string file_name_for(const std::string& name) {
  return std::string(kFilePrefix) + name + std::string(kFileSuffix);
}

// The plugin name a file name stands for, or empty when it is not libherald-NAME.so.
std::string name_from_file(std::string_view file_name) {
  if (file_name.size() <= kFilePrefix.size() + kFileSuffix.size()) return {};
  if (!file_name.starts_with(kFilePrefix) || !file_name.ends_with(kFileSuffix)) return {};
  file_name.remove_prefix(kFilePrefix.size());
  file_name.remove_suffix(kFileSuffix.size());
  return std::string(file_name);
}

// Absolute (against the current directory) and lexically normal, without a
// trailing slash, so the same folder written two ways compares equal.
std::string absolute_normal(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  return fs::absolute(fs::path(trimmed)).lexically_normal().string();
}

bool is_directory(const std::string& path) {
  boost::system::error_code ec;
  return fs::is_directory(path, ec);
}

bool same_file(const std::string& a, const std::string& b) {
  boost::system::error_code ec;
  bool same = fs::equivalent(a, b, ec);
  return !ec && same;
}

// Used as the cache key: a library reached through a symlinked folder or a
// relative path is still one library.
std::string canonical_or_self(const std::string& file) {
  boost::system::error_code ec;
  fs::path canonical = fs::canonical(file, ec);
  return ec ? file : canonical.string();
}

const char* article(PluginKind kind) { return kind == PluginKind::kAggregate ? "an" : "a"; }

// Where a plugin of `kind` goes in herald.yaml, so a wrong-kind error can
// say what the user wrote and where the plugin belongs instead.
const char* config_key(PluginKind kind) {
  switch (kind) {
    case PluginKind::kStore: return "`store:`";
    case PluginKind::kTransport: return "`transports:`";
    case PluginKind::kAggregate: return "`aggregates:`";
    case PluginKind::kProjection: return "`projections:`";
    case PluginKind::kUpcaster: return "`upcasters:`";
  }
  return "?";
}

// "`store:` needs a store plugin", "`aggregates:` entries need an aggregate plugin".
std::string what_needs(PluginKind kind) {
  std::string subject = config_key(kind);
  subject += kind == PluginKind::kStore ? " needs " : " entries need ";
  return subject + article(kind) + " " + to_string(kind) + " plugin";
}

bool is_known_kind(PluginKind kind) {
  switch (kind) {
    case PluginKind::kStore:
    case PluginKind::kTransport:
    case PluginKind::kAggregate:
    case PluginKind::kProjection:
    case PluginKind::kUpcaster: return true;
  }
  return false;
}

// The factory fields a descriptor has set, by name, for error messages.
std::vector<std::string> factories_set(const PluginDescriptor& d) {
  std::vector<std::string> set;
  if (d.make_store) set.emplace_back("make_store");
  if (d.make_transport) set.emplace_back("make_transport");
  if (d.make_aggregate) set.emplace_back("make_aggregate");
  if (d.make_projection) set.emplace_back("make_projection");
  if (d.make_upcaster) set.emplace_back("make_upcaster");
  return set;
}

bool factory_for_kind_set(const PluginDescriptor& d) {
  switch (d.kind) {
    case PluginKind::kStore: return static_cast<bool>(d.make_store);
    case PluginKind::kTransport: return static_cast<bool>(d.make_transport);
    case PluginKind::kAggregate: return static_cast<bool>(d.make_aggregate);
    case PluginKind::kProjection: return static_cast<bool>(d.make_projection);
    case PluginKind::kUpcaster: return static_cast<bool>(d.make_upcaster);
  }
  return false;
}

const char* factory_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::kStore: return "make_store";
    case PluginKind::kTransport: return "make_transport";
    case PluginKind::kAggregate: return "make_aggregate";
    case PluginKind::kProjection: return "make_projection";
    case PluginKind::kUpcaster: return "make_upcaster";
  }
  return "?";
}

// The text of the current exception, for calls into a plugin that threw.
std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

// Boost.DLL 1.74 throws away dlerror()'s text when it reports a failed load,
// and that text is the one thing that says what is wrong (not an ELF file, a
// missing dependency, an undefined symbol). Opening the file again ourselves
// gets it back. Returns the text with a hint on what to do.
std::string dlopen_error(const std::string& file, const std::string& fallback) {
  dlerror();
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle != nullptr) {
    dlclose(handle);
    return fallback;
  }
  const char* raw = dlerror();
  std::string text = raw != nullptr ? raw : fallback;
  // dlerror() usually starts with the file name, which the caller has said already.
  if (text.rfind(file + ": ", 0) == 0) text.erase(0, file.size() + 2);

  if (text.find("cannot open shared object file") != std::string::npos) {
    text += " (a library the plugin needs is not installed or not on the library path: `ldd " +
            file + "` shows which)";
  } else if (text.find("undefined symbol") != std::string::npos) {
    text +=
        " (it was built against other versions of the libraries herald uses: rebuild it "
        "against this herald's SDK and libraries)";
  } else if (text.find("invalid ELF header") != std::string::npos ||
             text.find("file too short") != std::string::npos ||
             text.find("wrong ELF class") != std::string::npos) {
    text +=
        " (it is not a shared library for this system: point `plugin:` or the plugin "
        "folders at the plugin's built libherald-NAME.so)";
  }
  return text;
}

void check_descriptor(const std::string& file, std::uint32_t exported_abi,
                      const PluginDescriptor& d) {
  if (d.abi_version != exported_abi) {
    throw PluginError(file + " is inconsistent: it exports herald_plugin_abi " +
                      std::to_string(exported_abi) + " but its descriptor says abi_version " +
                      std::to_string(d.abi_version) +
                      ": leave PluginDescriptor::abi_version at its default and rebuild the "
                      "plugin against this herald's SDK");
  }
  if (d.name.empty()) {
    throw PluginError(file +
                      " has a plugin descriptor with an empty name: set "
                      "PluginDescriptor::name (the value used as `plugin:` in the config)");
  }
  if (!is_known_kind(d.kind)) {
    throw PluginError("plugin '" + d.name + "' (" + file + ") declares an unknown kind (" +
                      std::to_string(static_cast<int>(d.kind)) +
                      "): set PluginDescriptor::kind to store, transport, aggregate or projection");
  }
  if (!factory_for_kind_set(d)) {
    std::string message = "plugin '" + d.name + "' (" + file + ") is " + article(d.kind) + " " +
                          to_string(d.kind) + " plugin but its descriptor sets no " +
                          factory_name(d.kind) + ": set " + factory_name(d.kind);
    auto set = factories_set(d);
    if (!set.empty()) {
      // The common slip: a factory set, but `kind` left at its default (store).
      message +=
          ", or set PluginDescriptor::kind to match the factory it sets (" + join_words(set) + ")";
    }
    throw PluginError(message);
  }
}

}  // namespace

PluginLoader::PluginLoader(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}

std::vector<std::string> PluginLoader::search_path(const std::vector<std::string>& configured) {
  std::vector<std::string> path;
  std::set<std::string> seen;
  auto add = [&](const std::string& dir) {
    if (dir.empty()) return;
    std::string normal = absolute_normal(dir);
    if (seen.insert(normal).second) path.push_back(std::move(normal));
  };

  for (const auto& dir : configured) add(dir);

  if (const char* env = std::getenv(kPathVariable)) {
    std::string_view rest(env);
    while (true) {
      auto colon = rest.find(':');
      add(std::string(rest.substr(0, colon)));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }

  boost::system::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (!ec) {
    fs::path exe_dir = exe.parent_path();
    add((exe_dir / ".." / "plugins").string());
    add((exe_dir / ".." / "lib" / "herald" / "plugins").string());
  }
  return path;
}

std::vector<std::string> PluginLoader::existing_dirs() const {
  std::vector<std::string> existing;
  for (const auto& dir : dirs_) {
    if (is_directory(dir)) existing.push_back(dir);
  }
  return existing;
}

std::string PluginLoader::find(const std::string& name) const {
  const std::string file_name = file_name_for(name);
  std::vector<std::string> found;
  for (const auto& dir : existing_dirs()) {
    std::string candidate = (fs::path(dir) / file_name).string();
    boost::system::error_code ec;
    if (!fs::exists(candidate, ec)) continue;
    // One folder listed twice under different names (a symlink) is not a duplicate.
    bool seen = std::any_of(found.begin(), found.end(),
                            [&](const std::string& f) { return same_file(f, candidate); });
    if (!seen) found.push_back(std::move(candidate));
  }

  if (found.size() > 1) {
    throw PluginError("plugin '" + name + "' found more than once: " + join_words(found) +
                      ": remove all but one, or drop the extra folder from gateway.plugin_dirs "
                      "or HERALD_PLUGIN_PATH");
  }
  if (found.size() == 1) return found.front();

  std::vector<std::string> searched;
  for (const auto& dir : dirs_) {
    searched.push_back(is_directory(dir) ? dir : dir + " (no such folder)");
  }
  std::set<std::string> present;
  for (const auto& dir : existing_dirs()) {
    boost::system::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string present_name = name_from_file(it->path().filename().string());
      if (!present_name.empty()) present.insert(std::move(present_name));
    }
  }

  std::string message = "plugin '" + name + "' not found: looked for " + file_name +
                        " in: " + (searched.empty() ? "(no folders)" : join_words(searched)) +
                        " (set gateway.plugin_dirs or HERALD_PLUGIN_PATH)";
  std::vector<std::string> names(present.begin(), present.end());
  std::string close = closest_match(name, names);
  if (!close.empty()) message += "; did you mean '" + close + "'?";
  if (names.empty()) {
    message += "; no plugins are installed in those folders";
  } else if (close.empty() && names.size() <= kMaxListedPlugins) {
    message += "; plugins present: " + join_words(names);
  }
  throw PluginError(message);
}

std::shared_ptr<const LoadedPlugin> PluginLoader::open(const std::string& file) {
  const std::string key = canonical_or_self(file);
  if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;

  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->file = file;

  boost::system::error_code ec;
  // rtld_now: an undefined symbol is a clear error here, not a crash on the
  // first request that calls it. rtld_local (and no deepbind): plugins don't
  // see each other, but all share the host's one C++ runtime.
  plugin->library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local,
                       ec);
  if (ec) {
    throw PluginError("cannot load plugin library " + file + ": " +
                      dlopen_error(file, ec.message()));
  }

  // The ABI version first: until it matches, nothing else in the library is
  // known to have the layout this herald expects.
  if (!plugin->library.has(kAbiSymbol)) {
    throw PluginError(file + " is not a herald plugin: it exports no herald_plugin_abi (" +
                      kBuildHint + ")");
  }
  std::uint32_t abi = 0;
  try {
    abi = plugin->library.get_alias<std::uint32_t()>(kAbiSymbol)();
  } catch (...) {
    throw PluginError(file + ": herald_plugin_abi threw: " + current_exception_text());
  }
  if (abi != kAbiVersion) {
    throw PluginError(file + " was built for herald plugin ABI " + std::to_string(abi) +
                      ", this herald has ABI " + std::to_string(kAbiVersion) +
                      ": rebuild the plugin against this herald's SDK");
  }

  if (!plugin->library.has(kDescriptorSymbol)) {
    throw PluginError(file +
                      " is not a herald plugin: it exports herald_plugin_abi but no "
                      "herald_plugin_descriptor (" +
                      kBuildHint + ")");
  }
  try {
    plugin->descriptor = &plugin->library.get_alias<const PluginDescriptor&()>(kDescriptorSymbol)();
  } catch (...) {
    throw PluginError(file + ": herald_plugin_descriptor threw: " + current_exception_text());
  }
  check_descriptor(file, abi, *plugin->descriptor);

  // Config names the plugin by its file; a descriptor that disagrees would
  // make `plugin: foo` load something calling itself bar.
  const std::string file_name = fs::path(file).filename().string();
  const std::string name_by_file = name_from_file(file_name);
  if (!name_by_file.empty() && name_by_file != plugin->descriptor->name) {
    throw PluginError(file + " declares plugin name '" + plugin->descriptor->name +
                      "', but its file name says '" + name_by_file + "': rename the file to " +
                      file_name_for(plugin->descriptor->name) +
                      " or fix the name in its descriptor");
  }

  loaded_.emplace(key, plugin);
  return plugin;
}

std::shared_ptr<const LoadedPlugin> PluginLoader::load(const std::string& name_or_path,
                                                       PluginKind expected) {
  if (name_or_path.empty()) {
    throw PluginError(
        "empty plugin name: set `plugin:` to a plugin name (libherald-NAME.so is "
        "looked for in gateway.plugin_dirs and HERALD_PLUGIN_PATH) or a path");
  }

  std::string file;
  if (name_or_path.find('/') != std::string::npos) {
    file = absolute_normal(name_or_path);
    boost::system::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw PluginError("plugin library " + file +
                        " not found (a `plugin:` value containing '/' "
                        "is the path of the library; a bare name such as 'memory' is looked for "
                        "in gateway.plugin_dirs and HERALD_PLUGIN_PATH)");
    }
  } else {
    file = find(name_or_path);
  }

  auto plugin = open(file);
  const PluginDescriptor& d = *plugin->descriptor;
  if (d.kind != expected) {
    throw PluginError("plugin '" + d.name + "' (" + plugin->file + ") is " + article(d.kind) + " " +
                      to_string(d.kind) + " plugin, but " + what_needs(expected) +
                      "; it belongs under " + config_key(d.kind) + " (or pick " +
                      article(expected) + " " + to_string(expected) + " plugin)");
  }
  return plugin;
}

std::vector<std::shared_ptr<const LoadedPlugin>> PluginLoader::discover() {
  // File names first, in search-path order, so a name in two folders is
  // reported as such rather than as whichever library fails first.
  std::vector<std::string> files;
  for (const auto& dir : existing_dirs()) {
    std::vector<std::string> in_dir;
    boost::system::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (name_from_file(it->path().filename().string()).empty()) continue;
      boost::system::error_code file_ec;
      if (fs::is_directory(it->path(), file_ec)) continue;
      in_dir.push_back(it->path().string());
    }
    std::sort(in_dir.begin(), in_dir.end());
    for (auto& f : in_dir) {
      bool seen = std::any_of(files.begin(), files.end(),
                              [&](const std::string& g) { return same_file(f, g); });
      if (!seen) files.push_back(std::move(f));
    }
  }

  std::map<std::string, std::shared_ptr<const LoadedPlugin>> by_name;
  for (const auto& file : files) {
    auto plugin = open(file);
    auto [it, inserted] = by_name.emplace(plugin->descriptor->name, plugin);
    if (!inserted) {
      throw PluginError("plugin '" + plugin->descriptor->name +
                        "' found more than once: " + it->second->file + ", " + plugin->file +
                        ": remove all but one, or drop the extra folder from gateway.plugin_dirs "
                        "or HERALD_PLUGIN_PATH");
    }
  }

  std::vector<std::shared_ptr<const LoadedPlugin>> plugins;
  plugins.reserve(by_name.size());
  for (auto& [name, plugin] : by_name) plugins.push_back(std::move(plugin));
  return plugins;
}

}  // namespace herald::gateway
