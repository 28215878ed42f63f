#include "apps/progress.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace spotbatch {
namespace {

TEST(Progress, PlainLinesAtMostEveryFiveSecondsWhenNotATerminal) {
  testing::TempDir dir;
  FILE* out = std::fopen((dir / "p.txt").c_str(), "w");
  ASSERT_NE(out, nullptr);
  Progress p(out);
  p.Update({10, 0, 2, 8, 0}, 0);
  p.Update({10, 3, 2, 5, 0}, 1000);  // too soon: not printed
  p.Update({10, 6, 2, 1, 1}, 6000);
  p.Finish({10, 9, 0, 0, 1}, 8000);
  std::fclose(out);
  EXPECT_EQ(testing::ReadFile(dir / "p.txt"),
            "progress: 0/10 done, 2 running, 8 queued, 0 failed, 0.0/s, ETA -\n"
            "progress: 6/10 done, 2 running, 1 queued, 1 failed, 1.2/s, ETA 0:02\n"
            "progress: 9/10 done, 0 running, 0 queued, 1 failed, 1.2/s, ETA -\n");
}

TEST(NextLookMillis, AQuarterOfTheExpectedRestWithinBounds) {
  // 1,000 of 2,000 finished in 1 s: the rest should take 1 s, so look again in 250 ms.
  EXPECT_EQ(NextLookMillis({2000, 1000, 2, 998, 0}, 0, 1000), 250);
  // 1,900 finished in 1 s (failures count too): 53 ms left, look in 13 ms.
  EXPECT_EQ(NextLookMillis({2000, 1800, 2, 98, 100}, 0, 1000), 13);
  // Nearly done: never more often than the minimum.
  EXPECT_EQ(NextLookMillis({2000, 1999, 1, 0, 0}, 0, 1000), kMinLookMillis);
  // A long run: never less often than the maximum.
  EXPECT_EQ(NextLookMillis({100000, 10, 2, 99988, 0}, 0, 60000), kMaxLookMillis);
}

TEST(NextLookMillis, RateCountsOnlyWhatFinishedSinceTheFirstLook) {
  // 500 were finished at the first look; 500 more in 2 s, 1,000 to go: 4 s, capped.
  EXPECT_EQ(NextLookMillis({2000, 1000, 0, 1000, 0}, 500, 2000), kMaxLookMillis);
  // 100 more in 1 s, 40 to go: 400 ms left, look in 100 ms.
  EXPECT_EQ(NextLookMillis({1000, 960, 0, 40, 0}, 860, 1000), 100);
}

TEST(NextLookMillis, WithoutARateLooksOftenEarlyAndLessAsTheWaitGrows) {
  EXPECT_EQ(NextLookMillis({10, 0, 10, 0, 0}, 0, 0), kMinLookMillis);
  EXPECT_EQ(NextLookMillis({10, 0, 10, 0, 0}, 0, 400), 100);
  EXPECT_EQ(NextLookMillis({10, 0, 10, 0, 0}, 0, 60000), kMaxLookMillis);
  EXPECT_EQ(NextLookMillis({10, 10, 0, 0, 0}, 10, 60000), kMinLookMillis) << "all finished";
}

}  // namespace
}  // namespace spotbatch
