// The queue priority of a job's task messages under its pipeline's order (core/task_order.h),
// for the senders that do not hold the input's ObjectInfo: EnqueuePending (after a crash or a
// retry) and the hand-over to the on-demand queue, which must keep a task's size rank or a
// large task handed over would queue behind the small ones already there.
#pragma once

#include <string>

#include "core/task_order.h"
#include "spotbatch/state_store.h"
#include "spotbatch/status.h"

namespace spotbatch {

// Under kFifo reads nothing; under kLargestFirst reads the job once (GetJob) for its input's
// size. The store's errors (kNotFound for no such job) are returned.
Result<int> JobQueuePriority(StateStore& state, const std::string& job_id, int pipeline_priority,
                             TaskOrder order);

}  // namespace spotbatch
