// add_numbers (SDK): exact integers while they fit in int64, else doubles;
// integers above INT64_MAX are read unsigned, never wrapped.
#include <gtest/gtest.h>

#include <limits>

#include "herald/json_number.h"

namespace herald {
namespace {

const Json kU64Max = Json::parse("18446744073709551615");  // held unsigned
const Json kTwoTo63 = Json::parse("9223372036854775808");  // held unsigned

TEST(AddNumbers, IntegersStayIntegersWhileTheyFit) {
  EXPECT_EQ(add_numbers(2, 3), 5);
  EXPECT_TRUE(add_numbers(2, 3).is_number_integer());
  EXPECT_EQ(add_numbers(2, 3, true), -1);
  EXPECT_EQ(add_numbers(Json::parse("5"), -7), -2);  // unsigned + signed
  EXPECT_EQ(add_numbers(kTwoTo63, -1), INT64_MAX);   // exact across the sign
  EXPECT_EQ(add_numbers(kTwoTo63, kTwoTo63, true), 0);
  EXPECT_EQ(add_numbers(INT64_MIN, kTwoTo63), 0);
}

TEST(AddNumbers, PastInt64OrWithAFloatItIsADouble) {
  Json big = add_numbers(kU64Max, 1);
  ASSERT_TRUE(big.is_number_float()) << big.dump();
  EXPECT_DOUBLE_EQ(big.get<double>(), 18446744073709551616.0);
  Json over = add_numbers(INT64_MAX, 1);
  ASSERT_TRUE(over.is_number_float());
  EXPECT_DOUBLE_EQ(over.get<double>(), 9223372036854775808.0);
  Json under = add_numbers(INT64_MIN, 1, true);
  ASSERT_TRUE(under.is_number_float());
  EXPECT_DOUBLE_EQ(under.get<double>(), -9223372036854775809.0);
  EXPECT_DOUBLE_EQ(add_numbers(1, 0.5).get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(add_numbers(1.5, 0.25, true).get<double>(), 1.25);
}

}  // namespace
}  // namespace herald
