#include "agent/queue_work_source.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_state_store.h"
#include "adapters/memory/memory_task_queue.h"
#include "common/fake_clock.h"
#include "core/task_machine.h"

namespace spotbatch {
namespace {

class QueueWorkSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<TaskRecord> tasks;
    for (int i = 0; i < 4; ++i) {
      TaskRecord t;
      t.id = "t" + std::to_string(i);
      t.job_id = "j";
      t.index = i;
      tasks.push_back(t);
    }
    ASSERT_TRUE(state_.CreateJob(JobRecord{"j", "in/x", "", 0, 0}, tasks).ok());
  }
  void Move(const std::string& id, TaskState to) {
    TaskRecord t = *state_.GetTask(id);
    const int64_t v = t.version;
    t.state = to;
    t.version = v + 1;
    ASSERT_TRUE(state_.CommitTask(t, v, {}).ok());
  }
  FakeClock clock_;
  MemoryStateStore state_;
  MemoryTaskQueue queue_{clock_};
};

TEST_F(QueueWorkSourceTest, CountsQueuedRunningAndTheOnDemandBacklog) {
  ASSERT_TRUE(queue_.Send(OnDemandQueue("tasks"), "t0", 0, 0).ok());
  Move("t1", TaskState::kRunning);
  Move("t2", TaskState::kPublishing);
  QueueWorkSource source(state_, queue_, "tasks", clock_, 12345);
  auto w = source.Work();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->queued, 2);
  EXPECT_EQ(w->running, 2) << "publishing tasks are in flight too";
  EXPECT_EQ(w->left, 4);
  EXPECT_EQ(w->on_demand_only, 1);
  EXPECT_EQ(w->deadline_unix_millis, 12345);
  EXPECT_EQ(w->mean_done_task_seconds, 0) << "nothing finished yet";
  EXPECT_FALSE(w->longest_first);
  QueueWorkSource largest_first(state_, queue_, "tasks", clock_, 0, TaskOrder::kLargestFirst);
  EXPECT_TRUE(largest_first.Work()->longest_first) << "the policy's margin depends on it";
}

TEST_F(QueueWorkSourceTest, MeasuresTheMeanTaskTimeByLittlesLaw) {
  QueueWorkSource source(state_, queue_, "tasks", clock_, 0);
  Move("t0", TaskState::kRunning);
  Move("t1", TaskState::kRunning);
  ASSERT_TRUE(source.Work().ok());
  clock_.Advance(60'000);  // two tasks ran for a minute each; both finish
  Move("t0", TaskState::kSucceeded);
  Move("t1", TaskState::kFailed);
  auto w = source.Work();
  ASSERT_TRUE(w.ok());
  EXPECT_DOUBLE_EQ(w->mean_done_task_seconds, 60);
  EXPECT_DOUBLE_EQ(w->remaining_hours, 2 * 60 / 3600.0) << "two tasks left at the mean";
  Move("t2", TaskState::kRunning);
  ASSERT_TRUE(source.Work().ok());  // readings come far more often than tasks end
  clock_.Advance(120'000);
  Move("t2", TaskState::kSucceeded);
  w = source.Work();
  EXPECT_DOUBLE_EQ(w->mean_done_task_seconds, 80) << "(60 + 60 + 120) / 3";
}

}  // namespace
}  // namespace spotbatch
