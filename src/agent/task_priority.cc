#include "agent/task_priority.h"

namespace spotbatch {

Result<int> JobQueuePriority(StateStore& state, const std::string& job_id, int pipeline_priority,
                             TaskOrder order) {
  if (order == TaskOrder::kFifo) return QueuePriority(pipeline_priority, order, 0);
  SB_ASSIGN_OR_RETURN(JobView job, state.GetJob(job_id));
  return QueuePriority(pipeline_priority, order, job.job.input_size);
}

}  // namespace spotbatch
