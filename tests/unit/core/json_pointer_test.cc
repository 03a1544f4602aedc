// JSON pointer tokens (SDK): escaping and unescaping round-trip.
#include <gtest/gtest.h>

#include "herald/json_pointer.h"

namespace herald {
namespace {

TEST(JsonPointerToken, EscapesTildeAndSlash) {
  EXPECT_EQ(escape_pointer_token("plain"), "plain");
  EXPECT_EQ(escape_pointer_token("a/b~c"), "a~1b~0c");
  EXPECT_EQ(escape_pointer_token("~1"), "~01");  // not a slash
  EXPECT_EQ(unescape_pointer_token("a~1b~0c"), "a/b~c");
  EXPECT_EQ(unescape_pointer_token("~01"), "~1");
  EXPECT_EQ(unescape_pointer_token("~x~"), "~x~");  // kept as written
  for (std::string s : {"", "/", "~", "~~//", "a~0/b~1"}) {
    EXPECT_EQ(unescape_pointer_token(escape_pointer_token(s)), s);
  }
}

}  // namespace
}  // namespace herald
