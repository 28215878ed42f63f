// The offline optimum of a deadline job, with the whole future of the traces known: the lower
// bound that no online policy can beat. A dynamic program over time steps (at most the
// finest trace tick, dividing the changeover exactly) of (progress, where the job runs,
// changeover left). It relaxes the real problem, so its cost is never above the true optimum:
// a step counts as spot-available when any pool has room at any moment of it, the cheapest
// such pool's price applies, moving between spot pools is free, billing has no minimum and the
// work is rounded down to whole steps.
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
// non-positive hours.
Result<OmniscientPlan> PlanDeadlineJobOffline(const std::vector<MarketPool>& pools,
                                              double job_hours, double deadline_hours,
                                              double changeover_hours, int64_t start_offset_millis);

}  // namespace spotbatch
