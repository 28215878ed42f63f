// Compares fleet policies on one market and workload over many start times: what
// `spotbatch simulate` runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/fleet_policy.h"
#include "core/market.h"
#include "sim/simulator.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The policy names `simulate` accepts, in the order it lists them.
const std::vector<std::string>& KnownPolicies();
// A fresh policy (policies keep state through one run); kInvalidArgument naming the known
// ones for anything else. "omniscient" is not a policy that runs but a bound that is computed:
// ask RunScenario for it.
Result<std::unique_ptr<FleetPolicy>> NewPolicy(const std::string& name);

struct Scenario {
  std::vector<MarketPool> pools;
  Workload work;
  std::vector<std::string> policies;
  int runs = 20;  // start times, spread evenly over the traces
  uint64_t seed = 1;
  int64_t notice_millis = 120'000;
};

struct PolicySummary {
  std::string policy;
  int runs = 0;
  // Means over the runs.
  double cost_usd = 0;
  double cost_vs_on_demand = 0;  // cost / the same work on demand
  double deadline_met = 0;       // fraction of runs
  double spot_hours = 0;
  double on_demand_hours = 0;
  double interruptions = 0;
  double finish_hours = 0;
};

// The start offsets of the runs (millis into the traces): one per equal slot of the span the
// runs may start in, at a point within it drawn from `seed`.
std::vector<int64_t> StartOffsets(const Scenario& s);

Result<std::vector<PolicySummary>> RunScenario(const Scenario& s);

}  // namespace spotbatch
