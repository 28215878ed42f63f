#include "adapters/memory/memory_task_queue.h"

#include "contract/task_queue_contract.h"

namespace spotbatch {
namespace {

// The directory is ignored: nothing is stored on disk. Another connection is another handle
// on the same queues.
const contract::TaskQueueAdapter kMemory{
    "adapter",
    [](const std::string&, Clock& clock) { return std::make_unique<MemoryTaskQueue>(clock); },
    [](TaskQueue& first, const std::string&, Clock&) -> std::unique_ptr<TaskQueue> {
      return static_cast<MemoryTaskQueue&>(first).Connect();
    }};

using contract::TaskQueueContract;
INSTANTIATE_TEST_SUITE_P(Memory, TaskQueueContract, ::testing::Values(kMemory),
                         contract::AdapterName);

TEST(MemoryTaskQueue, IdsAndReceiptsAreDeterministic) {
  auto run = [] {
    FakeClock clock;
    MemoryTaskQueue queue(clock);
    std::vector<std::string> seen;
    for (const char* body : {"a", "b"}) seen.push_back(*queue.Send("q", body, 0, 0));
    for (int i = 0; i < 2; ++i) {
      auto m = **queue.Lease("q", 10);
      seen.push_back(m.id + " " + m.receipt);
    }
    clock.Advance(11);
    seen.push_back((**queue.Lease("q", 10)).receipt);
    return seen;
  };
  const std::vector<std::string> first = run();
  EXPECT_EQ(first, run());
  EXPECT_EQ(first, (std::vector<std::string>{"1", "2", "1 1.1", "2 2.2", "1.3"}));
}

TEST(MemoryTaskQueue, ManyMessagesLeaseInPriorityThenSendOrder) {
  // Exercises the indexes with more messages than the contract suite does.
  FakeClock clock;
  MemoryTaskQueue queue(clock);
  constexpr int kMessages = 10'000;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(queue.Send("q", std::to_string(i), i % 3, i % 2 ? 0 : 5).ok());
  }
  EXPECT_EQ(queue.Depth("q")->visible, kMessages / 2);
  EXPECT_EQ(queue.Depth("q")->delayed, kMessages / 2);
  clock.Advance(5);
  int last_priority = 3, last_index = -1;
  for (int n = 0; n < kMessages; ++n) {
    auto m = queue.Lease("q", 1000);
    ASSERT_TRUE(m.ok() && m->has_value());
    const int index = std::stoi((*m)->body);
    const int priority = index % 3;
    ASSERT_LE(priority, last_priority);
    if (priority == last_priority) {
      ASSERT_GT(index, last_index);
    }
    last_priority = priority;
    last_index = index;
    ASSERT_TRUE(queue.Delete((*m)->receipt).ok());
  }
  EXPECT_FALSE(queue.Lease("q", 1000)->has_value());
}

}  // namespace
}  // namespace spotbatch
