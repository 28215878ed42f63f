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

}  // namespace
}  // namespace spotbatch
