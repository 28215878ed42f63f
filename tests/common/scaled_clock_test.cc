#include "common/scaled_clock.h"

#include <gtest/gtest.h>

#include "common/fake_clock.h"

namespace spotbatch {
namespace {

TEST(ScaledClock, StartsAtTheBaseReadingAndRunsFactorTimesFaster) {
  FakeClock base(1'000'000);
  ScaledClock trace(base, 600);
  EXPECT_EQ(trace.NowUnixMillis(), 1'000'000);
  base.Advance(100);
  EXPECT_EQ(trace.NowUnixMillis(), 1'000'000 + 60'000);
  EXPECT_EQ(trace.MonotonicNanos(), base.MonotonicNanos() - 100'000'000 + 60'000'000'000);
  EXPECT_EQ(trace.FromBaseUnixMillis(1'000'050), 1'000'000 + 30'000)
      << "a time the base clock recorded, in the scaled clock's time";
}

TEST(ScaledClock, SleepsTakeTheBaseClocksShareRoundedUp) {
  FakeClock base;
  ScaledClock trace(base, 600);
  const int64_t before = base.NowUnixMillis();
  trace.SleepForMillis(120'000);
  EXPECT_EQ(base.NowUnixMillis() - before, 200);
  trace.SleepForMillis(1);
  EXPECT_EQ(base.NowUnixMillis() - before, 201) << "never a shorter wait than asked";
  EXPECT_EQ(trace.BaseMillis(0), 0);
}

TEST(ScaledClock, SlowerThanItsBaseToo) {
  FakeClock base(0);
  ScaledClock slow(base, 0.5);
  base.Advance(1'000);
  EXPECT_EQ(slow.NowUnixMillis(), 500);
  EXPECT_EQ(slow.BaseMillis(500), 1'000);
}

}  // namespace
}  // namespace spotbatch
