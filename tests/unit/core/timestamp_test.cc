// format_timestamp (SDK) against the C library's gmtime_r + strftime, over
// calendar edges and a spread of instants.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

#include "herald/event.h"

namespace herald {
namespace {

std::string reference(TimestampUs ts) {
  std::time_t secs = static_cast<std::time_t>(ts / 1000000);
  long micros = static_cast<long>(ts % 1000000);
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  return buf;
}

TEST(FormatTimestamp, KnownInstants) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp(951782400123456), "2000-02-29T00:00:00.123456Z");
  EXPECT_EQ(format_timestamp(4107542400000000), "2100-03-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(253402300799999999), "9999-12-31T23:59:59.999999Z");
}

TEST(FormatTimestamp, MatchesTheCLibrary) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<TimestampUs> any(-62135596800000000, 253402300799999999);
  for (int i = 0; i < 200000; ++i) {
    TimestampUs ts = any(rng);
    ASSERT_EQ(format_timestamp(ts), reference(ts)) << ts;
  }
}

}  // namespace
}  // namespace herald
