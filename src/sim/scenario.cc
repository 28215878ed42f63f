#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/deadline_policies.h"
#include "core/fleet_policies.h"
#include "core/omniscient.h"

namespace spotbatch {
namespace {

constexpr double kMillisPerHour = 3'600'000.0;

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
                    &s.on_demand_hours, &s.interruptions, &s.finish_hours}) {
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
      "spotbatch"};
  return kind == WorkloadKind::kDeadlineJob ? kDeadlineJob : kBagOfTasks;
}

Result<std::unique_ptr<FleetPolicy>> NewPolicy(const std::string& name, WorkloadKind kind,
                                               int instances) {
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
  }
  std::string known;
  for (const std::string& k : KnownPolicies(kind)) known += (known.empty() ? "" : ", ") + k;
  return InvalidArgument("unknown policy \"" + name + "\" for this workload (known: " + known +
                         ")");
}

std::vector<double> TaskHours(const Scenario& s, int run) {
  std::vector<double> out(static_cast<size_t>(std::max(0, s.tasks)), s.task_hours);
  if (s.task_hours_cv <= 0) return out;
  std::mt19937_64 rng(s.seed * 1'000'003 + static_cast<uint64_t>(run));
  const double sigma2 = std::log(1 + s.task_hours_cv * s.task_hours_cv);
  std::lognormal_distribution<double> d(std::log(s.task_hours) - sigma2 / 2, std::sqrt(sigma2));
  for (double& h : out) h = std::max(1.0 / 3600, d(rng));  // at least a second
  return out;
}

std::vector<int64_t> StartOffsets(const Scenario& s) {
  int64_t span = 0;  // the shortest trace: every run sees real data in every pool
  for (const MarketPool& p : s.pools) {
    if (!p.spot() || p.capacity.values.empty()) continue;
    span = span == 0 ? p.capacity.span_millis() : std::min(span, p.capacity.span_millis());
  }
  // Runs start where their deadline (or, without one, twice the work spread over the
  // fleet) still falls inside the traces, when it can.
  double horizon_hours = s.work.deadline_hours;
  if (horizon_hours <= 0) horizon_hours = 2 * s.task_hours * s.tasks / std::max(1, s.instances);
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

Result<std::vector<PolicySummary>> RunScenario(const Scenario& s) {
  if (s.policies.empty()) return InvalidArgument("simulate: no policies");
  const std::vector<int64_t> starts = StartOffsets(s);
  std::vector<PolicySummary> out;
  std::vector<Workload> works;  // per run: the same tasks for every policy
  for (size_t run = 0; run < starts.size(); ++run) {
    works.push_back(s.work);
    if (s.kind == WorkloadKind::kBagOfTasks)
      works.back().task_hours = TaskHours(s, static_cast<int>(run));
  }
  for (const std::string& name : s.policies) {
    PolicySummary sum;
    sum.policy = name;
    for (size_t run = 0; run < starts.size(); ++run) {
      const int64_t start = starts[run];
      const Workload& work = works[run];
      if (name == "omniscient") {
        if (s.kind != WorkloadKind::kDeadlineJob || s.work.deadline_hours <= 0) {
          return InvalidArgument(
              "simulate: the omniscient bound is computed for a deadline job (one task with a "
              "deadline)");
        }
        SB_ASSIGN_OR_RETURN(
            OmniscientPlan plan,
            PlanDeadlineJobOffline(s.pools, s.work.task_hours[0], s.work.deadline_hours,
                                   s.work.changeover_hours, start));
        double od_cost = 0;
        for (const MarketPool& p : s.pools) {
          if (!p.spot())
            od_cost = od_cost == 0 ? p.price.Mean() : std::min(od_cost, p.price.Mean());
        }
        Add(sum, plan.cost_usd, od_cost * s.work.task_hours[0], plan.feasible, plan.spot_hours,
            plan.on_demand_hours, 0, plan.finish_hours);
        continue;
      }
      SB_ASSIGN_OR_RETURN(std::unique_ptr<FleetPolicy> policy,
                          NewPolicy(name, s.kind, s.instances));
      SimOptions options;
      options.start_offset_millis = start;
      options.notice_millis = s.notice_millis;
      // A policy that never finishes stops at four times the deadline (or a year).
      options.give_up_after_hours =
          s.work.deadline_hours > 0 ? 4 * s.work.deadline_hours : 24 * 365;
      SB_ASSIGN_OR_RETURN(SimResult r, Simulate(s.pools, work, *policy, options));
      Add(sum, r.cost_usd, r.on_demand_only_cost_usd, r.deadline_met, r.spot_hours,
          r.on_demand_hours, r.interruptions, r.finish_hours);
    }
    Average(sum);
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace spotbatch
