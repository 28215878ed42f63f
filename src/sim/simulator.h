// A deterministic discrete-event simulation of a fleet on replayed market traces: instances
// launch in pools, work after a changeover, get a notice when their pool's capacity drops
// below what runs and are reclaimed `notice` later, and are billed per second (60 s minimum,
// as EC2 bills Linux). A FleetPolicy decides at every event, seeing only the present.
//
// Events are ordered by time, then by the order they were scheduled: the same inputs give the
// same result, bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/fleet_policy.h"
#include "core/market.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct Workload {
  // Hours of work of each task on one instance; a deadline job is one task.
  std::vector<double> task_hours;
  double deadline_hours = 0;    // since the start; 0: none
  double changeover_hours = 0;  // a new instance (a restart) works only after this
  // 0: progress survives an interruption (the command checkpoints on the notice and as it
  // goes); otherwise checkpoints every this many hours of a task's work, and an interrupted
  // task resumes from its last one.
  double checkpoint_hours = 0;
};

struct SimOptions {
  int64_t start_offset_millis = 0;  // where in the traces the run starts
  int64_t notice_millis = 120'000;  // notice before a reclaim
  int64_t min_billed_millis = 60'000;
  // A run that has not finished by then stops (a policy that never finishes).
  double give_up_after_hours = 24 * 365;
  bool record_timeline = false;
};

// One instance's life, for charts.
struct InstanceSpan {
  int pool = 0;
  int64_t launched_millis = 0;
  int64_t ended_millis = 0;
  bool reclaimed = false;
};

struct SimResult {
  std::string policy;
  double cost_usd = 0;
  double on_demand_only_cost_usd = 0;  // the same work on the cheapest on-demand pool
  double spot_hours = 0;               // instance hours, billed
  double on_demand_hours = 0;
  int interruptions = 0;  // instances reclaimed
  int launches = 0;
  int failed_launches = 0;  // no capacity
  bool finished = false;
  bool deadline_met = false;
  double finish_hours = 0;  // when the last task finished
  int64_t events = 0;
  std::vector<InstanceSpan> timeline;  // with SimOptions::record_timeline
};

// kInvalidArgument for an empty workload, no pools, or a policy action naming no pool.
Result<SimResult> Simulate(const std::vector<MarketPool>& pools, const Workload& work,
                           FleetPolicy& policy, const SimOptions& options);

}  // namespace spotbatch
