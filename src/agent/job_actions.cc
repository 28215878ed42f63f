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

}  // namespace spotbatch
