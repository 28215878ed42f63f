// A deterministic discrete-event simulation of a fleet on replayed market traces. The fleet
// manager that runs the live fleet under `run` and `up` (agent/fleet_manager.h) runs here
// unchanged: it observes a simulated Fleet, Market and WorkSource (sim_fleet.h) on a virtual
// clock, asks the FleetPolicy, acts through the Fleet, and keeps the bill in its CostLedger
// (per second, 60 s minimum, as EC2 bills Linux). The loop only advances the clock from one
// event to the next (a tick of a trace, an instance ready, a task done, a notice's reclaim,
// and a decision every simulated minute), applies it and lets the manager tick.
//
// Events are ordered by time, then by the order they were scheduled: the same inputs give the
// same result, bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cost_ledger.h"
#include "core/fleet_policy.h"
#include "core/market.h"
#include "sim/sim_fleet.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The simulated fleet's options (where in the traces the run starts, the notice, whether
// workers protect their instance, rebalance recommendations), and when to give up.
struct SimOptions : SimFleetOptions {
  // A run that has not finished by then stops (a policy that never finishes).
  double give_up_after_hours = 24 * 365;
};

// One of the manager's decisions (FleetDecision), for reports.
struct SimDecision {
  int64_t at_millis = 0;  // since the start
  std::string what;       // FleetDecisionName: "launched", "no-capacity", "terminated", ...
  std::string pool;
};

struct SimResult {
  std::string policy;
  double cost_usd = 0;                 // the manager's bill
  double on_demand_only_cost_usd = 0;  // the same work on the cheapest on-demand pool
  double spot_hours = 0;               // instance hours, billed
  double on_demand_hours = 0;
  int interruptions = 0;    // instances reclaimed
  int launches = 0;         // instances launched
  int failed_launches = 0;  // no capacity, or the pool at its maximum
  bool finished = false;
  bool deadline_met = false;
  double finish_hours = 0;  // when the last task finished
  int64_t events = 0;
  // The ledger's bill with every attempt apportioned to its task (job "task-<index>"): the
  // jobs' costs plus idle add up to bill.total exactly.
  Bill bill;
  std::vector<SimDecision> decisions;
  std::vector<InstanceSpan> timeline;  // with SimOptions::record_timeline
};

// kInvalidArgument for an empty workload, a task that is not positive, predicted lengths not
// one per task, no pools, or a policy action naming no pool.
Result<SimResult> Simulate(const std::vector<MarketPool>& pools, const Workload& work,
                           FleetPolicy& policy, const SimOptions& options);

}  // namespace spotbatch
