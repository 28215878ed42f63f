#include "common/time_format.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

TEST(TimeFormat, ParsesEc2Timestamps) {
  EXPECT_EQ(ParseUtcTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseUtcTimestamp("2017-09-18T08:22:00Z"), 1505722920000);
  EXPECT_EQ(ParseUtcTimestamp("2020-02-29T23:59:59.250Z"), 1583020799250);
}

TEST(TimeFormat, RefusesAnythingElse) {
  for (const char* bad : {"", "2017-09-18", "2017-09-18T08:22:00", "2017-09-18T08:22:00+01:00",
                          "2017-13-01T00:00:00Z", "2019-02-29T00:00:00Z", "2017-09-18T24:00:00Z",
                          "2017-09-18T08:22:00Zjunk", "2017-09-18T08:22:00.Z",
                          "2017-09-18 08:22:00Z", "２017-09-18T08:22:00Z"}) {
    EXPECT_FALSE(ParseUtcTimestamp(bad).has_value()) << bad;
  }
}

// Found by fuzz/imds_fuzzer: "9999-12-31T23:59:60.999Z" read as a time in year 10000, which
// the formatter writes with five digits and the parser then refuses.
TEST(TimeFormat, LeapSecondOnlyAtTheEndOfADayAndNeverPastYear9999) {
  EXPECT_EQ(ParseUtcTimestamp("2016-12-31T23:59:60Z"), ParseUtcTimestamp("2017-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseUtcTimestamp("2016-12-31T12:34:60Z").has_value());
  EXPECT_FALSE(ParseUtcTimestamp("9999-12-31T23:59:60.999Z").has_value());
  const auto last = ParseUtcTimestamp("9999-12-31T23:59:59.999Z");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(ParseUtcTimestamp(FormatUtcTimestamp(*last, true)), last);
}

TEST(TimeFormat, FormatRoundTrips) {
  EXPECT_EQ(FormatUtcTimestamp(1505722920000), "2017-09-18T08:22:00Z");
  EXPECT_EQ(FormatUtcTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcTimestamp(1505722920042, /*millis=*/true), "2017-09-18T08:22:00.042Z");
  EXPECT_EQ(ParseUtcTimestamp(FormatUtcTimestamp(1505722920042, true)), 1505722920042);
  for (int64_t t : {int64_t{951782400000}, int64_t{4102444799000}, int64_t{1764083045000}}) {
    EXPECT_EQ(ParseUtcTimestamp(FormatUtcTimestamp(t)), t);
  }
}

}  // namespace
}  // namespace spotbatch
