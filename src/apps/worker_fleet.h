// What `run` and `up` run their workers on: plain local workers (no [[fleet.pool]]), the
// local fleet of spot and on-demand pools under the fleet manager, or EC2 pools under it.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "apps/config.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

class WorkerFleet {
 public:
  virtual ~WorkerFleet() = default;
  // Starts, replaces and stops workers as the fleet decides; call every few tens of
  // milliseconds. Returns how many workers were restarted after dying.
  virtual int Tick() = 0;
  // SIGTERM to every worker (each hands its task back), SIGKILL after `grace_millis`.
  virtual void StopAll(int64_t grace_millis) = 0;
  // The bill so far, as `run --json` prints it: "cost_usd", "on_demand_cost_usd",
  // "idle_cost_usd", "pools" and "job_costs" (the attempts of the jobs in `jobs`, or of every
  // job when it is null, apportioned).
  virtual nlohmann::json Bill(StateStore& state, const std::set<std::string>* jobs) = 0;
  // What the fleet manager did, in order: [{"at_seconds" (trace seconds since the start),
  // "what" (FleetDecisionName), "pool", "instance", "why"}]; empty for plain workers.
  virtual nlohmann::json Decisions() { return nlohmann::json::array(); }
  // The run's timeline as an SVG document (apps/svg_charts.h FleetRunSvg); "" for plain
  // workers.
  virtual std::string TimelineSvg(const std::string& title) { return ""; }
  // The fleet now, for `up`'s GET /api/fleet: {"pools": [{"name", "market", "instances",
  // "noticed", "room", "launched", "notices", "reclaims"}], "cost_usd", "on_demand_cost_usd"}
  // (pools empty and costs 0 for plain workers, with "workers" running).
  virtual nlohmann::json FleetStatus() = 0;
  // One line on the fleet for the progress display ("" for plain workers).
  virtual std::string Summary() = 0;
};

// `plain_workers`: how many plain workers to run when the config has no pools (`run` needs no
// more than it has jobs). The state store and queue are the pipeline's (the fleet manager
// reads the backlog from them); they must outlive the fleet. Local fleets always open; EC2
// pools (apps/ec2_managed_fleet.h) fail as Ec2ManagedFleet::Open says.
Result<std::unique_ptr<WorkerFleet>> NewWorkerFleet(const Config& config, const std::string& self_exe,
                                            StateStore& state, TaskQueue& queue, int plain_workers);

}  // namespace spotbatch
