// What `run` and `up` report of a fleet under the fleet manager, whatever runs its instances
// (local processes, apps/managed_fleet.h; EC2 groups, apps/ec2_managed_fleet.h): the bill with
// every attempt apportioned to its job, and the manager's decisions.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "agent/fleet_manager.h"
#include "spotbatch/state_store.h"

namespace spotbatch {

// Per pool, what the fleet counted of its instances.
struct PoolTally {
  int launched = 0;
  int notices = 0;
  int reclaims = 0;
  int crashes = 0;
};

// What the fleet's instance time would have cost on demand (the jobs' own on-demand costs
// leave idle time out): the saving a user compares against.
NanoUsd OnDemandOfInstanceTime(const Bill& bill);

// WorkerFleet::Bill: the manager's ledger (a copy: asking twice records nothing twice) with
// every attempt of the jobs in `jobs` (every job when null) that ran on one of its instances
// apportioned to its job. `to_fleet_millis` maps a time the store holds (unix millis) to
// the fleet clock's; `now` is of the fleet clock; `tallies` are in the pools' order (a pool
// without one counts 0).
nlohmann::json ManagedBillJson(const FleetManager& manager, StateStore& state,
                               const std::set<std::string>* jobs, int64_t now,
                               const std::function<int64_t(int64_t)>& to_fleet_millis,
                               const std::vector<PoolTally>& tallies);

// WorkerFleet::Decisions, times in seconds since `start_millis` (of the manager's clock).
nlohmann::json ManagedDecisionsJson(const FleetManager& manager, int64_t start_millis);

}  // namespace spotbatch
