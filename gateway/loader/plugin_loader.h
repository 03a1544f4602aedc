// Finds plugin libraries, checks their ABI and kind, and keeps them loaded.
#pragma once

#include <boost/dll/shared_library.hpp>
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
  std::string file;                 // absolute path of the library
  boost::dll::shared_library library;
  const PluginDescriptor* descriptor = nullptr;  // lives inside `library`
};

// The file for plugin NAME is libherald-NAME.so, looked for in each folder in
// order. A `plugin:` value containing '/' is a path to the library itself.
class PluginLoader {
 public:
  explicit PluginLoader(std::vector<std::string> dirs);

  // The search path: the configured folders (relative ones against the
  // current directory), then $HERALD_PLUGIN_PATH (colon-separated), then
  // <exe>/../plugins and <exe>/../lib/herald/plugins.
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
  std::shared_ptr<const LoadedPlugin> open(const std::string& file);
  std::vector<std::string> dirs_;
  std::vector<std::shared_ptr<const LoadedPlugin>> loaded_;
};

// Wraps an object a plugin made so that it keeps the plugin's library loaded
// for as long as it lives (the deleter holds the library).
template <typename T>
std::shared_ptr<T> keep_loaded(std::unique_ptr<T> object, std::shared_ptr<const LoadedPlugin> plugin) {
  T* raw = object.release();
  return std::shared_ptr<T>(raw, [plugin = std::move(plugin)](T* p) { delete p; });
}

}  // namespace herald::gateway
