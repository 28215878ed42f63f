#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/backlog_scaling.h"
#include "core/deadline_policies.h"
#include "core/fleet_policies.h"
#include "core/omniscient.h"

namespace spotbatch {
namespace {

void Add(PolicySummary& s, double cost, double on_demand_cost, bool met, double spot_hours,
         double od_hours, double interruptions, double finish) {
  ++s.runs;
  s.cost_usd += cost;
  s.cost_vs_on_demand += on_demand_cost > 0 ? cost / on_demand_cost : 0;
  s.deadline_met += met ? 1 : 0;
  s.spot_hours += spot_hours;
  s.on_demand_hours += od_hours;
  s.interruptions += interruptions;
  s.finish_hours += finish;
}

void Average(PolicySummary& s) {
  if (s.runs == 0) return;
  const double n = s.runs;
  for (double* v : {&s.cost_usd, &s.cost_vs_on_demand, &s.deadline_met, &s.spot_hours,
                    &s.on_demand_hours, &s.interruptions, &s.finish_hours, &s.launches_per_task}) {
    *v /= n;
  }
}

}  // namespace

const std::vector<std::string>& KnownPolicies(WorkloadKind kind) {
  static const std::vector<std::string> kDeadlineJob = {"on-demand", "greedy", "uniform-progress",
                                                        "omniscient", "spotbatch"};
  static const std::vector<std::string> kBagOfTasks = {
      "on-demand",          "greedy",
      "cheapest-pool",      "diversified",
      "capacity-optimized", "price-capacity-optimized",
      "omniscient",         "spotbatch",
      "autoscale"};
  return kind == WorkloadKind::kDeadlineJob ? kDeadlineJob : kBagOfTasks;
}

Result<std::unique_ptr<FleetPolicy>> NewPolicy(const std::string& name, WorkloadKind kind,
                                               int instances, const ScalingOptions& scaling) {
  if (kind == WorkloadKind::kDeadlineJob) {
    if (name == "on-demand") return NewOnDemandPolicy();
    if (name == "greedy") return NewGreedyPolicy();
    if (name == "uniform-progress") return NewUniformProgressPolicy();
    if (name == "spotbatch") return NewSpotbatchDeadlinePolicy();
  } else {
    if (name == "on-demand") return NewOnDemandFleetPolicy(instances);
    if (name == "greedy") return NewGreedyFleetPolicy(instances);
    if (name == "cheapest-pool") return NewCheapestPoolPolicy(instances);
    if (name == "diversified") return NewDiversifiedPolicy(instances);
    if (name == "capacity-optimized") return NewCapacityOptimizedPolicy(instances);
    if (name == "price-capacity-optimized") return NewPriceCapacityOptimizedPolicy(instances);
    if (name == "spotbatch") return NewSpotbatchFleetPolicy(instances);
    if (name == "autoscale") {
      ScalingOptions options = scaling;
      options.max_instances = std::min(options.max_instances, instances);
      options.on_demand_base = std::min(options.on_demand_base, options.max_instances);
      return NewBacklogScalingPolicy(options);
    }
  }
  std::string known;
  for (const std::string& k : KnownPolicies(kind)) known += (known.empty() ? "" : ", ") + k;
  return InvalidArgument("unknown policy \"" + name + "\" for this workload (known: " + known +
                         ")");
}

std::vector<double> TaskHours(const Scenario& s, int run) {
  if (!s.given_task_hours.empty()) return s.given_task_hours;
  std::vector<double> out(static_cast<size_t>(std::max(0, s.tasks)), s.task_hours);
  if (s.task_hours_cv <= 0) return out;
  std::mt19937_64 rng(s.seed * 1'000'003 + static_cast<uint64_t>(run));
  const double sigma2 = std::log(1 + s.task_hours_cv * s.task_hours_cv);
  std::lognormal_distribution<double> d(std::log(s.task_hours) - sigma2 / 2, std::sqrt(sigma2));
  for (double& h : out) h = std::max(1.0 / 3600, d(rng));  // at least a second
  return out;
}

std::vector<double> PredictedHours(const Scenario& s, int run, const std::vector<double>& hours) {
  std::vector<double> out = hours;
  if (s.prediction_cv <= 0) return out;
  // Its own stream: the same tasks whatever the error, the same error for every policy.
  std::mt19937_64 rng(s.seed * 1'000'003 + static_cast<uint64_t>(run) + 0x9e3779b97f4a7c15);
  const double sigma2 = std::log(1 + s.prediction_cv * s.prediction_cv);
  std::lognormal_distribution<double> error(-sigma2 / 2, std::sqrt(sigma2));
  for (double& h : out) h *= error(rng);
  return out;
}

std::vector<int64_t> StartOffsets(const Scenario& s) {
  if (s.start_at_offset) return std::vector<int64_t>(static_cast<size_t>(std::max(1, s.runs)), 0);
  int64_t span = 0;  // the shortest trace, of capacity or price: every run sees real data
  auto shorten = [&](int64_t of) { span = span == 0 ? of : std::min(span, of); };
  for (const MarketPool& p : s.pools) {
    if (p.spot() && !p.capacity.values.empty()) shorten(p.capacity.span_millis());
    if (p.price.gap_millis > 0 && p.price.usd_per_hour.size() > 1) shorten(p.price.span_millis());
  }
  // Runs start where their deadline (or, without one, twice the work spread over the
  // fleet) still falls inside the traces, when it can.
  double horizon_hours = s.work.deadline_hours;
  if (horizon_hours <= 0) {
    double work_hours = s.task_hours * s.tasks;
    if (!s.given_task_hours.empty()) {
      work_hours = std::accumulate(s.given_task_hours.begin(), s.given_task_hours.end(), 0.0);
    }
    horizon_hours = 2 * work_hours / std::max(1, s.instances);
  }
  const auto horizon = static_cast<int64_t>(horizon_hours * kMillisPerHour);
  const int64_t room = span > horizon ? span - horizon : span;
  std::mt19937_64 rng(s.seed);
  std::vector<int64_t> out;
  const int runs = std::max(1, s.runs);
  const int64_t slot = room / runs;
  for (int i = 0; i < runs; ++i) {
    const int64_t jitter = slot > 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(slot)) : 0;
    out.push_back(i * slot + jitter);
  }
  return out;
}

namespace {

Workload WorkOfRun(const Scenario& s, int run) {
  Workload w = s.work;
  if (s.kind != WorkloadKind::kBagOfTasks) return w;
  w.task_hours = TaskHours(s, run);
  if (w.order == TaskOrder::kLargestFirst) w.predicted_hours = PredictedHours(s, run, w.task_hours);
  return w;
}

// One policy (or the omniscient bound) on one run's work from `start`.
Result<SimResult> RunOne(const Scenario& s, const std::string& name, const Workload& work,
                         int64_t start, bool record_timeline) {
  if (name == "omniscient") {
    double work_hours = 0;
    for (double h : work.task_hours) work_hours += h;
    Result<OmniscientPlan> bound =
        s.kind == WorkloadKind::kDeadlineJob
            ? PlanDeadlineJobOffline(s.pools, work_hours, s.work.deadline_hours,
                                     s.work.changeover_hours, start, s.notice_millis)
            : BoundBagOfTasksOffline(s.pools, work_hours, s.instances, s.work.deadline_hours,
                                     s.work.changeover_hours, start, s.notice_millis);
    SB_ASSIGN_OR_RETURN(OmniscientPlan plan, std::move(bound));
    SimResult r;
    r.policy = name;
    r.on_demand_only_cost_usd = work_hours * CheapestOnDemandUsdPerHour(s.pools);
    r.cost_usd = plan.cost_usd;
    r.spot_hours = plan.spot_hours;
    r.on_demand_hours = plan.on_demand_hours;
    r.finished = r.deadline_met = plan.feasible;
    r.finish_hours = plan.finish_hours;
    return r;
  }
  SB_ASSIGN_OR_RETURN(std::unique_ptr<FleetPolicy> policy,
                      NewPolicy(name, s.kind, s.instances, s.scaling));
  SimOptions options;
  options.start_offset_millis = start;
  options.notice_millis = s.notice_millis;
  options.record_timeline = record_timeline;
  options.rebalance_lead_millis = s.rebalance_lead_millis;
  options.spurious_rebalances_per_hour = s.spurious_rebalances_per_hour;
  options.seed = s.seed + static_cast<uint64_t>(start);  // its own draws for each start
  // A bag's workers protect the instance they work on, as spotbatch's workers do; a deadline
  // job's policies move the job by terminating its instance.
  options.workers_protect = s.kind == WorkloadKind::kBagOfTasks;
  // A policy that never finishes stops at four times the deadline (or a year).
  options.give_up_after_hours = s.work.deadline_hours > 0 ? 4 * s.work.deadline_hours : 24 * 365;
  return Simulate(s.pools, work, *policy, options);
}

}  // namespace

Result<SimResult> SimulateRun(const Scenario& s, const std::string& policy, int run,
                              bool record_timeline) {
  const std::vector<int64_t> starts = StartOffsets(s);
  if (run < 0 || run >= static_cast<int>(starts.size())) {
    return InvalidArgument("simulate: no run " + std::to_string(run));
  }
  return RunOne(s, policy, WorkOfRun(s, run), starts[static_cast<size_t>(run)], record_timeline);
}

Result<std::vector<PolicySummary>> RunScenario(const Scenario& s) {
  if (s.policies.empty()) return InvalidArgument("simulate: no policies");
  const std::vector<int64_t> starts = StartOffsets(s);
  std::vector<Workload> works;  // per run: the same tasks for every policy
  for (size_t run = 0; run < starts.size(); ++run) {
    works.push_back(WorkOfRun(s, static_cast<int>(run)));
  }
  // The bound's runs first (computed once), to hold every policy's runs against it.
  std::vector<SimResult> bound;
  if (std::find(s.policies.begin(), s.policies.end(), "omniscient") != s.policies.end()) {
    for (size_t run = 0; run < starts.size(); ++run) {
      SB_ASSIGN_OR_RETURN(SimResult r, RunOne(s, "omniscient", works[run], starts[run], false));
      bound.push_back(std::move(r));
    }
  }
  std::vector<PolicySummary> out;
  for (const std::string& name : s.policies) {
    PolicySummary sum;
    sum.policy = name;
    for (size_t run = 0; run < starts.size(); ++run) {
      SimResult r;
      if (name == "omniscient") {
        r = bound[run];
      } else {
        SB_ASSIGN_OR_RETURN(r, RunOne(s, name, works[run], starts[run], false));
      }
      if (!bound.empty() && r.deadline_met && r.cost_usd < bound[run].cost_usd - 1e-9) {
        ++sum.runs_below_bound;
      }
      Add(sum, r.cost_usd, r.on_demand_only_cost_usd, r.deadline_met, r.spot_hours,
          r.on_demand_hours, r.interruptions, r.finish_hours);
      sum.launches_per_task +=
          static_cast<double>(r.launches) / static_cast<double>(works[run].task_hours.size());
      if (run == 0) sum.decisions = std::move(r.decisions);
    }
    Average(sum);
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace spotbatch
