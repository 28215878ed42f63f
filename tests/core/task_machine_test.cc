#include "core/task_machine.h"

#include <gtest/gtest.h>

#include "core/capacity_trace.h"
#include "core/fleet_plan.h"
#include "core/interruption.h"
#include "core/restart_policy.h"

namespace spotbatch {
namespace {

constexpr int64_t kNow = 1'000'000;

TaskRecord Queued() {
  TaskRecord t;
  t.id = "job-0";
  t.job_id = "job";
  t.input_key = "in/a";
  t.enqueued = true;
  return t;
}

TaskEvent Ev(EventKind kind, const std::string& token, int64_t now = kNow) {
  TaskEvent e;
  e.kind = kind;
  e.token = token;
  e.now_unix_millis = now;
  e.lease_millis = 60'000;
  e.worker = "w1";
  return e;
}

TaskRecord Running(const std::string& token = "a1") {
  auto tr = ApplyTaskEvent(Queued(), Ev(EventKind::kStart, token), RetryPolicy{});
  EXPECT_TRUE(tr.ok());
  return tr->task;
}

TEST(TaskMachine, OnlyRedoableChangesMayBeLostToPowerLoss) {
  for (EventKind k : {EventKind::kStart, EventKind::kHeartbeat, EventKind::kRelease}) {
    EXPECT_EQ(DurabilityOf(Ev(k, "a1")), CommitDurability::kSoft);
  }
  EXPECT_EQ(DurabilityOf(Ev(EventKind::kSucceed, "a1")), CommitDurability::kSoft);
  TaskEvent with_outputs = Ev(EventKind::kSucceed, "a1");
  with_outputs.outputs = {{"_spotbatch/staging/a1.0", "out/a/x"}};
  EXPECT_EQ(DurabilityOf(with_outputs), CommitDurability::kDurable);
  for (EventKind k : {EventKind::kPublished, EventKind::kFail, EventKind::kTimeout,
                      EventKind::kInterrupt, EventKind::kCancel, EventKind::kRetry}) {
    EXPECT_EQ(DurabilityOf(Ev(k, "a1")), CommitDurability::kDurable);
  }
}

// The uploads an attempt leaves unfinished stay with the task until one succeeds: set by the
// events that carry them, kept by those that do not, through the next start, cleared by a
// success.
TEST(TaskMachine, PendingUploadsFollowTheTaskUntilItSucceeds) {
  const std::vector<PendingUpload> one = {{"out/a/x", "_spotbatch/staging/a1/0", "u1", 5 << 20}};
  const std::vector<PendingUpload> two = {one[0], {"out/a/y", "_spotbatch/staging/a1/1", "u2", 0}};
  TaskEvent beat = Ev(EventKind::kHeartbeat, "a1");
  beat.uploads = one;
  auto tr = ApplyTaskEvent(Running(), beat, RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.uploads, one);
  tr = ApplyTaskEvent(tr->task, Ev(EventKind::kHeartbeat, "a1"), RetryPolicy{});
  EXPECT_EQ(tr->task.uploads, one) << "a heartbeat without uploads keeps them";
  for (EventKind k :
       {EventKind::kInterrupt, EventKind::kRelease, EventKind::kFail, EventKind::kTimeout}) {
    TaskEvent end = Ev(k, "a1");
    end.uploads = two;
    auto ended = ApplyTaskEvent(tr->task, end, RetryPolicy{});
    ASSERT_TRUE(ended.ok()) << static_cast<int>(k);
    EXPECT_EQ(ended->task.uploads, two) << static_cast<int>(k);
    auto next =
        ApplyTaskEvent(ended->task, Ev(EventKind::kStart, "a2", kNow + 3'600'000), RetryPolicy{});
    ASSERT_TRUE(next.ok()) << next.status().message();
    EXPECT_EQ(next->task.uploads, two) << "the next attempt starts with them";
  }
  TaskEvent succeed = Ev(EventKind::kSucceed, "a1");
  succeed.outputs = {{"_spotbatch/staging/a1/0", "out/a/x"}};
  auto done = ApplyTaskEvent(tr->task, succeed, RetryPolicy{});
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->task.uploads.empty());
}

// Regression (issue 9): a release spent no budget, so a fault that recurs on every delivery
// (a full disk, an input that cannot be staged) cycled the task up to the queue's delivery
// limit. Releases now have their own budget, and a fault's release waits out the backoff.
TEST(TaskMachine, ErrorsThatCostNothingLoop) {
  RetryPolicy policy;
  policy.max_releases = 3;
  policy.backoff = {1000, 60'000};
  TaskRecord t = Running("a1");
  for (int i = 1; i <= 3; ++i) {
    TaskEvent release = Ev(EventKind::kRelease, t.attempt_token);
    release.fault = true;
    release.jitter = 0;
    release.message = "cannot stage input in/a: RESOURCE_EXHAUSTED: No space left on device";
    auto tr = ApplyTaskEvent(t, release, policy);
    ASSERT_TRUE(tr.ok()) << tr.status().message();
    EXPECT_EQ(tr->task.releases, i);
    ASSERT_EQ(tr->attempts.size(), 1u);
    EXPECT_EQ(tr->attempts[0].outcome, AttemptOutcome::kReleased);
    if (i < 3) {
      EXPECT_EQ(tr->task.state, TaskState::kQueued);
      // Equal jitter at 0: half of base * 2^(i-1).
      EXPECT_EQ(tr->task.not_before_unix_millis, kNow + (500 << (i - 1)));
      EXPECT_EQ(tr->durability, CommitDurability::kSoft);
      auto again = ApplyTaskEvent(
          tr->task,
          Ev(EventKind::kStart, "a" + std::to_string(i + 1), tr->task.not_before_unix_millis),
          policy);
      ASSERT_TRUE(again.ok());
      t = again->task;
    } else {
      EXPECT_EQ(tr->task.state, TaskState::kFailed);
      EXPECT_NE(tr->task.last_error.find("handed back 3 times"), std::string::npos);
      EXPECT_NE(tr->task.last_error.find("No space left on device"), std::string::npos);
      EXPECT_EQ(tr->durability, CommitDurability::kDurable) << "a task that ends stays ended";
      EXPECT_EQ(tr->task.app_failures, 0) << "the command never failed";
    }
  }
}

TEST(TaskMachine, StopReleaseComesBackAtOnceButCountsAndRetryResetsIt) {
  TaskEvent stop = Ev(EventKind::kRelease, "a1");
  auto tr = ApplyTaskEvent(Running("a1"), stop, RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.not_before_unix_millis, 0);
  EXPECT_EQ(tr->task.releases, 1);
  RetryPolicy unlimited;
  unlimited.max_releases = -1;
  TaskRecord failed = tr->task;
  failed.state = TaskState::kFailed;
  auto retried = ApplyTaskEvent(failed, Ev(EventKind::kRetry, ""), unlimited);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->task.releases, 0);
}

TEST(TaskMachine, StartLeasesTaskAndRecordsAttempt) {
  auto tr = ApplyTaskEvent(Queued(), Ev(EventKind::kStart, "a1"), RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kRunning);
  EXPECT_EQ(tr->task.attempt_token, "a1");
  EXPECT_EQ(tr->task.attempts, 1);
  EXPECT_EQ(tr->task.version, 1);
  EXPECT_EQ(tr->task.lease_expires_unix_millis, kNow + 60'000);
  ASSERT_EQ(tr->attempts.size(), 1u);
  EXPECT_EQ(tr->attempts[0].number, 1);
  EXPECT_EQ(tr->attempts[0].outcome, AttemptOutcome::kRunning);
  EXPECT_EQ(tr->attempts[0].worker, "w1");
}

TEST(TaskMachine, StartRefusedWhileAnotherAttemptHoldsLease) {
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kStart, "a2", kNow + 1000), RetryPolicy{});
  ASSERT_FALSE(tr.ok());
  EXPECT_EQ(tr.status().code(), StatusCode::kFailedPrecondition);
}

TEST(TaskMachine, StartAfterLeaseExpiryMarksPreviousAttemptLost) {
  auto tr =
      ApplyTaskEvent(Running("a1"), Ev(EventKind::kStart, "a2", kNow + 61'000), RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kRunning);
  EXPECT_EQ(tr->task.attempt_token, "a2");
  EXPECT_EQ(tr->task.lost, 1);
  EXPECT_EQ(tr->task.app_failures, 0);
  ASSERT_EQ(tr->attempts.size(), 2u);
  EXPECT_EQ(tr->attempts[0].token, "a1");
  EXPECT_EQ(tr->attempts[0].outcome, AttemptOutcome::kLost);
  EXPECT_EQ(tr->attempts[1].token, "a2");
}

TEST(TaskMachine, LostBudgetSpentFailsTask) {
  RetryPolicy policy;
  policy.max_lost = 1;
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kStart, "a2", kNow + 61'000), policy);
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kFailed);
  EXPECT_NE(tr->task.last_error.find("lost"), std::string::npos);
  EXPECT_EQ(tr->durability, CommitDurability::kDurable) << "a start that fails the task";
}

// Committed soft and made durable by the worker in batches (StateStore::Sync): making each
// one durable cost an fdatasync per short task. A success with outputs, and the publish that
// ends it, are durable.
TEST(TaskMachine, ASuccessWithoutOutputsEndsTheTaskInASoftCommit) {
  auto done = ApplyTaskEvent(Running("a1"), Ev(EventKind::kSucceed, "a1"), RetryPolicy{});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->task.state, TaskState::kSucceeded);
  EXPECT_EQ(done->durability, CommitDurability::kSoft);
  TaskEvent with_outputs = Ev(EventKind::kSucceed, "a1");
  with_outputs.outputs = {{"_spotbatch/staging/a1.0", "out/a/x"}};
  auto staged = ApplyTaskEvent(Running("a1"), with_outputs, RetryPolicy{});
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(staged->durability, CommitDurability::kDurable);
  auto published = ApplyTaskEvent(staged->task, Ev(EventKind::kPublished, "a1"), RetryPolicy{});
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->task.state, TaskState::kSucceeded);
  EXPECT_EQ(published->durability, CommitDurability::kDurable);
}

TEST(TaskMachine, SucceedStagesOutputsThenPublishedSucceeds) {
  TaskEvent e = Ev(EventKind::kSucceed, "a1");
  e.outputs = {{"_spotbatch/staging/a1/x", "out/a/x"}};
  auto tr = ApplyTaskEvent(Running("a1"), e, RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kPublishing);
  EXPECT_EQ(tr->task.outputs, e.outputs);
  EXPECT_EQ(tr->attempts.at(0).outcome, AttemptOutcome::kSucceeded);
  auto done = ApplyTaskEvent(tr->task, Ev(EventKind::kPublished, "a1"), RetryPolicy{});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->task.state, TaskState::kSucceeded);
  EXPECT_EQ(done->task.version, tr->task.version + 1);
}

TEST(TaskMachine, SucceedWithoutOutputsSucceedsAtOnce) {
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kSucceed, "a1"), RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kSucceeded);
}

TEST(TaskMachine, StaleAttemptCannotCommitAnything) {
  const TaskRecord t = Running("a2");
  for (EventKind kind : {EventKind::kSucceed, EventKind::kFail, EventKind::kHeartbeat,
                         EventKind::kInterrupt, EventKind::kRelease, EventKind::kTimeout}) {
    auto tr = ApplyTaskEvent(t, Ev(kind, "a1"), RetryPolicy{});
    ASSERT_FALSE(tr.ok()) << static_cast<int>(kind);
    EXPECT_EQ(tr.status().code(), StatusCode::kFailedPrecondition);
  }
}

TEST(TaskMachine, FailureRequeuesWithBackoffUntilBudgetSpent) {
  RetryPolicy policy;
  policy.max_attempts = 2;
  policy.backoff = {1000, 60000};
  TaskEvent fail = Ev(EventKind::kFail, "a1");
  fail.jitter = 0.0;
  auto first = ApplyTaskEvent(Running("a1"), fail, policy);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->task.state, TaskState::kQueued);
  EXPECT_EQ(first->task.app_failures, 1);
  EXPECT_EQ(first->task.not_before_unix_millis, kNow + 500);  // half of 1 s, jitter 0
  EXPECT_EQ(first->attempts.at(0).outcome, AttemptOutcome::kFailed);

  auto restarted = ApplyTaskEvent(first->task, Ev(EventKind::kStart, "a2", kNow + 600), policy);
  ASSERT_TRUE(restarted.ok());
  fail.token = "a2";
  auto second = ApplyTaskEvent(restarted->task, fail, policy);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->task.state, TaskState::kFailed);
  EXPECT_EQ(second->task.app_failures, 2);
}

TEST(TaskMachine, StartRefusedDuringBackoff) {
  TaskRecord t = Queued();
  t.not_before_unix_millis = kNow + 10;
  EXPECT_FALSE(ApplyTaskEvent(t, Ev(EventKind::kStart, "a1"), RetryPolicy{}).ok());
  EXPECT_TRUE(ApplyTaskEvent(t, Ev(EventKind::kStart, "a1", kNow + 10), RetryPolicy{}).ok());
}

TEST(TaskMachine, TimeoutSpendsApplicationBudget) {
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kTimeout, "a1"), RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.app_failures, 1);
  EXPECT_EQ(tr->attempts.at(0).outcome, AttemptOutcome::kTimedOut);
}

TEST(TaskMachine, InterruptionRequeuesAtOnceWithoutSpendingFailureBudget) {
  RetryPolicy policy;
  policy.max_attempts = 1;
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kInterrupt, "a1"), policy);
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kQueued);
  EXPECT_EQ(tr->task.not_before_unix_millis, 0);
  EXPECT_EQ(tr->task.interruptions, 1);
  EXPECT_EQ(tr->task.app_failures, 0);
  EXPECT_EQ(tr->attempts.at(0).outcome, AttemptOutcome::kInterrupted);
}

TEST(TaskMachine, InterruptionBudgetWhenLimited) {
  RetryPolicy policy;
  policy.max_interruptions = 1;
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kInterrupt, "a1"), policy);
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kFailed);
}

TEST(TaskMachine, ReleaseSpendsNoBudget) {
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kRelease, "a1"), RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kQueued);
  EXPECT_EQ(tr->task.app_failures + tr->task.interruptions + tr->task.lost, 0);
  EXPECT_EQ(tr->attempts.at(0).outcome, AttemptOutcome::kReleased);
}

TEST(TaskMachine, CancelRunningTaskEndsAttempt) {
  auto tr = ApplyTaskEvent(Running("a1"), Ev(EventKind::kCancel, "a1"), RetryPolicy{});
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->task.state, TaskState::kCancelled);
  EXPECT_EQ(tr->attempts.at(0).outcome, AttemptOutcome::kCancelled);
  EXPECT_FALSE(ApplyTaskEvent(tr->task, Ev(EventKind::kCancel, ""), RetryPolicy{}).ok());
}

TEST(TaskMachine, AbandonFailsQueuedOrRunningTasksOnly) {
  TaskEvent abandon = Ev(EventKind::kAbandon, "a1");
  abandon.message = "dead-lettered";
  auto queued = ApplyTaskEvent(Queued(), abandon, RetryPolicy{});
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->task.state, TaskState::kFailed);
  EXPECT_EQ(queued->task.last_error, "dead-lettered");
  EXPECT_TRUE(queued->attempts.empty());
  auto running = ApplyTaskEvent(Running("a1"), abandon, RetryPolicy{});
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->task.state, TaskState::kFailed);
  EXPECT_EQ(running->attempts.at(0).outcome, AttemptOutcome::kLost);
  EXPECT_EQ(DurabilityOf(abandon), CommitDurability::kDurable);
  // Committed outputs are finished by publishing, never failed; finished tasks stay so.
  TaskEvent succeed = Ev(EventKind::kSucceed, "a1");
  succeed.outputs = {{"_spotbatch/staging/a1.0", "out/a"}};
  auto publishing = ApplyTaskEvent(Running("a1"), succeed, RetryPolicy{});
  ASSERT_EQ(publishing->task.state, TaskState::kPublishing);
  EXPECT_FALSE(ApplyTaskEvent(publishing->task, abandon, RetryPolicy{}).ok());
  EXPECT_FALSE(ApplyTaskEvent(queued->task, abandon, RetryPolicy{}).ok());
}

TEST(TaskMachine, RetryResetsBudgetsAndNeedsEnqueue) {
  RetryPolicy policy;
  policy.max_attempts = 1;
  auto failed = ApplyTaskEvent(Running("a1"), Ev(EventKind::kFail, "a1"), policy);
  ASSERT_EQ(failed->task.state, TaskState::kFailed);
  auto retried = ApplyTaskEvent(failed->task, Ev(EventKind::kRetry, ""), policy);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->task.state, TaskState::kQueued);
  EXPECT_EQ(retried->task.app_failures, 0);
  EXPECT_FALSE(retried->task.enqueued);
  EXPECT_FALSE(ApplyTaskEvent(Queued(), Ev(EventKind::kRetry, ""), policy).ok());
}

TEST(TaskMachine, DeliveryDecisions) {
  TaskRecord t = Queued();
  EXPECT_EQ(DecideDelivery(t, kNow).action, DeliveryAction::kStart);
  t.not_before_unix_millis = kNow + 300;
  EXPECT_EQ(DecideDelivery(t, kNow).action, DeliveryAction::kDelay);
  EXPECT_EQ(DecideDelivery(t, kNow).delay_millis, 300);
  TaskRecord r = Running("a1");
  const Delivery live = DecideDelivery(r, kNow + 100);
  EXPECT_EQ(live.action, DeliveryAction::kDelay);
  EXPECT_GT(live.delay_millis, r.lease_expires_unix_millis - (kNow + 100));
  EXPECT_EQ(DecideDelivery(r, r.lease_expires_unix_millis).action, DeliveryAction::kStart);
  r.state = TaskState::kPublishing;
  EXPECT_EQ(DecideDelivery(r, kNow).action, DeliveryAction::kPublish);
  for (TaskState s : {TaskState::kSucceeded, TaskState::kFailed, TaskState::kCancelled}) {
    r.state = s;
    EXPECT_EQ(DecideDelivery(r, kNow).action, DeliveryAction::kDelete);
  }
}

TEST(TaskMachine, JobStateDerivedFromTasks) {
  TaskRecord q = Queued(), r = Running(), s = Queued(), f = Queued(), c = Queued();
  s.state = TaskState::kSucceeded;
  f.state = TaskState::kFailed;
  c.state = TaskState::kCancelled;
  EXPECT_EQ(DeriveJobState({q}), JobState::kQueued);
  EXPECT_EQ(DeriveJobState({q, r}), JobState::kRunning);
  EXPECT_EQ(DeriveJobState({s, q}), JobState::kRunning);
  EXPECT_EQ(DeriveJobState({s, s}), JobState::kSucceeded);
  EXPECT_EQ(DeriveJobState({s, f, c}), JobState::kFailed);
  EXPECT_EQ(DeriveJobState({s, c}), JobState::kCancelled);
}

TEST(Backoff, GrowsExponentiallyWithEqualJitterAndCaps) {
  const BackoffPolicy p{1000, 8000};
  EXPECT_EQ(BackoffDelayMillis(p, 1, 0.0), 500);
  EXPECT_EQ(BackoffDelayMillis(p, 1, 0.999999), 999);
  EXPECT_EQ(BackoffDelayMillis(p, 2, 0.0), 1000);
  EXPECT_EQ(BackoffDelayMillis(p, 3, 0.0), 2000);
  EXPECT_EQ(BackoffDelayMillis(p, 10, 0.0), 4000);
  EXPECT_EQ(BackoffDelayMillis(p, 60, 0.5), 6000);
}

TEST(RestartPolicy, ImmediateUnlessDyingRightAfterStartThenDoublingToThirtySeconds) {
  EXPECT_EQ(RestartDelayMillis(0), 0);
  EXPECT_EQ(RestartDelayMillis(1), 500);
  EXPECT_EQ(RestartDelayMillis(2), 1000);
  EXPECT_EQ(RestartDelayMillis(6), 16000);
  EXPECT_EQ(RestartDelayMillis(7), 30000);
  EXPECT_EQ(RestartDelayMillis(1000), 30000);
}

TEST(TaskMachine, CheckpointsTravelWithHeartbeatsAndInterruptions) {
  TaskRecord t = Running("a1");
  EXPECT_EQ(t.started_unix_millis, kNow);
  TaskEvent beat = Ev(EventKind::kHeartbeat, "a1", kNow + 5'000);
  beat.checkpoint = "_spotbatch/checkpoints/job-0/a1.1/";
  beat.checkpoint_unix_millis = kNow + 4'000;
  EXPECT_EQ(DurabilityOf(beat), CommitDurability::kDurable);  // it replaces the last one
  auto b = ApplyTaskEvent(t, beat, RetryPolicy{});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->task.checkpoint, beat.checkpoint);
  EXPECT_EQ(b->task.checkpoint_unix_millis, kNow + 4'000);
  // A heartbeat without a new checkpoint keeps the last one.
  auto b2 = ApplyTaskEvent(b->task, Ev(EventKind::kHeartbeat, "a1", kNow + 6'000), RetryPolicy{});
  EXPECT_EQ(b2->task.checkpoint, beat.checkpoint);

  TaskEvent intr = Ev(EventKind::kInterrupt, "a1", kNow + 7'000);
  intr.checkpoint = "_spotbatch/checkpoints/job-0/a1.2/";
  intr.checkpoint_unix_millis = kNow + 6'900;
  auto i = ApplyTaskEvent(b2->task, intr, RetryPolicy{});
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->task.state, TaskState::kQueued);
  EXPECT_EQ(i->task.not_before_unix_millis, 0);  // requeued at once
  EXPECT_EQ(i->task.interruptions, 1);
  EXPECT_EQ(i->task.app_failures, 0);
  EXPECT_EQ(i->task.checkpoint, intr.checkpoint);
  ASSERT_EQ(i->attempts.size(), 1u);
  EXPECT_EQ(i->attempts[0].outcome, AttemptOutcome::kInterrupted);
  EXPECT_EQ(i->attempts[0].lost_work_millis, 100);

  // The next attempt keeps the checkpoint until it succeeds.
  TaskEvent start = Ev(EventKind::kStart, "a2", kNow + 8'000);
  start.pool = "od";
  auto s = ApplyTaskEvent(i->task, start, RetryPolicy{});
  EXPECT_EQ(s->task.checkpoint, intr.checkpoint);
  EXPECT_EQ(s->attempts.at(0).pool, "od");
  auto done = ApplyTaskEvent(s->task, Ev(EventKind::kSucceed, "a2", kNow + 9'000), RetryPolicy{});
  EXPECT_TRUE(done->task.checkpoint.empty());
}

TEST(TaskMachine, LostAttemptRecordsWorkSinceItsLastCheckpoint) {
  TaskRecord t = Running("a1");  // started at kNow, lease 60 s
  TaskEvent beat = Ev(EventKind::kHeartbeat, "a1", kNow + 20'000);
  beat.checkpoint = "_spotbatch/checkpoints/job-0/a1.1/";
  beat.checkpoint_unix_millis = kNow + 15'000;
  t = ApplyTaskEvent(t, beat, RetryPolicy{})->task;  // last sign of life at +20 s
  auto next = ApplyTaskEvent(t, Ev(EventKind::kStart, "a2", kNow + 90'000), RetryPolicy{});
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->attempts.size(), 2u);
  EXPECT_EQ(next->attempts[0].outcome, AttemptOutcome::kLost);
  EXPECT_EQ(next->attempts[0].lost_work_millis, 5'000);  // +15 s checkpoint to +20 s
}

// Every transition says what becomes of its message, so the worker settles messages in one
// place: the attempt goes on, the task waits out its backoff, moves to on-demand capacity,
// finished or failed.
TEST(TaskMachine, TransitionCarriesItsQueueEffect) {
  RetryPolicy policy;
  policy.max_attempts = 2;
  policy.backoff = {1000, 1000};
  policy.on_demand_after_interruptions = 1;
  auto start = ApplyTaskEvent(Queued(), Ev(EventKind::kStart, "a1"), policy);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->queue.kind, QueueEffect::kKeep);
  TaskEvent fail = Ev(EventKind::kFail, "a1");
  fail.jitter = 1.0;
  auto failed = ApplyTaskEvent(start->task, fail, policy);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->queue.kind, QueueEffect::kRelease);
  EXPECT_EQ(failed->queue.delay_millis, failed->task.not_before_unix_millis - kNow);
  EXPECT_GT(failed->queue.delay_millis, 0) << "the retry backoff";
  auto again = ApplyTaskEvent(failed->task, Ev(EventKind::kStart, "a2", kNow + 2000), policy);
  ASSERT_TRUE(again.ok());
  auto spent = ApplyTaskEvent(again->task, Ev(EventKind::kFail, "a2", kNow + 2000), policy);
  ASSERT_TRUE(spent.ok());
  EXPECT_EQ(spent->task.state, TaskState::kFailed);
  EXPECT_EQ(spent->queue.kind, QueueEffect::kDeadLetter);
  auto interrupted = ApplyTaskEvent(Running(), Ev(EventKind::kInterrupt, "a1"), policy);
  ASSERT_TRUE(interrupted.ok());
  EXPECT_EQ(interrupted->queue.kind, QueueEffect::kHandOver);
  TaskEvent succeed = Ev(EventKind::kSucceed, "a1");
  succeed.outputs = {{"_spotbatch/staging/a1.0", "out/a/x"}};
  auto publishing = ApplyTaskEvent(Running(), succeed, policy);
  ASSERT_TRUE(publishing.ok());
  EXPECT_EQ(publishing->queue.kind, QueueEffect::kKeep) << "its outputs are not published yet";
  auto published = ApplyTaskEvent(publishing->task, Ev(EventKind::kPublished, "a1"), policy);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->queue.kind, QueueEffect::kDelete);
}

TEST(TaskMachine, TaskNeedingOnDemandIsHandedOverBySpotWorkersOnly) {
  RetryPolicy policy;
  policy.on_demand_after_interruptions = 2;
  TaskRecord t = Queued();
  t.interruptions = 1;
  EXPECT_FALSE(RequiresOnDemand(t, policy));
  EXPECT_EQ(DecideDelivery(t, kNow, /*on_spot=*/true, policy).action, DeliveryAction::kStart);
  t.interruptions = 2;
  EXPECT_TRUE(RequiresOnDemand(t, policy));
  EXPECT_EQ(DecideDelivery(t, kNow, /*on_spot=*/true, policy).action, DeliveryAction::kHandOver);
  EXPECT_EQ(DecideDelivery(t, kNow, /*on_spot=*/false, policy).action, DeliveryAction::kStart);
  EXPECT_EQ(OnDemandQueue("tasks"), "tasks-on-demand");
  EXPECT_FALSE(RequiresOnDemand(t, RetryPolicy{}));  // -1: never
}

TEST(Interruption, GraceIsAtMostHalfTheTimeLeft) {
  EXPECT_EQ(InterruptionGraceMillis(120'000, 60'000), 60'000);
  EXPECT_EQ(InterruptionGraceMillis(120'000, 10'000), 10'000);
  EXPECT_EQ(InterruptionGraceMillis(30'000, 60'000), 15'000);
  EXPECT_EQ(InterruptionGraceMillis(-5, 60'000), 0);       // reclaim already due: kill at once
  EXPECT_EQ(LostWorkMillis(10'000, 1'000, 0), 9'000);      // no checkpoint: since the start
  EXPECT_EQ(LostWorkMillis(10'000, 1'000, 8'000), 2'000);  // since the checkpoint
  EXPECT_EQ(LostWorkMillis(10'000, 1'000, 12'000), 0);
}

TEST(FleetPlan, NoticesWhatRunsAboveCapacityAndPollsOftenEnoughToSeeThem) {
  EXPECT_EQ(NoticesToSend(3, 3), 0);
  EXPECT_EQ(NoticesToSend(1, 3), 2);
  EXPECT_EQ(NoticesToSend(4, 1), 0);
  EXPECT_EQ(MetadataPollMillis(200, 5'000), 50);  // 120 s notice at 600x: 200 ms
  EXPECT_EQ(MetadataPollMillis(120'000, 5'000), 5'000);
  EXPECT_EQ(MetadataPollMillis(8, 5'000), 10);
}

TEST(CapacityTrace, BinaryMeansAllOrNothingLargerValuesCountInstancesAndItRepeats) {
  CapacityTrace binary{1'000, {1, 0, 1}, true};
  EXPECT_EQ(binary.CapacityAt(0, 4), 4);
  EXPECT_EQ(binary.CapacityAt(1'500, 4), 0);
  EXPECT_EQ(binary.CapacityAt(3'000, 4), 4);  // wraps around
  CapacityTrace counts{1'000, {2, 7, 0}, false};
  EXPECT_EQ(counts.CapacityAt(0, 4), 2);
  EXPECT_EQ(counts.CapacityAt(1'000, 4), 4);  // capped at max_instances
  EXPECT_EQ(counts.CapacityAt(2'999, 4), 0);
  EXPECT_EQ(CapacityTrace{}.CapacityAt(5, 3), 3);  // no trace: always room
}

}  // namespace
}  // namespace spotbatch
