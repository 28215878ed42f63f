// Offline bounds: what no online policy can beat, with the whole future of the traces known.
// For a deadline job, the offline optimum by a dynamic program over time steps (at most the
// finest trace tick, dividing the changeover exactly) of (progress, where the job runs,
// changeover left); it relaxes the real problem, so its cost is never above the true
// optimum: a step counts as spot-available when a pool has room at any moment of it, the
// cheapest such pool's price applies, moving between spot pools is free, billing has no
// minimum and the work is rounded down to whole steps. For a bag of tasks, a linear program's
// optimum (below).
#pragma once

#include <cstdint>
#include <vector>

#include "core/market.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct OmniscientPlan {
  bool feasible = false;  // the deadline can be met at all
  double cost_usd = 0;
  double spot_hours = 0;
  double on_demand_hours = 0;
  double finish_hours = 0;
};

// kInvalidArgument without an on-demand pool (the fallback every deadline needs) or for
// non-positive hours. A noticed instance works `notice_millis` past the end of its pool's
// room, so room counts that much longer.
Result<OmniscientPlan> PlanDeadlineJobOffline(const std::vector<MarketPool>& pools,
                                              double job_hours, double deadline_hours,
                                              double changeover_hours, int64_t start_offset_millis,
                                              int64_t notice_millis = 0);

// A lower bound on the cost of a bag of tasks of `work_hours` on a fleet of `instances`, the
// optimum of a linear program: the work taken as divisible, in every step at most the fleet's
// size in instances, spot room as the traces give it until the deadline (0: none; then at
// most a year), on demand without limit. In a pool whose room is all or nothing (every
// instance ends with its stretch of room) each instance pays a `changeover_hours` before it
// works, spread over the stretch; elsewhere room counts as above and no changeover is
// charged. No minimum billing, no lost work, no changeover on demand. Infeasible when the
// fleet cannot do the work on demand in time.
Result<OmniscientPlan> BoundBagOfTasksOffline(const std::vector<MarketPool>& pools,
                                              double work_hours, int instances,
                                              double deadline_hours, double changeover_hours,
                                              int64_t start_offset_millis,
                                              int64_t notice_millis = 0);

}  // namespace spotbatch
