#include "agent/worker.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "agent/attempt_command.h"
#include "agent/attempt_watch.h"
#include "agent/output_uploads.h"
#include "agent/scratch.h"
#include "common/ids.h"
#include "common/time_format.h"
#include "core/interruption.h"
#include "core/pipeline_keys.h"

namespace spotbatch {
namespace {

namespace fs = std::filesystem;

}  // namespace

struct Worker::Lease {
  QueueMessage message;
  std::string job_id;    // of the message's task, once read: a hand-over needs it
  bool settled = false;  // deleted or released: the receipt must not be used again
};

Worker::Worker(PipelineSpec pipeline, WorkerOptions options, ObjectStore& store, TaskQueue& queue,
               StateStore& state, Clock& clock, std::function<double()> jitter)
    : pipeline_(std::move(pipeline)),
      options_(std::move(options)),
      store_(store),
      queue_(queue),
      state_(state),
      clock_(clock),
      jitter_(std::move(jitter)),
      command_(CommandTemplate::Parse(pipeline_.command)),
      supervised_(clock),
      checkpoints_(store, options_.work_dir + "/checkpoint"),
      settler_(queue, state, clock, OnDemandQueue(pipeline_.queue), pipeline_.priority,
               pipeline_.order, options_.lease_millis) {
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) wake_pipe_[0] = wake_pipe_[1] = -1;
}

Worker::~Worker() {
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void Worker::RequestStop() {
  stop_.store(true);
  Wake();
}

void Worker::Wake() {
  if (wake_pipe_[1] >= 0) {
    const char c = 1;
    (void)!::write(wake_pipe_[1], &c, 1);
  }
}

std::string Worker::ReasonToStop() {
  if (stop_.load()) return "stopped";
  if (!disk_full_.empty()) return "disk-full";
  if (!watcher_) return "";
  const NoticeState n = watcher_->Current();
  if (n.interruption) return "interrupted";
  if (n.terminating || (n.rebalance && options_.drain_on_rebalance)) return "drained";
  return "";
}

Status Worker::Run() {
  EmptyScratch(options_.work_dir);  // a previous worker of this id may have died mid-attempt
  int64_t idle_sleep = 5;
  struct Flush {
    Worker* w;
    ~Flush() { (void)w->settler_.Flush(); }
  } flush_at_exit{this};
  if (metadata_ != nullptr) {
    watcher_ = std::make_unique<NoticeWatcher>(*metadata_, options_.metadata_poll_millis,
                                               [this] { Wake(); });
  }
  struct StopWatching {
    Worker* w;
    ~StopWatching() { w->watcher_.reset(); }
  } stop_watching{this};
  struct Unprotect {
    Worker* w;
    ~Unprotect() { w->Protect(false); }
  } unprotect_at_exit{this};
  exit_reason_ = "stopped";
  while (true) {
    if (std::string reason = ReasonToStop(); !reason.empty()) {
      exit_reason_ = std::move(reason);
      break;
    }
    // Idle for the longest sleep already: let the queue do the waiting, if it can.
    auto handled =
        HandleNext(idle_sleep >= options_.idle_poll_max_millis ? options_.poll_wait_millis : 0);
    if (!handled.ok()) {
      if (!handled.status().retryable()) return handled.status();
      clock_.SleepForMillis(100);  // a busy database: try again shortly
      continue;
    }
    if (*handled) {
      idle_sleep = 5;
      continue;
    }
    Protect(false);  // no task came: the instance may go
    SB_RETURN_IF_ERROR(settler_.Flush());
    if (options_.exit_when_idle) {
      exit_reason_ = "idle";
      break;
    }
    // Woken at once by RequestStop or a notice: `run` stops its workers the moment the
    // queue drains, and a stop that waited out the sleep would add to every run.
    if (clock_.SleepForMillisUnlessReadable(idle_sleep, wake_pipe_[0])) DrainWakePipe();
    idle_sleep = std::min(idle_sleep * 2, options_.idle_poll_max_millis);
  }
  return Status::Ok();
}

Result<bool> Worker::RunOnce() {
  Result<bool> handled = HandleNext();
  Protect(false);  // one task at most: idle after it
  Status flushed = settler_.Flush();
  if (handled.ok() && !flushed.ok()) return flushed;
  return handled;
}

Result<bool> Worker::HandleNext(int64_t wait_millis) {
  // On-demand workers first take the tasks that only they may run.
  std::optional<QueueMessage> message;
  if (!options_.on_spot && !options_.pool.empty()) {
    SB_ASSIGN_OR_RETURN(message,
                        queue_.Lease(OnDemandQueue(pipeline_.queue), options_.lease_millis));
  }
  if (!message) {
    SB_ASSIGN_OR_RETURN(
        message, wait_millis > 0
                     ? queue_.LeaseWaiting(pipeline_.queue, options_.lease_millis, wait_millis)
                     : queue_.Lease(pipeline_.queue, options_.lease_millis));
  }
  if (!message) return false;
  Lease lease{std::move(*message)};
  Status s = Handle(lease);
  if (!lease.settled && stop_.load()) {
    // Interrupted before deciding: hand the message straight back.
    (void)queue_.Release(lease.message.receipt, 0);
  }
  if (!s.ok()) return s;
  return true;
}

TaskEvent Worker::Event(EventKind kind, const std::string& token) const {
  TaskEvent e;
  e.kind = kind;
  e.now_unix_millis = clock_.NowUnixMillis();
  e.token = token;
  e.worker = options_.worker_id;
  e.lease_millis = options_.lease_millis;
  return e;
}

Status Worker::Commit(TaskRecord& task, const TaskEvent& event, QueueEffect* effect) {
  for (int tries = 0; tries < 20; ++tries) {
    SB_ASSIGN_OR_RETURN(Transition tr, ApplyTaskEvent(task, event, pipeline_.retry));
    Status s = state_.CommitTask(tr.task, task.version, tr.attempts, tr.durability);
    if (s.ok()) {
      if (tr.durability == CommitDurability::kSoft && IsTerminal(tr.task.state)) {
        settler_.NoteSoftSuccess();
      }
      task = std::move(tr.task);
      if (effect != nullptr) *effect = tr.queue;
      return s;
    }
    if (s.code() != StatusCode::kAborted) return s;
    SB_ASSIGN_OR_RETURN(task, state_.GetTask(task.id));  // lost a race: decide again
  }
  return Unavailable("task " + task.id + " keeps changing under this worker");
}

Status Worker::Settle(Lease& lease, const QueueEffect& effect) {
  lease.settled = effect.kind != QueueEffect::kKeep;
  return settler_.Settle(lease.message, effect, lease.job_id);
}

Status Worker::Handle(Lease& lease) {
  const std::string& receipt = lease.message.receipt;
  for (int tries = 0; tries < 20; ++tries) {
    auto task = state_.GetTask(lease.message.body);
    if (!task.ok()) {
      if (task.status().code() != StatusCode::kNotFound) return task.status();
      lease.settled = true;  // a message for no task: nothing will ever need it
      return settler_.DeleteLater(receipt);
    }
    lease.job_id = task->job_id;
    const Delivery d =
        DecideDelivery(*task, clock_.NowUnixMillis(), options_.on_spot, pipeline_.retry);
    switch (d.action) {
      case DeliveryAction::kDelete:
        // A worker killed between the Published commit and removing its staged copies left
        // them behind; this redelivery is the last chance to notice.
        if (task->state == TaskState::kSucceeded) {
          for (const OutputFile& f : task->outputs) (void)store_.Delete(f.staging_key);
        }
        lease.settled = true;
        return settler_.DeleteLater(receipt);
      case DeliveryAction::kHandOver:
        lease.settled = true;
        return settler_.HandOverToOnDemand(lease.message, lease.job_id);
      case DeliveryAction::kDelay:
        lease.settled = true;
        return queue_.Release(receipt, d.delay_millis);
      case DeliveryAction::kPublish: {
        const Busy busy(*this);
        return Publish(lease, std::move(*task));
      }
      case DeliveryAction::kStart: {
        if (stop_.load()) return Status::Ok();
        TaskRecord t = std::move(*task);
        TaskEvent start = Event(EventKind::kStart, RandomHex(16));
        start.pool = options_.pool;
        // Not Commit(): a lost race here means deciding the delivery again, not retrying it.
        auto tr = ApplyTaskEvent(t, start, pipeline_.retry);
        if (!tr.ok()) continue;  // changed between read and decision: look again
        Status s = state_.CommitTask(tr->task, t.version, tr->attempts, tr->durability);
        if (s.code() == StatusCode::kAborted) continue;
        SB_RETURN_IF_ERROR(s);
        // A vanished attempt may have staged some outputs before it died.
        if (t.state == TaskState::kRunning) DropStaging(t.attempt_token);
        // kKeep: the attempt is ours; anything else: the lost budget ran out (FAILED).
        if (tr->queue.kind != QueueEffect::kKeep) return Settle(lease, tr->queue);
        return RunAttempt(lease, std::move(tr->task));
      }
    }
  }
  return Unavailable("task " + lease.message.body + " keeps changing; leaving it for later");
}

// The worker's side of WatchAttempt: waits on the command and the wake pipe, heartbeats.
class Worker::Watched final : public WatchedAttempt {
 public:
  Watched(Worker& w, Lease& lease, TaskRecord& task, RunningCommand& cmd)
      : w_(w), lease_(lease), task_(task), cmd_(cmd) {}
  bool WaitForExit(int64_t millis) override {
    if (cmd_.Wait(millis, w_.wake_pipe_[0])) return true;
    w_.DrainWakePipe();
    return false;
  }
  std::optional<SpotInterruption> Interruption() override {
    return w_.watcher_ ? w_.watcher_->Current().interruption : std::nullopt;
  }
  bool StopRequested() override { return w_.stop_.load(); }
  Status Heartbeat() override {
    (void)w_.settler_.Flush();  // a long task: do not keep finished messages leased meanwhile
    extended_ = w_.queue_.Extend(lease_.message.receipt, w_.options_.lease_millis);
    if (!extended_.ok()) return extended_;
    // A checkpoint that changed since the last upload goes with the heartbeat: it is what the
    // next attempt resumes from should this instance vanish without notice.
    return w_.CommitWithCheckpoint(task_, w_.Event(EventKind::kHeartbeat, task_.attempt_token));
  }
  // Whether the last heartbeat still held the message's lease.
  bool lease_held() const { return extended_.ok(); }

 private:
  Worker& w_;
  Lease& lease_;
  TaskRecord& task_;
  RunningCommand& cmd_;
  Status extended_;
};

void Worker::Protect(bool busy) {
  if (protection_ == nullptr || busy == protected_) return;
  Status s = protection_->Protect(busy);
  if (s.ok()) protected_ = busy;
  if (!s.ok() && !protection_failed_) {
    protection_failed_ = true;
    std::fprintf(stderr, "worker %s: cannot set scale-in protection (%s); going on without\n",
                 options_.worker_id.c_str(), s.ToString().c_str());
  }
}

Status Worker::RunAttempt(Lease& lease, TaskRecord task) {
  const Busy busy(*this);
  const AttemptPaths paths = AttemptPaths::For(options_.work_dir, KeyName(task.input_key));
  struct Cleanup {
    const AttemptPaths& paths;
    ~Cleanup() {
      KeepAsSpare(paths.input, paths.spare_input);
      EmptyScratch(paths.scratch);
    }
  } cleanup{paths};
  std::error_code ec;
  for (const auto& d : {paths.input_dir, paths.output_dir, paths.checkpoint_dir}) {
    if (!fs::is_directory(d, ec)) fs::create_directories(d, ec);
    if (ec) return Internal("cannot create scratch " + d + ": " + ec.message());
  }
  auto fail = [&](EventKind kind, const std::string& message, int exit_code,
                  const std::string& log) {
    return EndAttempt(lease, task, kind, message, exit_code, log);
  };

  auto rel = RelativeInputKey(pipeline_.input_prefix, task.input_key);
  if (!rel.ok()) return fail(EventKind::kFail, rel.status().message(), -1, "");
  // An input whose outputs could never be published fails before its command runs.
  if (auto folder = OutputFolder(pipeline_.output_prefix, *rel); !folder.ok()) {
    return fail(EventKind::kFail, folder.status().message(), -1, "");
  }
  Status staged = StageInput(store_, task.input_key, paths.input, paths.spare_input);
  if (!staged.ok()) {
    const std::string what = "cannot stage input " + task.input_key;
    if (staged.retryable() || staged.code() == StatusCode::kResourceExhausted) {
      return ReleaseAfterFault(lease, task, what, staged);
    }
    return fail(EventKind::kFail, what + ": " + staged.message(), -1, "");
  }
  checkpoints_.BeginAttempt();
  if (!task.checkpoint.empty()) {
    Status restored = checkpoints_.Restore(task.checkpoint);
    if (restored.retryable() || restored.code() == StatusCode::kResourceExhausted) {
      return ReleaseAfterFault(lease, task, "cannot restore checkpoint " + task.checkpoint,
                               restored);
    }
    if (!restored.ok()) {
      // Gone or unreadable: this attempt starts from the beginning, as the first one did.
      std::fprintf(stderr,
                   "worker %s: task %s: checkpoint %s cannot be restored (%s); starting "
                   "from the beginning\n",
                   options_.worker_id.c_str(), task.id.c_str(), task.checkpoint.c_str(),
                   restored.ToString().c_str());
      EmptyFolder(paths.checkpoint_dir);  // what was restored before the failure
      checkpoints_.BeginAttempt();
    }
  }

  if (!command_.ok()) return fail(EventKind::kFail, command_.status().message(), -1, "");
  const CommandSpec spec = AttemptCommand(*command_, paths, task, pipeline_.config_dir,
                                          clock_.NowUnixMillis() + pipeline_.timeout_millis,
                                          options_.log_tail_bytes, programs_);
  if (inline_command_) {
    const int exit_code = inline_command_(spec);
    if (exit_code != 0) {
      return fail(EventKind::kFail, "command exited with status " + std::to_string(exit_code),
                  exit_code, "");
    }
    return Finish(lease, std::move(task), *rel, paths.output_dir, "");
  }
  auto started = launcher_->Start(spec);
  if (!started.ok()) {
    if (started.status().retryable()) {
      return ReleaseAfterFault(lease, task, "cannot start the command", started.status());
    }
    return fail(EventKind::kFail, started.status().message(), 127, "");
  }
  RunningCommand& cmd = **started;

  Watched watched(*this, lease, task, cmd);
  const WatchEnd end =
      WatchAttempt(watched, clock_, pipeline_.timeout_millis, options_.heartbeat_millis);
  switch (end.kind) {
    case WatchEnd::kExited:
      break;
    case WatchEnd::kInterrupted:
      return Interrupt(lease, task, cmd, end.notice, paths.deadline_file);
    case WatchEnd::kStopping:
      cmd.Terminate(options_.kill_grace_millis);
      return fail(EventKind::kRelease, "worker stopping", -1, cmd.output_tail());
    case WatchEnd::kTimedOut:
      cmd.Terminate(options_.kill_grace_millis);
      return fail(EventKind::kTimeout,
                  "timed out after " + std::to_string(pipeline_.timeout_millis / 1000) + " s", -1,
                  cmd.output_tail());
    case WatchEnd::kNoLongerOurs: {
      // Cancelled, or the lease went to another worker.
      cmd.Terminate(options_.kill_grace_millis);
      lease.settled = true;
      if (!watched.lease_held()) return Status::Ok();  // the message lives on with its holder
      auto now_task = state_.GetTask(task.id);
      if (now_task.ok() && now_task->state == TaskState::kCancelled) {
        return settler_.DeleteLater(lease.message.receipt);
      }
      return queue_.Release(lease.message.receipt, 0);
    }
  }
  const std::string log = cmd.output_tail();
  if (cmd.exit_code() != 0)
    return fail(EventKind::kFail, "command " + cmd.Describe(), cmd.exit_code(), log);
  return Finish(lease, std::move(task), *rel, paths.output_dir, log);
}

Status Worker::Finish(Lease& lease, TaskRecord task, const std::string& rel,
                      const std::string& output_dir, const std::string& log) {
  const std::string token = task.attempt_token;
  // Why an upload stopped between parts; while it runs, the attempt heartbeats as its command
  // did, and an interruption notice or a stop ends it with the upload left to continue.
  enum class Stopped { kNo, kInterrupted, kStopping, kLeaseLost } stopped = Stopped::kNo;
  int64_t last_beat = clock_.NowUnixMillis();
  auto beat = [&](std::optional<std::vector<PendingUpload>> uploads) -> Status {
    last_beat = clock_.NowUnixMillis();
    SB_RETURN_IF_ERROR(queue_.Extend(lease.message.receipt, options_.lease_millis));
    TaskEvent e = Event(EventKind::kHeartbeat, token);
    e.uploads = std::move(uploads);
    return Commit(task, e);
  };
  OutputUploads::Hooks hooks;
  hooks.record = [&](const std::vector<PendingUpload>& pending) { (void)beat(pending); };
  hooks.keep_going = [&] {
    if (watcher_ && watcher_->Current().interruption) {
      stopped = Stopped::kInterrupted;
    } else if (stop_.load()) {
      stopped = Stopped::kStopping;
    } else if (clock_.NowUnixMillis() - last_beat >= options_.heartbeat_millis) {
      Status s = beat(std::nullopt);
      if (s.code() == StatusCode::kFailedPrecondition) stopped = Stopped::kLeaseLost;
    }
    return stopped == Stopped::kNo;
  };
  OutputUploads uploads(store_, task.uploads, std::move(hooks));
  auto end = [&](EventKind kind, const std::string& message, bool fault) {
    TaskEvent e = Event(kind, token);
    e.message = message;
    e.exit_code = 0;  // the command's
    e.log_tail = log;
    e.fault = fault;
    e.uploads = uploads.pending();
    return EndAttempt(lease, task, std::move(e));
  };

  // Stage every output, then commit them with the task.
  SB_ASSIGN_OR_RETURN(std::vector<std::string> files, ListOutputFiles(output_dir));
  TaskEvent succeed = Event(EventKind::kSucceed, token);
  succeed.exit_code = 0;
  succeed.log_tail = log;
  for (const std::string& file : files) {
    auto final_key = OutputKey(pipeline_.output_prefix, rel, file);
    if (!final_key.ok()) {
      return end(EventKind::kFail,
                 "output file " + file + " cannot be published: " + final_key.status().message(),
                 false);
    }
    OutputFile out{StagingKey(token, succeed.outputs.size()), std::move(*final_key)};
    auto put = uploads.Put(out, output_dir + "/" + file);
    if (!put.ok()) {
      const std::string what = "cannot upload output " + file + ": " + put.status().ToString();
      switch (stopped) {
        case Stopped::kInterrupted:
          return end(EventKind::kInterrupt,
                     "spot interruption notice during the upload of output " + file +
                         "; the next attempt continues it",
                     false);
        case Stopped::kStopping:
          return end(EventKind::kRelease, "stopped during the upload of output " + file, false);
        case Stopped::kLeaseLost:
          lease.settled = true;  // the message lives on with whoever holds the task now
          return Status::Ok();
        case Stopped::kNo:
          break;
      }
      // The store's own space or a passing fault: the work is redone later, at a cost.
      const bool again =
          put.status().retryable() || put.status().code() == StatusCode::kResourceExhausted;
      return end(again ? EventKind::kRelease : EventKind::kFail, what, again);
    }
    succeed.outputs.push_back(std::move(out));
  }
  const std::string checkpoint = task.checkpoint;
  QueueEffect effect;
  Status committed = Commit(task, succeed, &effect);
  if (!committed.ok()) {
    // Another attempt owns the task now: this one's outputs must never appear.
    for (const OutputFile& f : succeed.outputs) (void)store_.Delete(f.staging_key);
    if (committed.code() == StatusCode::kFailedPrecondition) return Status::Ok();
    return committed;
  }
  uploads.AbandonUnused();
  checkpoints_.Drop(checkpoint);  // done: nothing will resume from it
  // SUCCEEDED at once when there was nothing to publish; else the outputs are published now.
  if (effect.kind != QueueEffect::kKeep) return Settle(lease, effect);
  return Publish(lease, std::move(task));
}

Status Worker::EndAttempt(Lease& lease, TaskRecord& task, EventKind kind,
                          const std::string& message, int exit_code, const std::string& log,
                          bool fault) {
  TaskEvent e = Event(kind, task.attempt_token);
  e.fault = fault;
  e.message = message;
  e.exit_code = exit_code;
  e.log_tail = log;
  return EndAttempt(lease, task, std::move(e));
}

Status Worker::EndAttempt(Lease& lease, TaskRecord& task, TaskEvent e) {
  DropStaging(task.attempt_token);
  e.jitter = jitter_();
  QueueEffect effect;
  Status s = Commit(task, e, &effect);
  if (s.code() == StatusCode::kFailedPrecondition) return Status::Ok();  // no longer ours
  SB_RETURN_IF_ERROR(s);
  // An ended attempt holds no lease: should the task still be running, let it go at once.
  if (effect.kind == QueueEffect::kKeep) effect = {QueueEffect::kRelease, 0};
  return Settle(lease, effect);
}

Status Worker::ReleaseAfterFault(Lease& lease, TaskRecord& task, const std::string& what,
                                 const Status& fault) {
  if (fault.code() == StatusCode::kResourceExhausted && disk_full_.empty()) {
    disk_full_ = what + ": " + fault.message();
  }
  return EndAttempt(lease, task, EventKind::kRelease, what + ": " + fault.ToString(), -1, "",
                    /*fault=*/true);
}

void Worker::DropStaging(const std::string& token) {
  auto staged = store_.List(StagingPrefix(token));
  if (!staged.ok()) return;  // garbage only: never worth failing a task over
  for (const ObjectInfo& o : *staged) (void)store_.Delete(o.key);
}

Status Worker::Publish(Lease& lease, TaskRecord task) {
  for (const OutputFile& f : task.outputs) {
    Status s = store_.Copy(f.staging_key, f.final_key);
    if (s.code() == StatusCode::kNotFound) {
      // Staging goes only after the Published commit, so this copy was made: check.
      if (store_.Stat(f.final_key).ok()) continue;
      return DataLoss("staged output " + f.staging_key + " of task " + task.id + " is missing");
    }
    SB_RETURN_IF_ERROR(s);
  }
  QueueEffect effect{QueueEffect::kDelete};  // also when another attempt published it first
  Status s = Commit(task, Event(EventKind::kPublished, task.attempt_token), &effect);
  if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
  for (const OutputFile& f : task.outputs) (void)store_.Delete(f.staging_key);
  return Settle(lease, effect);
}

Status Worker::CommitWithCheckpoint(TaskRecord& task, TaskEvent event, QueueEffect* effect) {
  auto checkpoint = checkpoints_.UploadIfChanged(task.id, task.attempt_token);
  if (checkpoint.ok()) {
    event.checkpoint = checkpoint->prefix;
    event.checkpoint_unix_millis = checkpoint->written_unix_millis;
  }
  const std::string replaced = task.checkpoint;
  Status s = Commit(task, event, effect);
  if (!event.checkpoint.empty()) {
    if (s.ok()) {
      if (replaced != event.checkpoint) checkpoints_.Drop(replaced);
    } else {
      checkpoints_.Abandon(event.checkpoint);
    }
  }
  return s;
}

void Worker::DrainWakePipe() {
  char buf[64];
  while (wake_pipe_[0] >= 0 && ::read(wake_pipe_[0], buf, sizeof buf) > 0) {
  }
}

Status Worker::Interrupt(Lease& lease, TaskRecord& task, RunningCommand& cmd,
                         const SpotInterruption& notice, const std::string& deadline_file) {
  // Settle what this worker holds before anything slow: the instance may go at any moment.
  (void)settler_.Flush();
  const int64_t grace = InterruptionGraceMillis(notice.time_unix_millis - clock_.NowUnixMillis(),
                                                options_.interruption_grace_millis);
  // The command learns the reclaim time from its deadline file, then gets SIGTERM.
  if (FILE* f = std::fopen((deadline_file + ".tmp").c_str(), "w")) {
    std::fprintf(f, "%lld\n", static_cast<long long>(notice.time_unix_millis / 1000));
    std::fclose(f);
    std::rename((deadline_file + ".tmp").c_str(), deadline_file.c_str());
  }
  cmd.Terminate(grace);
  TaskEvent e = Event(EventKind::kInterrupt, task.attempt_token);  // stopped now
  e.message = std::string("spot interruption notice (") + SpotActionName(notice.action) + " at " +
              FormatUtcTimestamp(notice.time_unix_millis, true) + "); command " + cmd.Describe();
  e.exit_code = cmd.exit_code();
  e.log_tail = cmd.output_tail();
  DropStaging(task.attempt_token);
  QueueEffect effect;
  Status s = CommitWithCheckpoint(task, std::move(e), &effect);
  if (s.code() == StatusCode::kFailedPrecondition) return Status::Ok();  // no longer ours
  SB_RETURN_IF_ERROR(s);
  return Settle(lease, effect);  // released at once: another worker may take it
}

}  // namespace spotbatch
