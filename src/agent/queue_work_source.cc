#include "agent/queue_work_source.h"

#include "core/task_machine.h"

namespace spotbatch {

QueueWorkSource::QueueWorkSource(StateStore& state, TaskQueue& queue, std::string queue_name,
                                 Clock& clock, int64_t deadline_unix_millis, TaskOrder order)
    : state_(state),
      queue_(queue),
      on_demand_queue_(OnDemandQueue(queue_name)),
      clock_(clock),
      deadline_unix_millis_(deadline_unix_millis),
      order_(order) {}

Result<WorkSnapshot> QueueWorkSource::Work() {
  SB_ASSIGN_OR_RETURN(TaskCounts counts, state_.CountTasks());
  SB_ASSIGN_OR_RETURN(QueueDepth on_demand, queue_.Depth(on_demand_queue_));
  const int64_t now = clock_.NowUnixMillis();
  const int64_t finished = counts.of(TaskState::kSucceeded) + counts.of(TaskState::kFailed) +
                           counts.of(TaskState::kCancelled);
  WorkSnapshot w;
  w.queued = static_cast<int>(counts.of(TaskState::kQueued));
  w.running = static_cast<int>(counts.of(TaskState::kRunning) + counts.of(TaskState::kPublishing));
  w.on_demand_only = static_cast<int>(std::min<int64_t>(on_demand.visible, w.queued));
  w.left = w.queued + w.running;
  if (first_) {
    first_ = false;
    finished_at_first_ = finished;
  } else {
    running_task_millis_ +=
        static_cast<double>(last_running_) * static_cast<double>(now - last_millis_);
  }
  last_millis_ = now;
  last_running_ = w.running;
  const int64_t done = finished - finished_at_first_;
  if (done > 0)
    w.mean_done_task_seconds = running_task_millis_ / 1000.0 / static_cast<double>(done);
  w.deadline_unix_millis = deadline_unix_millis_;
  w.longest_first = order_ == TaskOrder::kLargestFirst;
  w.remaining_hours = w.left * w.mean_done_task_seconds / 3600.0;
  last_ = w;
  return w;
}

}  // namespace spotbatch
