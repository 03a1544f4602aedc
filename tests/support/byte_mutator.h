// Random edits of bytes a client could send (a byte changed, inserted or
// dropped, a span doubled, the end cut off, a long run of one byte), for
// tests of the HTTP layer's parsers and of the connection loop. Mostly bytes
// that mean something to HTTP and JSON, sometimes any byte. Deterministic
// for a seed (support/test_seed.h).
#pragma once

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

namespace herald::testing {

class ByteMutator {
 public:
  explicit ByteMutator(std::uint32_t seed) : rng_(seed) {}

  std::string mutate(const std::string& seed) {
    std::string s = seed;
    const int edits = 1 + static_cast<int>(below(4));
    for (int i = 0; i < edits; ++i) edit(s);
    return s;
  }

 private:
  std::size_t below(std::size_t n) { return n == 0 ? 0 : rng_() % n; }

  char byte() {
    // Mostly bytes that mean something to the parsers, sometimes any byte.
    static constexpr char kSpecial[] = "\r\n :;%&=?/\"\\{}[],0123456789aFzX\t\x7f\x80\xff";
    if (below(3) == 0) return static_cast<char>(below(256));
    return kSpecial[below(sizeof kSpecial - 1)];
  }

  void edit(std::string& s) {
    switch (below(6)) {
      case 0:
        if (!s.empty()) s[below(s.size())] = byte();
        break;
      case 1: s.insert(s.begin() + static_cast<long>(below(s.size() + 1)), byte()); break;
      case 2:
        if (!s.empty()) s.erase(below(s.size()), 1 + below(3));
        break;
      case 3: {  // a span doubled
        if (s.empty()) break;
        const std::size_t at = below(s.size());
        const std::size_t n = std::min<std::size_t>(1 + below(16), s.size() - at);
        s.insert(at, s.substr(at, n));
        break;
      }
      case 4: s.resize(below(s.size() + 1)); break;  // cut short
      case 5: {                                      // a run of one byte (long lines, deep nesting)
        const std::size_t at = below(s.size() + 1);
        s.insert(at, 1 + below(300), byte());
        break;
      }
    }
  }

  std::mt19937 rng_;
};

// `bytes` as readable text for failure messages: other bytes as \xNN.
inline std::string printable(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace herald::testing
