// The task state machine, as pure functions: (task, event) -> (next task, attempt updates).
//
// Drivers (the worker agent, the CLI) read a task, apply an event here, and commit the result
// with StateStore::CommitTask conditioned on the version they read. Nothing here does I/O or
// reads a clock: time and randomness arrive inside the event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "spotbatch/model.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct RetryPolicy {
  int max_attempts = 3;        // application failures (including timeouts) before FAILED
  int max_interruptions = -1;  // provider interruptions before FAILED; -1 = unlimited
  int max_lost = 10;           // attempts whose worker vanished before FAILED
  // Hand-backs without an outcome (kRelease) before FAILED; -1 = unlimited. A release costs
  // the task nothing else, so without this a fault that recurs on every delivery (a full
  // disk, an input that cannot be staged) would cycle the task through the queue forever.
  int max_releases = 20;
  BackoffPolicy backoff;  // delay before retrying an application failure
  // After this many interruptions the task runs only on on-demand capacity; -1 = never.
  int on_demand_after_interruptions = -1;
};

// Whether `task` may now run only on on-demand capacity.
bool RequiresOnDemand(const TaskRecord& task, const RetryPolicy& policy);

enum class EventKind {
  kStart,      // a worker begins an attempt (token, worker, pool, lease_millis)
  kHeartbeat,  // the attempt is alive (lease_millis; checkpoint when it uploaded one)
  kSucceed,    // the command exited 0; outputs are staged (outputs); none: SUCCEEDED at once
  kPublished,  // the staged outputs are at their final keys
  kFail,       // the command failed (exit_code, message, log_tail, jitter)
  kTimeout,    // the command ran past its timeout (like kFail)
  kInterrupt,  // the instance is being reclaimed; requeue at once (checkpoint)
  kRelease,    // the worker hands the task back without an outcome (stopping, or a fault
               // before the command ran: fault = true); spends max_releases
  kCancel,     // a user cancelled the job
  kRetry,      // a user asked to run a FAILED or CANCELLED task again
  kAbandon,    // the queue gave up on the task's message (delivered too often): FAILED
};

struct TaskEvent {
  EventKind kind = EventKind::kStart;
  int64_t now_unix_millis = 0;
  std::string token;  // the attempt this event is about (kStart: the new attempt's token)
  std::string worker;
  int64_t lease_millis = 0;
  int exit_code = -1;
  std::string message;
  std::string log_tail;
  std::vector<OutputFile> outputs;
  double jitter = 0.5;  // uniform in [0, 1), for the retry backoff
  // kRelease: a fault (staging, starting, a full disk) rather than a stop: the task waits out
  // the retry backoff before its next delivery instead of coming straight back.
  bool fault = false;
  std::string pool;  // kStart: the capacity pool the worker runs in
  // kHeartbeat, kInterrupt: a checkpoint uploaded by this attempt (key prefix; empty: none
  // new) and when the command wrote it. kInterrupt's time is when the command stopped: the
  // work lost is measured up to it.
  std::string checkpoint;
  int64_t checkpoint_unix_millis = 0;
  // kHeartbeat, kInterrupt, kRelease, kFail, kTimeout: when set, the task's pending uploads
  // become these (what this attempt began or continued and has not finished). kSucceed
  // clears them: every output is staged.
  std::optional<std::vector<PendingUpload>> uploads;
};

// What becomes of the leased message that carried the task once a transition is committed:
// one decision, so that no worker path settles a message its own way.
struct QueueEffect {
  enum Kind {
    kKeep,        // the attempt goes on (started, heartbeat, publishing): keep the lease
    kRelease,     // the task waits for its next attempt: release after delay_millis
    kHandOver,    // its next attempt needs on-demand capacity: move the message to
                  // OnDemandQueue
    kDelete,      // the task is finished: the message is spent
    kDeadLetter,  // a budget ran out and the task failed: dead-letter the message
  };
  Kind kind = kKeep;
  int64_t delay_millis = 0;  // kRelease: until the retry backoff has passed
};
// The queue effect of a task that has just become `next`.
QueueEffect QueueEffectOf(const TaskRecord& next, int64_t now_unix_millis,
                          const RetryPolicy& policy);

struct Transition {
  TaskRecord task;                      // the next record; version = old version + 1
  std::vector<AttemptRecord> attempts;  // attempt records to insert or finish
  QueueEffect queue;                    // QueueEffectOf(task)
  // How to commit it: DurabilityOf(event), but durable whenever the task fails (a release or
  // a start that spends the last of a budget, which must not be undone).
  CommitDurability durability = CommitDurability::kDurable;
};

// How durable the commit of `event` must be. kSoft where a power loss that undoes the commit
// leaves nothing worse than redoing work: the start, heartbeats and blameless hand-back of an
// attempt (after a power loss the attempt is gone either way), and the success of an attempt
// without outputs (the task runs again; nothing was published). Outcomes with outputs, spent
// budgets and user actions are kDurable. Workers make their soft successes durable in batches
// (StateStore::Sync).
CommitDurability DurabilityOf(const TaskEvent& event);

// The next state, or kFailedPrecondition when the event does not apply (a stale token, a
// task in another state); the message says why.
Result<Transition> ApplyTaskEvent(const TaskRecord& task, const TaskEvent& event,
                                  const RetryPolicy& policy);

// What a worker does with a queue message for `task` that it just leased.
enum class DeliveryAction {
  kStart,     // begin an attempt
  kDelay,     // not yet: release the message for delay_millis (backoff, or a live attempt)
  kHandOver,  // a spot worker got a task that needs on-demand capacity: move its message to
              // the on-demand queue (OnDemandQueue), where only on-demand workers look
  kPublish,   // a committed attempt's outputs still need publishing: finish that
  kDelete,    // the task is finished: the message is spent
};
struct Delivery {
  DeliveryAction action;
  int64_t delay_millis = 0;
};
// The queue of tasks that may run only on on-demand capacity, beside `queue`.
std::string OnDemandQueue(const std::string& queue);
// Every queue a pipeline's messages travel in: `queue` and its on-demand queue.
std::vector<std::string> PipelineQueues(const std::string& queue);

// `on_spot`: the worker runs on spot capacity.
Delivery DecideDelivery(const TaskRecord& task, int64_t now_unix_millis, bool on_spot = false,
                        const RetryPolicy& policy = RetryPolicy{});

// A job's state, derived from its tasks.
enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
const char* JobStateName(JobState s);
JobState DeriveJobState(const std::vector<TaskRecord>& tasks);
inline bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

}  // namespace spotbatch
