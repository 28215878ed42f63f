// Compares fleet policies on one market and workload over many start times: what
// `spotbatch simulate` runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backlog_scaling.h"
#include "core/fleet_policy.h"
#include "core/market.h"
#include "sim/simulator.h"
#include "spotbatch/status.h"

namespace spotbatch {

// A deadline job runs on one instance at a time; a bag of tasks on a fleet.
enum class WorkloadKind { kDeadlineJob, kBagOfTasks };

// The policy names `simulate` accepts for a kind of workload, in the order it lists them.
const std::vector<std::string>& KnownPolicies(WorkloadKind kind);
// A fresh policy (policies keep state through one run) for a fleet of `instances`;
// kInvalidArgument naming the known ones for anything else. "omniscient" is not a policy that
// runs but a bound that is computed: ask RunScenario for it.
Result<std::unique_ptr<FleetPolicy>> NewPolicy(const std::string& name, WorkloadKind kind,
                                               int instances, const ScalingOptions& scaling = {});

struct Scenario {
  std::vector<MarketPool> pools;
  WorkloadKind kind = WorkloadKind::kDeadlineJob;
  // A deadline job: work.task_hours holds its one task. A bag of tasks: `tasks` tasks of
  // `task_hours` on average (lognormal with coefficient of variation `task_hours_cv`; 0: all
  // equal), drawn anew for every run from the seed, on up to `instances` instances;
  // work.task_hours is filled per run.
  Workload work;
  int tasks = 0;
  double task_hours = 0;
  double task_hours_cv = 0;
  // A bag of tasks given task by task (hours each): every run has exactly these, in this
  // order, and `tasks`, `task_hours` and `task_hours_cv` are not used.
  std::vector<double> given_task_hours;
  // A bag of tasks: the order tasks start in (work.order), and under kLargestFirst how well
  // their lengths are known ahead: each predicted length is the true one times a lognormal
  // error of mean 1 and coefficient of variation `prediction_cv` (0: exact), drawn per run
  // from the seed apart from the lengths themselves (work.predicted_hours is filled per run).
  double prediction_cv = 0;
  int instances = 1;
  // "autoscale"'s options; its max_instances is at most `instances`.
  ScalingOptions scaling;
  std::vector<std::string> policies;
  int runs = 20;                 // start times, spread evenly over the traces
  bool start_at_offset = false;  // every run starts at the traces' start (as given) instead
  uint64_t seed = 1;
  int64_t notice_millis = 120'000;
  // Rebalance recommendations in the simulated market (SimOptions); none by default.
  int64_t rebalance_lead_millis = 0;
  double spurious_rebalances_per_hour = 0;
};

// The task durations of run `run` of a bag-of-tasks scenario.
std::vector<double> TaskHours(const Scenario& s, int run);
// What the dispatcher predicts of `hours` (TaskHours of run `run`) under s.prediction_cv.
std::vector<double> PredictedHours(const Scenario& s, int run, const std::vector<double>& hours);

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
  double launches_per_task = 0;  // instances launched per task
  // Runs in which this policy met the deadline for less than the omniscient bound (when the
  // scenario has it): a bug in one or the other.
  int runs_below_bound = 0;
  // The fleet manager's decisions in the first run (none for the omniscient bound, which is
  // computed, not run).
  std::vector<SimDecision> decisions;
};

// The start offsets of the runs (millis into the traces): one per equal slot of the span the
// runs may start in, at a point within it drawn from `seed`; all 0 with start_at_offset.
std::vector<int64_t> StartOffsets(const Scenario& s);

Result<std::vector<PolicySummary>> RunScenario(const Scenario& s);

// Run `run` (0-based, of s.runs) of one policy alone, with the instances' timeline when asked
// (for charts). The omniscient bound has no timeline.
Result<SimResult> SimulateRun(const Scenario& s, const std::string& policy, int run,
                              bool record_timeline);

}  // namespace spotbatch
