// Random edits of a JSON value, for tests that feed a plugin config (or any
// document) an operator could have mistyped: a key renamed or dropped, a
// value replaced by one of another type, a string's text edited (the
// expressions inside config strings: `$data.name`, `$event.timestamp`).
// Deterministic for a seed (support/test_seed.h), so a failing case is
// reproducible.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "herald/event.h"

namespace herald::testing {

class JsonMutator {
 public:
  explicit JsonMutator(std::uint32_t seed) : rng_(seed) {}

  // `value` after 1 to `max_edits` edits.
  Json mutate(const Json& value, int max_edits = 3) {
    Json out = value;
    const int edits = 1 + static_cast<int>(below(static_cast<std::size_t>(max_edits)));
    for (int i = 0; i < edits; ++i) edit(out);
    return out;
  }

 private:
  std::size_t below(std::size_t n) { return n == 0 ? 0 : rng_() % n; }

  // Every value in `v`, depth first, root included.
  static void collect(Json& v, std::vector<Json*>& out) {
    out.push_back(&v);
    if (v.is_object() || v.is_array()) {
      for (auto& child : v) collect(child, out);
    }
  }

  Json random_value() {
    static const std::vector<Json> kValues = {nullptr,
                                              true,
                                              false,
                                              0,
                                              -1,
                                              1.5,
                                              4294967296,
                                              "",
                                              "x",
                                              "$",
                                              "$data",
                                              "$data.",
                                              "$state.name",
                                              "$event.data.name",
                                              "$stream.id",
                                              "${",
                                              "$data.name.first",
                                              "[]",
                                              "{}",
                                              Json::array(),
                                              Json::object(),
                                              Json::array({1, "a", nullptr}),
                                              Json::object({{"a", 1}}),
                                              std::string(300, 'a')};
    return kValues[below(kValues.size())];
  }

  std::string edit_text(std::string s) {
    static constexpr char kBytes[] = "$.{}[]:-_ 0aZ\"\\";
    const char c = kBytes[below(sizeof kBytes - 1)];
    switch (below(4)) {
      case 0: s.insert(below(s.size() + 1), 1, c); break;
      case 1:
        if (!s.empty()) s.erase(below(s.size()), 1 + below(3));
        break;
      case 2:
        if (!s.empty()) s[below(s.size())] = c;
        break;
      case 3: s = s.substr(0, below(s.size() + 1)); break;
    }
    return s;
  }

  void edit(Json& root) {
    std::vector<Json*> nodes;
    collect(root, nodes);
    Json& target = *nodes[below(nodes.size())];
    switch (below(5)) {
      case 0: target = random_value(); break;
      case 1:
        if (target.is_string()) target = edit_text(target.get<std::string>());
        break;
      case 2:  // drop a member or an item
        if (target.is_object() && !target.empty()) {
          auto it = target.begin();
          std::advance(it, static_cast<long>(below(target.size())));
          target.erase(it);
        } else if (target.is_array() && !target.empty()) {
          target.erase(target.begin() + static_cast<long>(below(target.size())));
        }
        break;
      case 3:  // rename a member
        if (target.is_object() && !target.empty()) {
          auto it = target.begin();
          std::advance(it, static_cast<long>(below(target.size())));
          std::string key = edit_text(it.key());
          Json moved = std::move(it.value());
          target.erase(it);
          target[key] = std::move(moved);
        }
        break;
      case 4:  // add a member or an item
        if (target.is_object()) {
          target[edit_text("name")] = random_value();
        } else if (target.is_array()) {
          target.push_back(random_value());
        }
        break;
    }
  }

  std::mt19937 rng_;
};

}  // namespace herald::testing
