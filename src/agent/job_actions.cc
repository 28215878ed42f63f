#include "agent/job_actions.h"

#include "core/task_machine.h"

namespace spotbatch {
namespace {

// Applies `kind` to every task of the job where it applies; counts how many changed.
Status ApplyToJob(StateStore& state, Clock& clock, const RetryPolicy& retry,
                  const std::string& job_id, EventKind kind, const char* verb) {
  SB_ASSIGN_OR_RETURN(JobView view, state.GetJob(job_id));
  int changed = 0;
  std::string why;
  for (TaskRecord task : view.tasks) {
    for (int tries = 0; tries < 20; ++tries) {
      TaskEvent e;
      e.kind = kind;
      e.now_unix_millis = clock.NowUnixMillis();
      e.token = task.attempt_token;
      e.message = std::string(verb) + " by user";
      auto tr = ApplyTaskEvent(task, e, retry);
      if (!tr.ok()) {
        why = tr.status().message();
        break;
      }
      Status s = state.CommitTask(tr->task, task.version, tr->attempts);
      if (s.ok()) {
        ++changed;
        break;
      }
      if (s.code() != StatusCode::kAborted) return s;
      SB_ASSIGN_OR_RETURN(task, state.GetTask(task.id));
    }
  }
  if (changed == 0) {
    return FailedPrecondition("job " + job_id + " cannot be " + verb + ": " + why);
  }
  return Status::Ok();
}

}  // namespace

Status CancelJob(StateStore& state, Clock& clock, const RetryPolicy& retry,
                 const std::string& job_id) {
  return ApplyToJob(state, clock, retry, job_id, EventKind::kCancel, "cancelled");
}

Status RetryJob(Ingest& ingest, StateStore& state, Clock& clock, const RetryPolicy& retry,
                const std::string& job_id) {
  SB_RETURN_IF_ERROR(ApplyToJob(state, clock, retry, job_id, EventKind::kRetry, "retried"));
  return ingest.EnqueuePending();
}

Result<int> AbandonDeadLettered(StateStore& state, TaskQueue& queue, Clock& clock,
                                const RetryPolicy& retry, const std::vector<std::string>& queues,
                                const std::set<std::string>& jobs) {
  SB_ASSIGN_OR_RETURN(std::vector<JobView> views, state.ListJobs());
  std::vector<TaskRecord> orphans;
  for (const JobView& v : views) {
    if (!jobs.count(v.job.id)) continue;
    for (const TaskRecord& t : v.tasks) {
      const bool sent = t.state == TaskState::kQueued && t.enqueued;
      if (sent || t.state == TaskState::kRunning) orphans.push_back(t);
    }
  }
  if (orphans.empty()) return 0;
  for (const std::string& q : queues) {
    SB_ASSIGN_OR_RETURN(QueueDepth d, queue.Depth(q));
    if (d.visible + d.in_flight + d.delayed > 0) return 0;  // their messages may be there
  }
  int failed = 0;
  for (const TaskRecord& task : orphans) {
    TaskEvent e;
    e.kind = EventKind::kAbandon;
    e.now_unix_millis = clock.NowUnixMillis();
    e.token = task.attempt_token;
    e.message =
        "its queue message was moved to the dead-letter queue after too many "
        "deliveries without a recorded attempt (a worker crashed handling it?)";
    auto tr = ApplyTaskEvent(task, e, retry);
    if (!tr.ok()) continue;
    Status s = state.CommitTask(tr->task, task.version, tr->attempts);
    if (s.code() == StatusCode::kAborted) continue;  // changed since read: not an orphan
    SB_RETURN_IF_ERROR(s);
    ++failed;
  }
  return failed;
}

}  // namespace spotbatch
