// The worker agent: leases tasks, runs the pipeline's command on each, publishes outputs.
//
// Every step that changes a task goes through the task state machine and a conditional commit
// naming the attempt, so a worker that lost its lease (slow, partitioned, presumed dead) can
// never publish: its commit is refused and its staged outputs are dropped. Outputs are staged
// under the attempt's token, committed with the task, then copied to their final keys; a
// worker that dies between commit and publish leaves the message in the queue, and whoever
// leases it next finishes the publishing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/attempt_command.h"
#include "agent/checkpoint_sync.h"
#include "agent/command_launcher.h"
#include "agent/command_runner.h"
#include "agent/message_settler.h"
#include "agent/notice_watcher.h"
#include "agent/pipeline_spec.h"
#include "core/command_template.h"
#include "spotbatch/clock.h"
#include "spotbatch/instance_metadata.h"
#include "spotbatch/object_store.h"
#include "spotbatch/scale_in_protection.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

struct WorkerOptions {
  std::string worker_id;
  std::string work_dir;               // scratch space of this worker, emptied after each attempt
  int64_t lease_millis = 60'000;      // queue visibility timeout and task lease
  int64_t heartbeat_millis = 15'000;  // lease extension period while a command runs
  int64_t idle_poll_max_millis = 50;  // longest sleep between polls of an empty queue
  // Once idle that long, each poll waits up to this for a message where the queue can
  // (TaskQueue::LeaseWaiting: SQS long polling; a poll then costs one request per wait, not
  // one per sleep). A stop while waiting takes effect when the wait ends.
  int64_t poll_wait_millis = 0;
  int64_t kill_grace_millis = 5'000;  // SIGTERM to SIGKILL when stopping a command
  size_t log_tail_bytes = 16 * 1024;  // kept per attempt
  bool exit_when_idle = false;        // return from Run() when the queue is empty
  // The instance this worker runs on (attempts record the pool; spot workers leave tasks that
  // need on-demand capacity to others).
  std::string pool;
  bool on_spot = false;
  // Instance metadata (set_instance_metadata): how often it is polled, how long a command
  // may take to stop after an interruption notice (at most half the time left), and whether
  // a rebalance recommendation stops the worker taking new tasks.
  int64_t metadata_poll_millis = 5'000;
  int64_t interruption_grace_millis = 60'000;
  bool drain_on_rebalance = true;
};

// Runs an attempt's command inside the worker instead of spawning it; returns its exit code.
// Benchmarks use it to measure the dispatch path (queue, state, store) without process
// creation, which costs far more than everything else here.
using InlineCommand = std::function<int(const CommandSpec& spec)>;

class Worker {
 public:
  // `jitter` returns uniform draws in [0, 1) for retry backoff.
  Worker(PipelineSpec pipeline, WorkerOptions options, ObjectStore& store, TaskQueue& queue,
         StateStore& state, Clock& clock, std::function<double()> jitter);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves tasks until RequestStop() (or, with exit_when_idle, an empty queue). A task running
  // when the stop arrives is handed back at once, without spending any retry budget.
  Status Run();
  // Leases and handles at most one message, and settles it in the queue before returning.
  // False when the queue had none.
  Result<bool> RunOnce();
  // Async-signal-safe: ends Run() soon, and wakes a wait on a running command.
  void RequestStop();
  // Async-signal-safe: wakes a wait on a running command (to look at notices).
  void Wake();
  bool stop_requested() const { return stop_.load(); }
  void set_inline_command(InlineCommand command) { inline_command_ = std::move(command); }
  // Starts commands through `launcher` (a test's fault-injecting wrapper) instead of this
  // worker's own supervisor. It must outlive the worker.
  void set_command_launcher(CommandLauncher* launcher) { launcher_ = launcher; }
  // Watch this instance's metadata for interruption and rebalance notices while Run() runs.
  // On an interruption notice the worker takes nothing new, stops the running command (SIGTERM,
  // then SIGKILL after the grace), uploads its checkpoint, hands the task back at once as
  // INTERRUPTED and returns from Run(). On a rebalance recommendation (or Auto Scaling taking
  // the instance out of service) it finishes the running task and returns.
  void set_instance_metadata(InstanceMetadata* metadata) { metadata_ = metadata; }
  // Protect this instance from scale-in while it holds a task (an attempt or a publication),
  // through `protection`. It must outlive the worker.
  void set_scale_in_protection(ScaleInProtection* protection) { protection_ = protection; }
  // Why Run() returned: "stopped", "idle", "interrupted", "drained", "disk-full" (staging
  // or checkpoint space ran out: disk_full_reason() says where; take work elsewhere).
  const std::string& exit_reason() const { return exit_reason_; }
  const std::string& disk_full_reason() const { return disk_full_; }

 private:
  struct Lease;
  class Watched;
  // Leases and handles one message; waits up to `wait_millis` for one where the queue can.
  Result<bool> HandleNext(int64_t wait_millis = 0);
  Status Handle(Lease& lease);
  Status RunAttempt(Lease& lease, TaskRecord task);
  // Stages the outputs of a command that exited 0, commits them, publishes them.
  Status Finish(Lease& lease, TaskRecord task, const std::string& rel,
                const std::string& output_dir, const std::string& log);
  // Ends the attempt with `kind` (a failure, timeout or release) and settles its message:
  // released until the retry backoff passes, or deleted when the task is finished.
  Status EndAttempt(Lease& lease, TaskRecord& task, EventKind kind, const std::string& message,
                    int exit_code, const std::string& log, bool fault = false);
  Status EndAttempt(Lease& lease, TaskRecord& task, TaskEvent event);
  // Hands the task back after `fault` (of this worker or the store, before the command
  // ran): with the retry backoff, spending its release budget. A full disk also stops this
  // worker taking work (exit reason "disk-full").
  Status ReleaseAfterFault(Lease& lease, TaskRecord& task, const std::string& what,
                           const Status& fault);
  Status Publish(Lease& lease, TaskRecord task);
  // The interruption notice arrived while `cmd` runs `task`: write the reclaim time into
  // `deadline_file`, stop the command within the grace, keep its checkpoint, release the task
  // at once.
  Status Interrupt(Lease& lease, TaskRecord& task, RunningCommand& cmd,
                   const SpotInterruption& notice, const std::string& deadline_file);
  // Commits `event` (a heartbeat or an interruption) with the checkpoint folder when it
  // changed since its last upload; the checkpoint it replaces is deleted after the commit, the
  // new one if the commit fails.
  Status CommitWithCheckpoint(TaskRecord& task, TaskEvent event, QueueEffect* effect = nullptr);
  // Why the worker should take no new task now, or "" (metadata notices, stop requests).
  std::string ReasonToStop();
  void DrainWakePipe();
  // Deletes whatever attempt `token` staged (its outputs will never be committed).
  void DropStaging(const std::string& token);
  // Applies `event` to the task (re-reading on a lost race) and commits it: the one
  // commit-with-retry of the worker. `task` is updated to the committed record and `*effect`
  // (when given) to what becomes of its message. kFailedPrecondition when the event no longer
  // applies.
  Status Commit(TaskRecord& task, const TaskEvent& event, QueueEffect* effect = nullptr);
  // Carries out a committed transition's queue effect on the leased message.
  Status Settle(Lease& lease, const QueueEffect& effect);
  TaskEvent Event(EventKind kind, const std::string& token) const;
  // Sets the instance's scale-in protection, if any, when it changes; a failure is reported
  // once and otherwise ignored (it risks only a scale-in, which hands the task back).
  void Protect(bool busy);
  // Protected from construction on. The protection is lifted only when a poll finds no task
  // (or the worker stops): a worker that takes its next task at once keeps it, and costs
  // the fleet's API nothing between tasks (on EC2, SetInstanceProtection shares the account's
  // Auto Scaling rate with every other call).
  struct Busy {
    explicit Busy(Worker& worker) { worker.Protect(true); }
  };

  PipelineSpec pipeline_;
  WorkerOptions options_;
  ObjectStore& store_;
  TaskQueue& queue_;
  StateStore& state_;
  Clock& clock_;
  std::function<double()> jitter_;
  Result<CommandTemplate> command_;  // pipeline_.command, parsed once
  InlineCommand inline_command_;
  InstanceMetadata* metadata_ = nullptr;
  ScaleInProtection* protection_ = nullptr;
  bool protection_failed_ = false;  // reported once
  bool protected_ = false;          // as last set
  // Starts this worker's commands through a CommandSupervisor, which kills whatever they leave
  // behind, and all of it should the worker die; `launcher_` unless a test set another.
  SupervisedLauncher supervised_;
  CommandLauncher* launcher_ = &supervised_;
  std::unique_ptr<NoticeWatcher> watcher_;  // while Run() runs with metadata_
  std::string exit_reason_;
  std::string disk_full_;       // why this worker's disk is full; empty while it is not
  CheckpointSync checkpoints_;  // the scratch checkpoint folder and its uploads
  MessageSettler settler_;      // what becomes of leased messages; batched deletes
  ProgramResolver programs_;
  std::atomic<bool> stop_{false};
  int wake_pipe_[2] = {-1, -1};
};

}  // namespace spotbatch
