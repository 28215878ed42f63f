#include "agent/janitor.h"

#include "agent/agent_fixture.h"
#include "core/pipeline_keys.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

class JanitorTest : public testing::AgentFixture {};

// What a worker killed after staging (or after its successor fenced it, before dropping its
// staging) leaves behind is removed; what a live attempt or a committed checkpoint needs stays.
TEST_F(JanitorTest, RemovesWhatKilledAttemptsLeftAndKeepsWhatIsLive) {
  const std::string done = AddInput("done", "1");
  const std::string running = AddInput("running", "2");
  CommitEvent(done, EventKind::kStart, "dead1");
  CommitEvent(running, EventKind::kStart, "live1");
  // A checkpoint committed by the running attempt, and a newer one it has not committed yet.
  const std::string committed = CheckpointPrefix(running + "-0", "live1", 1);
  const std::string uncommitted = CheckpointPrefix(running + "-0", "live1", 2);
  TaskRecord t = TaskOf(running);
  TaskRecord next = t;
  next.checkpoint = committed;
  next.version = t.version + 1;
  ASSERT_TRUE(state_->CommitTask(next, t.version, {}).ok());
  for (const std::string& key :
       {StagingKey("dead1", 0), StagingKey("dead1", 1), StagingKey("live1", 0), committed + "state",
        uncommitted + "state", CheckpointPrefix(done + "-0", "dead1", 1) + "state",
        CheckpointPrefix(running + "-0", "dead0", 1) + "old"}) {
    ASSERT_TRUE(store_->Put(key, "x").ok()) << key;
  }
  CommitEvent(done, EventKind::kSucceed, "dead1");  // no outputs: SUCCEEDED at once
  ASSERT_EQ(TaskOf(done).state, TaskState::kSucceeded);

  auto report = SweepOrphans(*store_, *state_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->staging_removed, 2);
  EXPECT_EQ(report->checkpoints_removed, 2);
  EXPECT_EQ(Keys("_spotbatch/"),
            (std::vector<std::string>{committed + "state", uncommitted + "state",
                                      StagingKey("live1", 0)}));
  auto again = SweepOrphans(*store_, *state_);
  EXPECT_EQ(again->staging_removed + again->checkpoints_removed, 0);
}

// A worker that died between a task's last commit and deleting its message leaves the
// message behind, and `run` ends before any worker leases it again. The janitor deletes
// exactly the messages of finished tasks and gives the others back at once.
TEST_F(JanitorTest, DeletesMessagesOfFinishedTasksOnly) {
  const std::string done = AddInput("done", "1");
  const std::string waiting = AddInput("waiting", "2");
  CommitEvent(done, EventKind::kStart, "a1");
  CommitEvent(done, EventKind::kSucceed, "a1");  // no outputs: SUCCEEDED at once
  ASSERT_TRUE(queue_->Send(pipeline_.queue, "no-such-task", 0, 0).ok());
  ASSERT_EQ(Depth().visible, 3);
  auto deleted = DeleteSpentMessages(*queue_, *state_, {pipeline_.queue, "tasks-on-demand"});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(Depth().visible, 1) << "the waiting task's message is back at once";
  EXPECT_EQ(Depth().in_flight, 0);
  auto left = queue_->Lease(pipeline_.queue, 1000);
  ASSERT_TRUE(left.ok() && left->has_value());
  EXPECT_EQ((*left)->body, waiting + "-0");
}

TEST_F(JanitorTest, UnreadableStateDeletesNothing) {
  ASSERT_TRUE(store_->Put(StagingKey("gone", 0), "x").ok());
  FaultInjector faults;
  faults.Add({.method = "ListJobs"});
  FaultyStateStore broken(*state_, faults);
  EXPECT_EQ(SweepOrphans(*store_, broken).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Keys("_spotbatch/"), std::vector<std::string>{StagingKey("gone", 0)});
  EXPECT_EQ(SweepOrphans(*store_, *state_)->staging_removed, 1);
}

}  // namespace
}  // namespace spotbatch
