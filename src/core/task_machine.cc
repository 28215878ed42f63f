#include "core/task_machine.h"

#include <algorithm>

#include "core/interruption.h"

namespace spotbatch {

namespace {

Status NotApplicable(const TaskRecord& task, const std::string& why) {
  return FailedPrecondition("task " + task.id + " is " + TaskStateName(task.state) + ": " + why);
}

bool HoldsAttempt(const TaskRecord& task, const TaskEvent& event) {
  return task.state == TaskState::kRunning && task.attempt_token == event.token;
}

AttemptRecord Finished(const TaskRecord& task, const TaskEvent& event, AttemptOutcome outcome) {
  AttemptRecord a;
  a.token = task.attempt_token;
  a.task_id = task.id;
  a.ended_unix_millis = event.now_unix_millis;
  a.outcome = outcome;
  a.exit_code = event.exit_code;
  a.message = event.message;
  a.log_tail = event.log_tail;
  return a;
}

void Requeue(TaskRecord& t, int64_t not_before) {
  t.state = TaskState::kQueued;
  t.not_before_unix_millis = not_before;
  t.lease_expires_unix_millis = 0;
}

bool BudgetSpent(int used, int limit) { return limit >= 0 && used >= limit; }

void TakeCheckpoint(TaskRecord& t, const TaskEvent& e) {
  if (e.checkpoint.empty()) return;
  t.checkpoint = e.checkpoint;
  t.checkpoint_unix_millis = e.checkpoint_unix_millis;
}

void TakeUploads(TaskRecord& t, const TaskEvent& e) {
  if (e.uploads) t.uploads = *e.uploads;
}

Result<Transition> Start(const TaskRecord& task, const TaskEvent& e, const RetryPolicy& policy) {
  Transition tr{task, {}};
  TaskRecord& t = tr.task;
  if (task.state == TaskState::kRunning) {
    if (task.lease_expires_unix_millis > e.now_unix_millis) {
      return NotApplicable(task, "attempt " + task.attempt_token + " still holds its lease");
    }
    // The previous worker vanished without a word: its lease ran out. Its work since the
    // last checkpoint (or its start) up to its last sign of life is lost.
    TaskEvent lost = e;
    lost.exit_code = -1;
    lost.message = "worker stopped heartbeating; lease expired";
    lost.log_tail.clear();
    AttemptRecord a = Finished(task, lost, AttemptOutcome::kLost);
    a.lost_work_millis = LostWorkMillis(task.updated_unix_millis, task.started_unix_millis,
                                        task.checkpoint_unix_millis);
    tr.attempts.push_back(std::move(a));
    ++t.lost;
    if (BudgetSpent(t.lost, policy.max_lost)) {
      t.state = TaskState::kFailed;
      t.last_error = "lost " + std::to_string(t.lost) + " workers while running this task";
      t.lease_expires_unix_millis = 0;
      return tr;
    }
  } else if (task.state != TaskState::kQueued) {
    return NotApplicable(task, "only a QUEUED task can start");
  } else if (task.not_before_unix_millis > e.now_unix_millis) {
    return NotApplicable(task, "retry backoff has not passed");
  }
  t.state = TaskState::kRunning;
  t.attempt_token = e.token;
  ++t.attempts;
  t.lease_expires_unix_millis = e.now_unix_millis + e.lease_millis;
  t.not_before_unix_millis = 0;
  t.started_unix_millis = e.now_unix_millis;
  AttemptRecord a;
  a.token = e.token;
  a.task_id = t.id;
  a.number = t.attempts;
  a.worker = e.worker;
  a.pool = e.pool;
  a.started_unix_millis = e.now_unix_millis;
  a.outcome = AttemptOutcome::kRunning;
  tr.attempts.push_back(std::move(a));
  return tr;
}

Result<Transition> Fail(const TaskRecord& task, const TaskEvent& e, const RetryPolicy& policy,
                        AttemptOutcome outcome) {
  if (!HoldsAttempt(task, e)) return NotApplicable(task, "attempt " + e.token + " is not current");
  Transition tr{task, {Finished(task, e, outcome)}};
  TaskRecord& t = tr.task;
  TakeUploads(t, e);
  ++t.app_failures;
  t.last_error = e.message;
  if (BudgetSpent(t.app_failures, policy.max_attempts)) {
    t.state = TaskState::kFailed;
    t.lease_expires_unix_millis = 0;
  } else {
    Requeue(t, e.now_unix_millis + BackoffDelayMillis(policy.backoff, t.app_failures, e.jitter));
  }
  return tr;
}

}  // namespace

std::string OnDemandQueue(const std::string& queue) { return queue + "-on-demand"; }

std::vector<std::string> PipelineQueues(const std::string& queue) {
  return {queue, OnDemandQueue(queue)};
}

bool RequiresOnDemand(const TaskRecord& task, const RetryPolicy& policy) {
  return BudgetSpent(task.interruptions, policy.on_demand_after_interruptions);
}

QueueEffect QueueEffectOf(const TaskRecord& next, int64_t now_unix_millis,
                          const RetryPolicy& policy) {
  switch (next.state) {
    case TaskState::kFailed:
      return {QueueEffect::kDeadLetter, 0};
    case TaskState::kSucceeded:
    case TaskState::kCancelled:
      return {QueueEffect::kDelete, 0};
    case TaskState::kQueued:
      if (RequiresOnDemand(next, policy)) return {QueueEffect::kHandOver, 0};
      return {QueueEffect::kRelease,
              std::max<int64_t>(0, next.not_before_unix_millis - now_unix_millis)};
    case TaskState::kRunning:
    case TaskState::kPublishing:
      break;
  }
  return {QueueEffect::kKeep, 0};
}

CommitDurability DurabilityOf(const TaskEvent& event) {
  switch (event.kind) {
    case EventKind::kHeartbeat:  // a new checkpoint replaces (and deletes) the last one
      return event.checkpoint.empty() ? CommitDurability::kSoft : CommitDurability::kDurable;
    case EventKind::kStart:
    case EventKind::kRelease:
      return CommitDurability::kSoft;
    case EventKind::kSucceed:
      return event.outputs.empty() ? CommitDurability::kSoft : CommitDurability::kDurable;
    default:
      return CommitDurability::kDurable;
  }
}

Result<Transition> ApplyTaskEvent(const TaskRecord& task, const TaskEvent& e,
                                  const RetryPolicy& policy) {
  Result<Transition> result = [&]() -> Result<Transition> {
    switch (e.kind) {
      case EventKind::kStart:
        return Start(task, e, policy);
      case EventKind::kHeartbeat: {
        if (!HoldsAttempt(task, e))
          return NotApplicable(task, "attempt " + e.token + " is not current");
        Transition tr{task, {}};
        tr.task.lease_expires_unix_millis = e.now_unix_millis + e.lease_millis;
        TakeCheckpoint(tr.task, e);
        TakeUploads(tr.task, e);
        return tr;
      }
      case EventKind::kSucceed: {
        if (!HoldsAttempt(task, e))
          return NotApplicable(task, "attempt " + e.token + " is not current");
        Transition tr{task, {Finished(task, e, AttemptOutcome::kSucceeded)}};
        // Nothing to publish: done in this one transition.
        tr.task.state = e.outputs.empty() ? TaskState::kSucceeded : TaskState::kPublishing;
        tr.task.outputs = e.outputs;
        tr.task.lease_expires_unix_millis = 0;
        tr.task.last_error.clear();
        tr.task.checkpoint.clear();  // done: nothing will resume from it
        tr.task.checkpoint_unix_millis = 0;
        tr.task.uploads.clear();
        return tr;
      }
      case EventKind::kPublished: {
        if (task.state != TaskState::kPublishing) return NotApplicable(task, "nothing to publish");
        Transition tr{task, {}};
        tr.task.state = TaskState::kSucceeded;
        return tr;
      }
      case EventKind::kFail:
        return Fail(task, e, policy, AttemptOutcome::kFailed);
      case EventKind::kTimeout:
        return Fail(task, e, policy, AttemptOutcome::kTimedOut);
      case EventKind::kInterrupt: {
        if (!HoldsAttempt(task, e))
          return NotApplicable(task, "attempt " + e.token + " is not current");
        Transition tr{task, {Finished(task, e, AttemptOutcome::kInterrupted)}};
        TakeCheckpoint(tr.task, e);
        TakeUploads(tr.task, e);
        tr.attempts.back().lost_work_millis = LostWorkMillis(
            e.now_unix_millis, task.started_unix_millis, tr.task.checkpoint_unix_millis);
        ++tr.task.interruptions;
        if (BudgetSpent(tr.task.interruptions, policy.max_interruptions)) {
          tr.task.state = TaskState::kFailed;
          tr.task.last_error = "interrupted " + std::to_string(tr.task.interruptions) + " times";
          tr.task.lease_expires_unix_millis = 0;
        } else {
          Requeue(tr.task, 0);
        }
        return tr;
      }
      case EventKind::kRelease: {
        if (!HoldsAttempt(task, e))
          return NotApplicable(task, "attempt " + e.token + " is not current");
        Transition tr{task, {Finished(task, e, AttemptOutcome::kReleased)}};
        TaskRecord& t = tr.task;
        TakeUploads(t, e);
        ++t.releases;
        if (BudgetSpent(t.releases, policy.max_releases)) {
          t.state = TaskState::kFailed;
          t.lease_expires_unix_millis = 0;
          t.last_error = "handed back " + std::to_string(t.releases) +
                         " times without finishing an attempt; the last time: " + e.message;
          return tr;
        }
        Requeue(t, e.fault ? e.now_unix_millis +
                                 BackoffDelayMillis(policy.backoff, t.releases, e.jitter)
                           : 0);
        return tr;
      }
      case EventKind::kCancel: {
        if (IsTerminal(task.state)) return NotApplicable(task, "it has already finished");
        if (task.state == TaskState::kPublishing) {
          return NotApplicable(task, "its outputs are already committed");
        }
        Transition tr{task, {}};
        if (task.state == TaskState::kRunning) {
          tr.attempts.push_back(Finished(task, e, AttemptOutcome::kCancelled));
        }
        tr.task.state = TaskState::kCancelled;
        tr.task.lease_expires_unix_millis = 0;
        tr.task.last_error = e.message.empty() ? "cancelled" : e.message;
        return tr;
      }
      case EventKind::kAbandon: {
        // Only a task whose work is still to do: a PUBLISHING one has committed outputs that
        // a new message must finish publishing, never a failure.
        if (task.state != TaskState::kQueued && task.state != TaskState::kRunning) {
          return NotApplicable(task, "only a QUEUED or RUNNING task can be abandoned");
        }
        Transition tr{task, {}};
        if (task.state == TaskState::kRunning) {
          tr.attempts.push_back(Finished(task, e, AttemptOutcome::kLost));
        }
        tr.task.state = TaskState::kFailed;
        tr.task.lease_expires_unix_millis = 0;
        tr.task.last_error = e.message;
        return tr;
      }
      case EventKind::kRetry: {
        if (task.state != TaskState::kFailed && task.state != TaskState::kCancelled) {
          return NotApplicable(task, "only a FAILED or CANCELLED task can be retried");
        }
        Transition tr{task, {}};
        TaskRecord& t = tr.task;
        t.app_failures = t.interruptions = t.lost = t.releases = 0;
        t.enqueued = false;
        t.last_error.clear();
        Requeue(t, 0);
        return tr;
      }
    }
    return Internal("unknown task event");
  }();
  if (result.ok()) {
    result->task.version = task.version + 1;
    result->task.updated_unix_millis = e.now_unix_millis;
    // A soft event that fails the task (a hand-back or a start that spent its budget) is
    // made durable: undone, it would run the task on a budget already spent. A success
    // without outputs stays soft: undone, the task only runs again.
    result->durability =
        result->task.state == TaskState::kFailed ? CommitDurability::kDurable : DurabilityOf(e);
    result->queue = QueueEffectOf(result->task, e.now_unix_millis, policy);
  }
  return result;
}

Delivery DecideDelivery(const TaskRecord& task, int64_t now, bool on_spot,
                        const RetryPolicy& policy) {
  switch (task.state) {
    case TaskState::kQueued:
      if (task.not_before_unix_millis > now) {
        return {DeliveryAction::kDelay, task.not_before_unix_millis - now};
      }
      if (on_spot && RequiresOnDemand(task, policy)) return {DeliveryAction::kHandOver, 0};
      return {DeliveryAction::kStart, 0};
    case TaskState::kRunning:
      // Another attempt may still be alive: look again just after its lease would expire.
      if (task.lease_expires_unix_millis > now) {
        return {DeliveryAction::kDelay, task.lease_expires_unix_millis - now + 1000};
      }
      return {DeliveryAction::kStart, 0};
    case TaskState::kPublishing:
      return {DeliveryAction::kPublish, 0};
    case TaskState::kSucceeded:
    case TaskState::kFailed:
    case TaskState::kCancelled:
      return {DeliveryAction::kDelete, 0};
  }
  return {DeliveryAction::kDelete, 0};
}

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued:
      return "QUEUED";
    case JobState::kRunning:
      return "RUNNING";
    case JobState::kSucceeded:
      return "SUCCEEDED";
    case JobState::kFailed:
      return "FAILED";
    case JobState::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

JobState DeriveJobState(const std::vector<TaskRecord>& tasks) {
  bool all_terminal = true, any_started = false, any_failed = false, any_cancelled = false;
  for (const TaskRecord& t : tasks) {
    all_terminal = all_terminal && IsTerminal(t.state);
    any_started = any_started || t.attempts > 0 || t.state != TaskState::kQueued;
    any_failed = any_failed || t.state == TaskState::kFailed;
    any_cancelled = any_cancelled || t.state == TaskState::kCancelled;
  }
  if (!all_terminal) return any_started ? JobState::kRunning : JobState::kQueued;
  if (any_failed) return JobState::kFailed;
  if (any_cancelled) return JobState::kCancelled;
  return JobState::kSucceeded;
}

}  // namespace spotbatch
