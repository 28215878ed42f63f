// The StateStore contract: every adapter must pass these.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "core/task_machine.h"
#include "spotbatch/state_store.h"
#include "test_util.h"

namespace spotbatch::contract {

using StateStoreFactory = std::function<std::unique_ptr<StateStore>(const std::string& dir)>;

class StateStoreContract : public ::testing::TestWithParam<StateStoreFactory> {
 protected:
  void SetUp() override {
    state_ = GetParam()(dir_.path());
    ASSERT_NE(state_, nullptr);
  }
  static JobRecord Job(const std::string& id) { return {id, "in/" + id, "etag", 3, 100}; }
  static TaskRecord Task(const std::string& job) {
    TaskRecord t;
    t.id = job + "-0";
    t.job_id = job;
    t.input_key = "in/" + job;
    return t;
  }
  Transition Apply(const TaskRecord& t, EventKind kind, const std::string& token) {
    TaskEvent e;
    e.kind = kind;
    e.token = token;
    e.now_unix_millis = 1000;
    e.lease_millis = 5000;
    e.worker = "w";
    e.message = "msg";
    e.log_tail = "tail";
    if (kind == EventKind::kSucceed) e.outputs = {{"_spotbatch/staging/t/a", "out/a"}};
    auto tr = ApplyTaskEvent(t, e, RetryPolicy{});
    EXPECT_TRUE(tr.ok()) << tr.status().ToString();
    return *tr;
  }
  testing::TempDir dir_;
  std::unique_ptr<StateStore> state_;
};

TEST_P(StateStoreContract, CreateJobOnceThenAlreadyExists) {
  ASSERT_TRUE(state_->CreateJob(Job("j1"), {Task("j1")}).ok());
  EXPECT_EQ(state_->CreateJob(Job("j1"), {Task("j1")}).code(), StatusCode::kAlreadyExists);
  auto view = state_->GetJob("j1");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->job, Job("j1"));
  ASSERT_EQ(view->tasks.size(), 1u);
  EXPECT_EQ(view->tasks[0], Task("j1"));
  EXPECT_EQ(state_->GetJob("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(state_->GetTask("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(StateStoreContract, SoftCommitsAreReadBackAndSynced) {
  EXPECT_TRUE(state_->Sync().ok());  // nothing written yet
  const TaskRecord t0 = Task("j1");
  ASSERT_TRUE(state_->CreateJob(Job("j1"), {t0}).ok());
  Transition started = Apply(t0, EventKind::kStart, "a1");
  ASSERT_TRUE(
      state_->CommitTask(started.task, t0.version, started.attempts, CommitDurability::kSoft).ok());
  ASSERT_TRUE(state_->Sync().ok());
  auto read = state_->GetTask("j1-0");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, started.task);
}

TEST_P(StateStoreContract, CountTasksByState) {
  EXPECT_EQ(state_->CountTasks()->of(TaskState::kQueued), 0);
  for (const char* j : {"a", "b", "c"}) ASSERT_TRUE(state_->CreateJob(Job(j), {Task(j)}).ok());
  const TaskRecord t = *state_->GetTask("b-0");
  Transition s = Apply(t, EventKind::kStart, "tok");
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  const TaskCounts counts = *state_->CountTasks();
  EXPECT_EQ(counts.of(TaskState::kQueued), 2);
  EXPECT_EQ(counts.of(TaskState::kRunning), 1);
  EXPECT_EQ(counts.of(TaskState::kSucceeded), 0);
}

TEST_P(StateStoreContract, CommitIsConditionalOnVersion) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t0 = *state_->GetTask("j-0");
  Transition a = Apply(t0, EventKind::kStart, "a");
  Transition b = Apply(t0, EventKind::kStart, "b");
  ASSERT_TRUE(state_->CommitTask(a.task, t0.version, a.attempts).ok());
  EXPECT_EQ(state_->CommitTask(b.task, t0.version, b.attempts).code(), StatusCode::kAborted);
  EXPECT_EQ(state_->GetTask("j-0")->attempt_token, "a");
  auto attempts = state_->ListAttempts("j-0");
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].token, "a");
}

TEST_P(StateStoreContract, CheckpointPoolAndLostWorkRoundTrip) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t = *state_->GetTask("j-0");
  TaskEvent start;
  start.kind = EventKind::kStart;
  start.token = "tok";
  start.now_unix_millis = 1000;
  start.lease_millis = 5000;
  start.pool = "spot-a";
  Transition s = *ApplyTaskEvent(t, start, RetryPolicy{});
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  TaskEvent intr = start;
  intr.kind = EventKind::kInterrupt;
  intr.now_unix_millis = 3000;
  intr.checkpoint = "_spotbatch/checkpoints/j-0/tok.1/";
  intr.checkpoint_unix_millis = 2500;
  Transition i = *ApplyTaskEvent(s.task, intr, RetryPolicy{});
  ASSERT_TRUE(state_->CommitTask(i.task, s.task.version, i.attempts).ok());
  EXPECT_EQ(*state_->GetTask("j-0"), i.task);
  const auto attempts = *state_->ListAttempts("j-0");
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].pool, "spot-a");
  EXPECT_EQ(attempts[0].lost_work_millis, 500);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kInterrupted);
}

TEST_P(StateStoreContract, RoundTripsEveryTaskFieldAndFinishesAttempts) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  TaskRecord t = *state_->GetTask("j-0");
  Transition s = Apply(t, EventKind::kStart, "tok");
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  Transition done = Apply(s.task, EventKind::kSucceed, "tok");
  ASSERT_TRUE(state_->CommitTask(done.task, s.task.version, done.attempts).ok());
  EXPECT_EQ(*state_->GetTask("j-0"), done.task);
  auto attempts = state_->ListAttempts("j-0");
  ASSERT_EQ(attempts->size(), 1u);
  const AttemptRecord& a = (*attempts)[0];
  EXPECT_EQ(a.outcome, AttemptOutcome::kSucceeded);
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.worker, "w");  // kept from the start record
  EXPECT_EQ(a.started_unix_millis, 1000);
  EXPECT_EQ(a.log_tail, "tail");
}

TEST_P(StateStoreContract, CommitRequiresNextVersion) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  TaskRecord t = *state_->GetTask("j-0");
  EXPECT_EQ(state_->CommitTask(t, t.version, {}).code(), StatusCode::kInvalidArgument);
}

TEST_P(StateStoreContract, UnenqueuedTasksUntilMarked) {
  ASSERT_TRUE(state_->CreateJob(Job("a"), {Task("a")}).ok());
  ASSERT_TRUE(state_->CreateJob(Job("b"), {Task("b")}).ok());
  EXPECT_EQ(state_->ListUnenqueuedTasks()->size(), 2u);
  ASSERT_TRUE(state_->MarkEnqueued("a-0", 0).ok());
  auto left = state_->ListUnenqueuedTasks();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, "b-0");
  const TaskRecord a = *state_->GetTask("a-0");
  EXPECT_TRUE(a.enqueued);
  EXPECT_EQ(a.version, 1) << "a mark is a change: commits computed before it must re-read";
}

// Regression (issue 9): MarkEnqueued wrote without a version check, so a stale mark could
// undo a concurrent commit (a retry's new QUEUED spell then never got its message), and it
// reported success for a task that does not exist.
TEST_P(StateStoreContract, MarkEnqueuedWritesWithoutAVersionCheck) {
  ASSERT_TRUE(state_->CreateJob(Job("a"), {Task("a")}).ok());
  const TaskRecord read = *state_->GetTask("a-0");
  Transition started = Apply(read, EventKind::kStart, "t1");
  ASSERT_TRUE(state_->CommitTask(started.task, read.version, started.attempts).ok());
  EXPECT_EQ(state_->MarkEnqueued("a-0", read.version).code(), StatusCode::kAborted);
  const TaskRecord after = *state_->GetTask("a-0");
  EXPECT_EQ(after, started.task) << "a refused mark changes nothing";
  EXPECT_EQ(state_->MarkEnqueued("nope-0", 0).code(), StatusCode::kNotFound);
}

TEST_P(StateStoreContract, ListJobsInCreationOrderWithTasks) {
  for (const char* id : {"zz", "aa", "mm"})
    ASSERT_TRUE(state_->CreateJob(Job(id), {Task(id)}).ok());
  auto jobs = state_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[0].job.id, "zz");
  EXPECT_EQ((*jobs)[2].job.id, "mm");
  EXPECT_EQ((*jobs)[1].tasks.size(), 1u);
}

TEST_P(StateStoreContract, ConcurrentStartsExactlyOneWins) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t0 = *state_->GetTask("j-0");
  std::atomic<int> wins{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Transition tr = Apply(t0, EventKind::kStart, "t" + std::to_string(i));
      Status s = state_->CommitTask(tr.task, t0.version, tr.attempts);
      if (s.ok()) ++wins;
      if (s.code() == StatusCode::kAborted) ++aborted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(aborted.load(), 7);
  EXPECT_EQ(state_->ListAttempts("j-0")->size(), 1u);
}

}  // namespace spotbatch::contract
