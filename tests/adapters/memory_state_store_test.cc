#include "adapters/memory/memory_state_store.h"

#include "contract/state_store_contract.h"

namespace spotbatch {
namespace {

// The directory is ignored: nothing is stored on disk. Another connection is another handle
// on the same records.
const contract::StateStoreAdapter kMemory{
    "adapter", [](const std::string&) { return std::make_unique<MemoryStateStore>(); },
    [](StateStore& first, const std::string&) -> std::unique_ptr<StateStore> {
      return static_cast<MemoryStateStore&>(first).Connect();
    }};

using contract::StateStoreContract;
INSTANTIATE_TEST_SUITE_P(Memory, StateStoreContract, ::testing::Values(kMemory),
                         contract::AdapterName);

TEST(MemoryStateStore, CommitKeepsTheTaskInItsJob) {
  // A commit writes everything but the task's identity, as the SQLite store does: the task
  // stays listed under its job whatever the record it is given says.
  MemoryStateStore state;
  TaskRecord t;
  t.id = "j-0";
  t.job_id = "j";
  t.input_key = "in/j";
  ASSERT_TRUE(state.CreateJob({"j", "in/j", "e", 1, 2}, {t}).ok());
  TaskRecord next = t;
  next.version = 1;
  next.job_id = "elsewhere";
  next.input_key = "in/elsewhere";
  next.last_error = "written";
  ASSERT_TRUE(state.CommitTask(next, 0, {}).ok());
  const TaskRecord stored = *state.GetTask("j-0");
  EXPECT_EQ(stored.job_id, "j");
  EXPECT_EQ(stored.input_key, "in/j");
  EXPECT_EQ(stored.last_error, "written");
  EXPECT_EQ(state.GetJob("j")->tasks.size(), 1u);
}

TEST(MemoryStateStore, CountsFollowEveryChange) {
  MemoryStateStore state;
  std::vector<TaskRecord> tasks(3);
  for (int i = 0; i < 3; ++i) {
    tasks[i].id = "j-" + std::to_string(i);
    tasks[i].job_id = "j";
    tasks[i].index = i;
  }
  ASSERT_TRUE(state.CreateJob({"j", "in/j", "e", 1, 2}, tasks).ok());
  TaskRecord done = tasks[1];
  done.version = 1;
  done.state = TaskState::kSucceeded;
  ASSERT_TRUE(state.CommitTask(done, 0, {}).ok());
  ASSERT_TRUE(state.MarkEnqueued("j-0", 0).ok());
  const TaskCounts counts = *state.CountTasks();
  EXPECT_EQ(counts.of(TaskState::kQueued), 2);
  EXPECT_EQ(counts.of(TaskState::kSucceeded), 1);
  EXPECT_EQ(state.ListUnenqueuedTasks()->size(), 1u);
}

}  // namespace
}  // namespace spotbatch
