// What a user can do to a job from the command line: cancel it, run it again.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "agent/ingest.h"
#include "agent/pipeline_spec.h"
#include "spotbatch/clock.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

// Cancels every unfinished task of the job. A running attempt notices at its next heartbeat
// and stops. kFailedPrecondition when nothing was left to cancel.
Status CancelJob(StateStore& state, Clock& clock, const RetryPolicy& retry,
                 const std::string& job_id);
// Makes every FAILED or CANCELLED task of the job QUEUED again with fresh budgets and sends
// their queue messages. kFailedPrecondition when none could be retried.
Status RetryJob(Ingest& ingest, StateStore& state, Clock& clock, const RetryPolicy& retry,
                const std::string& job_id);

// Fails the unfinished tasks of `jobs` whose queue message is gone for good: a QUEUED task
// whose message was sent, or a RUNNING one, while none of `queues` holds a message visible, in
// flight or delayed. The queue moves a message to its dead-letter queue after too many
// deliveries (one that brought down every worker before an attempt was recorded); without
// this its task would stay unfinished and `run` would wait forever. Reads the tasks before the
// queues and commits only tasks unchanged since, so a task retried or started meanwhile is
// never failed. Returns how many were failed.
Result<int> AbandonDeadLettered(StateStore& state, TaskQueue& queue, Clock& clock,
                                const RetryPolicy& retry, const std::vector<std::string>& queues,
                                const std::set<std::string>& jobs);

}  // namespace spotbatch
