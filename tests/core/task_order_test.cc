#include "core/task_order.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace spotbatch {
namespace {

TEST(TaskOrderTest, ParsesTheConfigSpellings) {
  EXPECT_EQ(ParseTaskOrder("fifo"), TaskOrder::kFifo);
  EXPECT_EQ(ParseTaskOrder("largest_first"), TaskOrder::kLargestFirst);
  EXPECT_EQ(ParseTaskOrder("largest-first"), std::nullopt);
  EXPECT_EQ(ParseTaskOrder(""), std::nullopt);
  EXPECT_STREQ(TaskOrderName(TaskOrder::kLargestFirst), "largest_first");
  EXPECT_STREQ(TaskOrderName(TaskOrder::kFifo), "fifo");
}

TEST(TaskOrderTest, SizeRankIsMonotoneAndBounded) {
  EXPECT_EQ(SizeRank(0), 0);
  EXPECT_EQ(SizeRank(1), 1);
  EXPECT_EQ(SizeRank(std::numeric_limits<uint64_t>::max()), kSizeRanks - 1);
  int last = 0;
  // Every size up to 64 KiB, then a geometric walk to the largest.
  for (uint64_t b = 0; b < 65536; ++b) {
    const int r = SizeRank(b);
    ASSERT_GE(r, last) << b;
    ASSERT_LT(r, kSizeRanks) << b;
    last = r;
  }
  for (uint64_t b = 65536; b < std::numeric_limits<uint64_t>::max() / 2; b += b / 7 + 1) {
    const int r = SizeRank(b);
    ASSERT_GE(r, last) << b;
    ASSERT_LT(r, kSizeRanks) << b;
    last = r;
  }
}

TEST(TaskOrderTest, SizeRankHasFourStepsPerDoubling) {
  // 1 MiB, 1.25, 1.5, 1.75, then 2 MiB: five ranks in a row.
  const uint64_t mib = 1 << 20;
  const int r = SizeRank(mib);
  EXPECT_EQ(SizeRank(mib + mib / 4), r + 1);
  EXPECT_EQ(SizeRank(mib + mib / 2), r + 2);
  EXPECT_EQ(SizeRank(mib + 3 * mib / 4), r + 3);
  EXPECT_EQ(SizeRank(2 * mib), r + 4);
  EXPECT_EQ(SizeRank(2 * mib - 1), r + 3);
}

TEST(TaskOrderTest, FifoKeepsOnePriorityPerPipeline) {
  EXPECT_EQ(QueuePriority(0, TaskOrder::kFifo, 0), 0);
  EXPECT_EQ(QueuePriority(0, TaskOrder::kFifo, 1 << 30), 0);
  EXPECT_EQ(QueuePriority(3, TaskOrder::kFifo, 5), QueuePriority(3, TaskOrder::kFifo, 5 << 20));
  EXPECT_GT(QueuePriority(1, TaskOrder::kFifo, 0), QueuePriority(0, TaskOrder::kFifo, 0));
}

TEST(TaskOrderTest, LargerInputsGoFirstWithinAPipeline) {
  EXPECT_GT(QueuePriority(0, TaskOrder::kLargestFirst, 10'000),
            QueuePriority(0, TaskOrder::kLargestFirst, 1'000));
  EXPECT_EQ(QueuePriority(0, TaskOrder::kLargestFirst, 0), 0);
}

TEST(TaskOrderTest, PipelinePriorityDominatesSize) {
  const uint64_t huge = std::numeric_limits<uint64_t>::max();
  for (int p : {-kMaxPipelinePriority, -1, 0, 1, 41, kMaxPipelinePriority - 1}) {
    // The largest input of a pipeline stays below the smallest of the next one up, whatever
    // order either uses.
    EXPECT_LT(QueuePriority(p, TaskOrder::kLargestFirst, huge),
              QueuePriority(p + 1, TaskOrder::kLargestFirst, 0))
        << p;
    EXPECT_LT(QueuePriority(p, TaskOrder::kLargestFirst, huge),
              QueuePriority(p + 1, TaskOrder::kFifo, 0))
        << p;
    EXPECT_GE(QueuePriority(p, TaskOrder::kLargestFirst, 0), QueuePriority(p, TaskOrder::kFifo, 0));
  }
}

TEST(TaskOrderTest, PrioritiesStayInsideAnInt) {
  const uint64_t huge = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(QueuePriority(std::numeric_limits<int>::max(), TaskOrder::kLargestFirst, huge),
            kMaxPipelinePriority * kSizeRanks + kSizeRanks - 1);
  EXPECT_EQ(QueuePriority(std::numeric_limits<int>::min(), TaskOrder::kFifo, 0),
            -kMaxPipelinePriority * kSizeRanks);
}

}  // namespace
}  // namespace spotbatch
