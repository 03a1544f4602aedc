#include "config/config_document.h"

#include <fcntl.h>
#include <unistd.h>

// GCC 12 misreads yaml-cpp 0.7's node internals as dangling pointers.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop
#else
#include <yaml-cpp/yaml.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>

#include "config/env_substitution.h"
#include "config/yaml_scalar.h"
#include "herald/json_pointer.h"
#include "herald/utf8.h"

namespace herald::gateway {

namespace {

// yaml-cpp builds a cyclic node graph for a recursive alias (`&a [*a]`), and
// aliases can multiply a small file into a huge tree ("billion laughs"). Both
// are refused rather than followed until the stack or memory runs out. No
// sane config nests 100 deep or holds 200,000 values.
constexpr int kMaxDepth = 100;
constexpr std::size_t kMaxNodes = 200'000;

std::string parent_pointer(const std::string& pointer) {
  auto slash = pointer.rfind('/');
  return slash == std::string::npos ? std::string() : pointer.substr(0, slash);
}

// Callers may pass "store/config" as well as "/store/config".
std::string normalize_pointer(const std::string& pointer) {
  if (pointer.empty() || pointer.front() == '/') return pointer;
  return "/" + pointer;
}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
  auto result = strerror_r(err, buf, sizeof buf);
  if constexpr (std::is_same_v<decltype(result), char*>) {
    return result;
  } else {
    return result == 0 ? buf : "error " + std::to_string(err);
  }
}

std::string pluralize(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::string ConfigProblem::to_string() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += ":" + std::to_string(where.line);
      if (where.column > 0) out += ":" + std::to_string(where.column);
    }
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  out += message;
  if (!hint.empty()) out += " (" + hint + ")";
  if (!plugin.empty()) out += " [plugin " + plugin + "]";
  return out;
}

namespace {

std::string format_problems(const std::vector<ConfigProblem>& problems) {
  std::string file;
  for (const auto& p : problems) {
    if (!p.where.file.empty()) {
      file = p.where.file;
      break;
    }
  }
  std::string out = file.empty() ? "config: " : file + ": ";
  out += pluralize(problems.size(), "problem");
  for (const auto& p : problems) out += "\n" + p.to_string();
  return out;
}

}  // namespace

ConfigErrors::ConfigErrors(std::vector<ConfigProblem> problems)
    : std::runtime_error(format_problems(problems)), problems_(std::move(problems)) {}

// Walks the yaml-cpp node tree once, producing the JSON value and the
// location tables, and collecting every problem instead of stopping at the
// first (unset variables and duplicate keys anywhere in the file are all
// reported together).
class ConfigDocumentBuilder {
 public:
  explicit ConfigDocumentBuilder(ConfigDocument& doc) : doc_(doc) {}

  void build(const std::string& yaml) {
    if (!check_utf8(yaml)) return;
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(yaml);
    } catch (const YAML::Exception& e) {
      // e.what() repeats the position in yaml-cpp's words; msg alone reads
      // better after our own file:line:col.
      problems_.push_back({location(e.mark), "", "YAML syntax error: " + e.msg, "", ""});
      return;
    }
    if (docs.empty()) {
      doc_.root_ = Json::object();
      return;
    }
    if (docs.size() > 1) {
      problems_.push_back({location(docs[1].Mark()), "",
                           "a config file holds one YAML document, but another starts here",
                           "remove the '---' line or split the file", ""});
    }
    doc_.root_ = convert(docs.front(), "", std::nullopt, 0);
    // An empty file, or one holding only comments or `~`, is an empty config.
    if (doc_.root_.is_null()) doc_.root_ = Json::object();
  }

  // A YAML file is Unicode text: bytes that are not UTF-8 (a file saved in
  // Latin-1, a binary pasted in) are reported per line, where yaml-cpp
  // would take them as they are into keys and values that nothing can
  // print or compare.
  bool check_utf8(const std::string& yaml) {
    constexpr int kMaxReported = 10;
    int reported = 0;
    int line = 1;
    for (std::size_t start = 0; start < yaml.size() && reported < kMaxReported; ++line) {
      std::size_t end = yaml.find('\n', start);
      if (end == std::string::npos) end = yaml.size();
      const std::string_view text = std::string_view(yaml).substr(start, end - start);
      if (const std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
        problems_.push_back(
            {{doc_.file_, line, static_cast<int>(bad) + 1},
             "",
             std::string("not UTF-8 text: byte ") + byte + " starts no UTF-8 character",
             "save the file as UTF-8",
             ""});
        ++reported;
      }
      start = end + 1;
    }
    return reported == 0;
  }

  // In file order: the walk reports a map's duplicate keys before what is
  // nested above them.
  std::vector<ConfigProblem> take_problems() {
    std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
    });
    return std::move(problems_);
  }

 private:
  SourceLocation location(const YAML::Mark& mark) const {
    if (mark.line < 0) return {doc_.file_, 0, 0};
    return {doc_.file_, mark.line + 1, mark.column + 1};
  }

  void add_problem(const SourceLocation& where, const std::string& pointer, std::string message,
                   std::string hint = {}) {
    problems_.push_back(
        {where, ConfigDocument::dotted(pointer), std::move(message), std::move(hint), ""});
  }

  Json convert(const YAML::Node& node, const std::string& pointer,
               std::optional<SourceLocation> key_location, int depth) {
    SourceLocation where = location(node.Mark());
    // yaml-cpp marks an empty value (`key:` and nothing after it) where the
    // next token starts, often on a later line; the key is the better place.
    if (node.IsNull() && key_location && where.line != key_location->line) where = *key_location;
    doc_.values_[pointer] = where;

    if (depth > kMaxDepth) {
      add_problem(where, pointer, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
      return nullptr;
    }
    if (over_budget(where, pointer)) return nullptr;

    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return convert_scalar(node, pointer, where);
      case YAML::NodeType::Sequence: {
        if (!enter(node, where, pointer)) return nullptr;
        Json array = Json::array();
        std::size_t index = 0;
        for (auto item : node) {
          array.push_back(
              convert(item, pointer + "/" + std::to_string(index), std::nullopt, depth + 1));
          ++index;
        }
        open_.pop_back();
        return array;
      }
      case YAML::NodeType::Map: {
        if (!enter(node, where, pointer)) return nullptr;
        Json object = convert_map(node, pointer, depth);
        open_.pop_back();
        return object;
      }
    }
    return nullptr;
  }

  // Counts one more value (or merged entry) against kMaxNodes.
  bool over_budget(const SourceLocation& where, const std::string& pointer) {
    if (++node_count_ <= kMaxNodes) return false;
    if (!too_large_reported_) {
      add_problem(where, pointer,
                  "the config expands to more than " + std::to_string(kMaxNodes) +
                      " values (aliases repeated too often?)");
      too_large_reported_ = true;
    }
    return true;
  }

  bool is_open(const YAML::Node& node) const {
    return std::any_of(open_.begin(), open_.end(), [&](const YAML::Node& n) { return n.is(node); });
  }

  // Marks a list or map as being converted; false (and a problem) when it is
  // already, i.e. it contains itself through an alias.
  bool enter(const YAML::Node& node, const SourceLocation& where, const std::string& pointer) {
    if (is_open(node)) {
      add_problem(where, pointer, "recursive alias: this value contains itself");
      return false;
    }
    open_.push_back(node);
    return true;
  }

  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  static bool is_merge_key(const YAML::Node& key) {
    return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
  }

  // The entries of a map after YAML merge keys (`<<: *defaults`) are applied:
  // yaml-cpp 0.7 keeps `<<` as an ordinary key. Keys written in the map win
  // over merged ones, and earlier merged maps win over later ones.
  std::vector<Entry> map_entries(const YAML::Node& map, const std::string& pointer, int depth,
                                 bool report) {
    std::vector<Entry> explicit_entries;
    std::vector<YAML::Node> merges;
    std::map<std::string, int> first_line;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair, and Nodes are
      // cheap handles.
      YAML::Node key = it->first;
      YAML::Node value = it->second;
      if (is_merge_key(key)) {
        if (value.IsSequence()) {
          for (auto m : value) merges.push_back(m);
        } else {
          merges.push_back(value);
        }
        continue;
      }
      if (!key.IsScalar()) {
        if (report) {
          add_problem(location(key.Mark()), pointer, "a key must be a plain string",
                      "lists, maps and empty keys cannot be config keys");
        }
        continue;
      }
      const std::string& text = key.Scalar();
      auto [pos, inserted] = first_line.emplace(text, key.Mark().line + 1);
      if (!inserted) {
        if (report) {
          add_problem(location(key.Mark()), pointer + "/" + escape_pointer_token(text),
                      "duplicate key '" + text + "'",
                      "first defined at line " + std::to_string(pos->second));
        }
        continue;
      }
      explicit_entries.push_back({text, key, value});
    }
    for (const auto& merged : merges) {
      if (!merged.IsMap()) {
        if (report) {
          add_problem(location(merged.Mark()), pointer,
                      "a merge key '<<' takes a map or a list of maps");
        }
        continue;
      }
      if (is_open(merged)) {
        if (report) {
          add_problem(location(merged.Mark()), pointer, "recursive alias: a map merges itself");
        }
        continue;
      }
      if (depth > kMaxDepth) continue;
      // Problems inside the merged map are reported where it is defined.
      open_.push_back(merged);
      for (auto& entry : map_entries(merged, pointer, depth + 1, false)) {
        if (over_budget(location(entry.key_node.Mark()), pointer)) break;
        if (first_line.emplace(entry.key, entry.key_node.Mark().line + 1).second) {
          explicit_entries.push_back(std::move(entry));
        }
      }
      open_.pop_back();
    }
    return explicit_entries;
  }

  Json convert_map(const YAML::Node& node, const std::string& pointer, int depth) {
    Json object = Json::object();
    for (const auto& entry : map_entries(node, pointer, depth, true)) {
      std::string child = pointer + "/" + escape_pointer_token(entry.key);
      SourceLocation key_where = location(entry.key_node.Mark());
      doc_.keys_[child] = key_where;
      object[entry.key] = convert(entry.value, child, key_where, depth + 1);
    }
    return object;
  }

  Json convert_scalar(const YAML::Node& node, const std::string& pointer,
                      const SourceLocation& where) {
    EnvSubstitution sub = substitute_env(node.Scalar());
    for (const auto& error : sub.errors) add_problem(where, pointer, error.message, error.hint);
    if (sub.substituted && first_invalid_utf8(sub.text) != std::string_view::npos) {
      add_problem(where, pointer,
                  "the value is not UTF-8 text once its ${...} variables are substituted",
                  "check the environment variable's value");
      return nullptr;
    }
    const std::string& tag = node.Tag();
    // "!" marks a quoted or block scalar: always a string.
    if (tag == "?") return type_plain_scalar(sub.text, sub.substituted);
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return sub.text;
    static const std::set<std::string> kTypedTags = {
        "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null"};
    if (kTypedTags.count(tag) != 0) {
      Json typed = type_plain_scalar(sub.text, sub.substituted);
      std::string want = tag.substr(tag.rfind(':') + 1);
      bool ok = (want == "int" && typed.is_number_integer()) ||
                (want == "float" && typed.is_number()) || (want == "bool" && typed.is_boolean()) ||
                (want == "null" && typed.is_null());
      if (!ok) add_problem(where, pointer, "'" + sub.text + "' is not a valid !!" + want);
      return want == "float" && typed.is_number() ? Json(typed.get<double>()) : typed;
    }
    // Application tags (`!secret x`) mean nothing to herald; keep the text.
    return sub.text;
  }

  ConfigDocument& doc_;
  std::vector<ConfigProblem> problems_;
  std::vector<YAML::Node> open_;  // lists and maps being converted, outermost first
  std::size_t node_count_ = 0;
  bool too_large_reported_ = false;
};

ConfigDocument ConfigDocument::from_string(const std::string& yaml, const std::string& name) {
  ConfigDocument doc;
  doc.file_ = name;
  ConfigDocumentBuilder builder(doc);
  builder.build(yaml);
  auto problems = builder.take_problems();
  if (!problems.empty()) throw ConfigErrors(std::move(problems));
  return doc;
}

ConfigDocument ConfigDocument::from_file(const std::string& path) {
  auto fail = [&](int err) {
    ConfigProblem p;
    p.where.file = path;
    p.message = "cannot read config file: " + errno_text(err);
    throw ConfigErrors({p});
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      fail(err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return from_string(text, path);
}

SourceLocation ConfigDocument::locate(const std::string& pointer) const {
  std::string p = normalize_pointer(pointer);
  for (;;) {
    if (auto it = values_.find(p); it != values_.end()) return it->second;
    if (p.empty()) break;
    p = parent_pointer(p);
  }
  return {file_, 0, 0};
}

SourceLocation ConfigDocument::locate_key(const std::string& pointer) const {
  std::string p = normalize_pointer(pointer);
  for (;;) {
    if (auto it = keys_.find(p); it != keys_.end()) return it->second;
    if (auto it = values_.find(p); it != values_.end()) return it->second;
    if (p.empty()) break;
    p = parent_pointer(p);
  }
  return {file_, 0, 0};
}

std::string ConfigDocument::dotted(const std::string& pointer) {
  std::string out;
  std::string p = normalize_pointer(pointer);
  std::size_t pos = 0;
  while (pos < p.size()) {
    std::size_t next = p.find('/', pos + 1);
    if (next == std::string::npos) next = p.size();
    std::string segment = unescape_pointer_token(p.substr(pos + 1, next - pos - 1));
    pos = next;
    bool index = !segment.empty() && std::all_of(segment.begin(), segment.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; });
    // Keys that would make the dotted path ambiguous are quoted.
    bool plain = !segment.empty() && segment.find_first_of(".[]\" ") == std::string::npos;
    if (index) {
      out += "[" + segment + "]";
    } else if (plain) {
      if (!out.empty()) out += ".";
      out += segment;
    } else {
      out += "[" + Json(segment).dump() + "]";
    }
  }
  return out;
}

ConfigProblem ConfigDocument::problem(const std::string& base, const ConfigIssue& issue,
                                      const std::string& plugin) const {
  std::string pointer = normalize_pointer(base);
  if (!pointer.empty() && pointer.back() == '/') pointer.pop_back();
  if (!issue.path.empty()) {
    if (issue.path.front() != '/') pointer += '/';
    pointer += issue.path;
  }
  // The key is where a reader looks for a setting (and where "unknown key"
  // must point); a missing key falls back to its nearest present ancestor.
  return {locate_key(pointer), dotted(pointer), issue.message, issue.hint, plugin};
}

}  // namespace herald::gateway
