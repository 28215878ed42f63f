// The work a live fleet manager sees: the state store's counts of tasks and the on-demand
// queue's depth, read on the fleet's clock.
//
// The mean task time is measured, not configured: by Little's law, the time tasks spent
// running (the running count integrated over the manager's readings) over the tasks that
// finished since the first reading (so readings must come far more often than tasks end, as
// a manager's ticks do). It needs only the counts that one aggregate query gives,
// so a reading costs the same however long the history.
#pragma once

#include <cstdint>
#include <string>

#include "agent/fleet_manager.h"
#include "core/task_order.h"
#include "spotbatch/clock.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

class QueueWorkSource final : public WorkSource {
 public:
  // `queue`: the pipeline's queue (its on-demand queue is read too). `deadline_unix_millis`:
  // of `clock`; 0 for none. `order`: the pipeline's (WorkSnapshot::longest_first). All must
  // outlive the source.
  QueueWorkSource(StateStore& state, TaskQueue& queue, std::string queue_name, Clock& clock,
                  int64_t deadline_unix_millis, TaskOrder order = TaskOrder::kFifo);

  // kUnavailable (or the store's code) when a count cannot be read; the estimate is kept.
  Result<WorkSnapshot> Work() override;
  // What the last successful Work() returned.
  const WorkSnapshot& last() const { return last_; }

 private:
  StateStore& state_;
  TaskQueue& queue_;
  const std::string on_demand_queue_;
  Clock& clock_;
  const int64_t deadline_unix_millis_;
  const TaskOrder order_;
  bool first_ = true;
  int64_t finished_at_first_ = 0;
  int64_t last_millis_ = 0;
  int last_running_ = 0;
  double running_task_millis_ = 0;  // the running count integrated over time
  WorkSnapshot last_;
};

}  // namespace spotbatch
