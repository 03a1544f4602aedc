// Finds plugin libraries, checks their ABI and kind, and keeps them loaded.
//
// Used on the main thread at start-up (and by `herald plugins`); a
// PluginLoader is not thread-safe. What it hands out is immutable and may be
// shared freely.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "herald/plugin.h"

namespace herald::gateway {

// Any failure to find or accept a plugin library. The message names the file
// (or the folders searched), what was wrong and what to do.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
  std::string file;  // absolute path of the library
  boost::dll::shared_library library;
  const PluginDescriptor* descriptor = nullptr;  // lives inside `library`
};

// The file for plugin NAME is libherald-NAME.so, looked for in each folder in
// order. A `plugin:` value containing '/' is a path to the library itself
// (relative to the current directory).
class PluginLoader {
 public:
  // `dirs` is the search path, usually search_path(config.plugin_dirs).
  // Folders that do not exist are skipped but still named in "not found"
  // messages, so a typo in a folder shows.
  explicit PluginLoader(std::vector<std::string> dirs);

  // The search path: the configured folders (relative ones against the
  // current directory), then $HERALD_PLUGIN_PATH (colon-separated), then
  // <exe>/../plugins and <exe>/../lib/herald/plugins. Absolute, normalized,
  // without duplicates; includes folders that do not exist.
  static std::vector<std::string> search_path(const std::vector<std::string>& configured);

  const std::vector<std::string>& dirs() const { return dirs_; }

  // Loads (once; later calls share the library) and checks: file found in
  // exactly one folder, exports herald_plugin_abi equal to kAbiVersion (checked
  // before anything else is called), exports herald_plugin_descriptor, the
  // descriptor's name matches and its kind is `expected`. Throws PluginError.
  std::shared_ptr<const LoadedPlugin> load(const std::string& name_or_path, PluginKind expected);

  // Every libherald-*.so in the search path, loaded and checked, by name.
  // Throws PluginError for a bad library or a name found twice.
  std::vector<std::shared_ptr<const LoadedPlugin>> discover();

 private:
  // The one file for plugin `name` in the search path; throws when it is in
  // none (with a "did you mean") or in more than one.
  std::string find(const std::string& name) const;
  // Loads `file` (or returns it from the cache) and checks everything but the kind.
  std::shared_ptr<const LoadedPlugin> open(const std::string& file);
  // The folders of dirs_ that exist, in order.
  std::vector<std::string> existing_dirs() const;

  std::vector<std::string> dirs_;
  // Keyed by canonical path, so one library reached two ways is opened once.
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> loaded_;
};

// Wraps an object a plugin made so that it keeps the plugin's library loaded
// for as long as it lives (the deleter holds the library). The library is
// released only after the object's destructor, which is the plugin's code,
// has run.
template <typename T>
std::shared_ptr<T> keep_loaded(std::unique_ptr<T> object,
                               std::shared_ptr<const LoadedPlugin> plugin) {
  if (!object) return nullptr;
  T* raw = object.release();
  return std::shared_ptr<T>(raw, [plugin = std::move(plugin)](T* p) { delete p; });
}

}  // namespace herald::gateway
