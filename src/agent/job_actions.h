// What a user can do to a job from the command line: cancel it, run it again.
#pragma once

#include <string>

#include "agent/ingest.h"
#include "agent/pipeline_spec.h"
#include "spotbatch/clock.h"
#include "spotbatch/state_store.h"

namespace spotbatch {

// Cancels every unfinished task of the job. A running attempt notices at its next heartbeat
// and stops. kFailedPrecondition when nothing was left to cancel.
Status CancelJob(StateStore& state, Clock& clock, const RetryPolicy& retry,
                 const std::string& job_id);
// Makes every FAILED or CANCELLED task of the job QUEUED again with fresh budgets and sends
// their queue messages. kFailedPrecondition when none could be retried.
Status RetryJob(Ingest& ingest, StateStore& state, Clock& clock, const RetryPolicy& retry,
                const std::string& job_id);

}  // namespace spotbatch
