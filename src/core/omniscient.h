// Offline bounds: what no online policy can beat, with the whole future of the traces known.
// For a deadline job, the offline optimum by a dynamic program over time steps (at most the
// finest trace tick, dividing the changeover exactly) of (progress, where the job runs,
// changeover left). Both relax the real problem, so their cost is never above the true
// optimum: a step counts as spot-available when a pool has room at any moment of it, the
// cheapest such pool's price applies, moving between spot pools is free, billing has no
// minimum and the work is rounded down to whole steps.
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

// A lower bound on the cost of a bag of tasks of `work_hours` on a fleet of `instances`: the
// work taken as divisible, every step's spot room (up to the fleet's size, cheapest pools
// first, room counted as above) used until the work is done or the deadline (0: none; then at
// most a year) comes, on demand for the rest; no changeovers, no minimum billing, no lost work.
// Infeasible when the fleet cannot do the rest on demand in time.
Result<OmniscientPlan> BoundBagOfTasksOffline(const std::vector<MarketPool>& pools,
                                              double work_hours, int instances,
                                              double deadline_hours, int64_t start_offset_millis,
                                              int64_t notice_millis = 0);

}  // namespace spotbatch
