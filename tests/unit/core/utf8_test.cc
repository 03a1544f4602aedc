// The SDK's strict UTF-8 decoder (herald/utf8.h), which aggregate ids and the
// document projection's case folding both use.
#include "herald/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace herald {
namespace {

TEST(DecodeUtf8, ReadsOneCodePointOfEachLength) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  EXPECT_EQ(decode_utf8(text, 0), (std::pair<char32_t, std::size_t>{U'a', 1}));
  EXPECT_EQ(decode_utf8(text, 1), (std::pair<char32_t, std::size_t>{U'\u00E9', 2}));
  EXPECT_EQ(decode_utf8(text, 3), (std::pair<char32_t, std::size_t>{U'\u20AC', 3}));
  EXPECT_EQ(decode_utf8(text, 6), (std::pair<char32_t, std::size_t>{U'\U0001F600', 4}));
}

TEST(DecodeUtf8, RefusesWhatIsNotUtf8) {
  for (const std::string bad : {"\xFF", "\x80", "\xC3", "\xC3(", "\xC0\xAF", "\xE0\x80\xAF",
                                "\xF0\x80\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
    EXPECT_EQ(decode_utf8(bad, 0).second, 0u) << ::testing::PrintToString(bad);
  }
}

}  // namespace
}  // namespace herald
