#include "agent/job_actions.h"

#include "agent/agent_fixture.h"

namespace spotbatch {
namespace {

class JobActionsTest : public testing::AgentFixture {
 protected:
  Result<int> Abandon(const std::set<std::string>& jobs) {
    return AbandonDeadLettered(*state_, *queue_, SystemClock(), pipeline_.retry,
                               {pipeline_.queue, OnDemandQueue(pipeline_.queue)}, jobs);
  }
  // Delivers the job's message until the queue gives up on it, as workers that crash before
  // recording an attempt would.
  void ExhaustDeliveries() {
    ASSERT_TRUE(queue_->Configure(pipeline_.queue, QueueOptions{2, ""}).ok());
    for (int i = 0; i < 2; ++i) {
      auto m = queue_->Lease(pipeline_.queue, 10'000);
      ASSERT_TRUE(m.ok() && m->has_value());
      ASSERT_TRUE(queue_->Release((*m)->receipt, 0).ok());
    }
    auto none = queue_->Lease(pipeline_.queue, 10'000);
    ASSERT_TRUE(none.ok());
    ASSERT_FALSE(none->has_value()) << "the third delivery goes to the dead-letter queue";
    ASSERT_EQ(queue_->Depth(pipeline_.queue + "-dlq")->visible, 1);
  }
};

TEST_F(JobActionsTest, TaskWhoseMessageWasDeadLetteredFailsWithTheReason) {
  const std::string job = AddInput("a", "1");
  ExhaustDeliveries();
  const std::string other = AddInput("b", "2");
  EXPECT_EQ(*Abandon({job, other}), 0) << "another message is live: nothing is certain";
  auto m = queue_->Lease(pipeline_.queue, 10'000);
  ASSERT_TRUE(m.ok() && m->has_value());
  ASSERT_TRUE(queue_->Delete((*m)->receipt).ok());
  ASSERT_TRUE(state_
                  ->CommitTask(
                      [&] {
                        TaskRecord t = TaskOf(other);
                        t.state = TaskState::kSucceeded;
                        t.version += 1;
                        return t;
                      }(),
                      TaskOf(other).version, {})
                  .ok());
  EXPECT_EQ(*Abandon({job, other}), 1);
  const TaskRecord failed = TaskOf(job);
  EXPECT_EQ(failed.state, TaskState::kFailed);
  EXPECT_NE(failed.last_error.find("dead-letter"), std::string::npos);
  EXPECT_EQ(TaskOf(other).state, TaskState::kSucceeded);
  EXPECT_EQ(*Abandon({job, other}), 0) << "nothing left to abandon";
}

TEST_F(JobActionsTest, OnlyTheGivenJobsAndOnlyTasksWithASentMessage) {
  const std::string job = AddInput("a", "1");
  ExhaustDeliveries();
  EXPECT_EQ(*Abandon({}), 0) << "not a job of this run";
  EXPECT_EQ(TaskOf(job).state, TaskState::kQueued);
  // A retried task whose new message is not sent yet is waiting for it, not orphaned.
  TaskRecord pending = TaskOf(job);
  pending.enqueued = false;
  pending.version += 1;
  ASSERT_TRUE(state_->CommitTask(pending, TaskOf(job).version, {}).ok());
  EXPECT_EQ(*Abandon({job}), 0);
  EXPECT_EQ(TaskOf(job).state, TaskState::kQueued);
}

}  // namespace
}  // namespace spotbatch
