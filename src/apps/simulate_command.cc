#include "apps/simulate_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "sim/scenario.h"

namespace spotbatch {

std::vector<MarketPool> MarketPoolsOf(const Config& config) {
  std::vector<MarketPool> out;
  for (const PoolConfig& pc : config.pools) {
    MarketPool p;
    p.name = pc.name;
    p.instance_type = pc.instance_type;
    p.market = pc.spot ? MarketKind::kSpot : MarketKind::kOnDemand;
    p.price = PriceSeries::Constant(pc.price_per_hour);
    p.on_demand_usd_per_hour = pc.on_demand_price_per_hour;
    p.max_instances = pc.max_instances;
    p.capacity = pc.capacity;
    if (!p.capacity.values.empty() && pc.trace_offset_seconds > 0) {
      const auto ticks = static_cast<int64_t>(pc.trace_offset_seconds * 1000) /
                         p.capacity.gap_millis % static_cast<int64_t>(p.capacity.values.size());
      std::rotate(p.capacity.values.begin(), p.capacity.values.begin() + ticks,
                  p.capacity.values.end());
    }
    out.push_back(std::move(p));
  }
  return out;
}

int SimulateCommand(const Config& config, bool json) {
  const SimulateConfig& sc = config.simulate;
  Scenario s;
  s.pools = MarketPoolsOf(config);
  s.kind = sc.kind == "bag-of-tasks" ? WorkloadKind::kBagOfTasks : WorkloadKind::kDeadlineJob;
  if (s.kind == WorkloadKind::kDeadlineJob) s.work.task_hours = {sc.job_hours};
  s.tasks = sc.tasks;
  s.task_hours = sc.task_hours;
  s.task_hours_cv = sc.task_hours_cv;
  s.instances = sc.instances;
  s.work.deadline_hours = sc.deadline_hours;
  s.work.changeover_hours = sc.changeover_hours;
  s.work.checkpoint_hours = sc.checkpoint_hours;
  s.policies = sc.policies.empty() ? KnownPolicies(s.kind) : sc.policies;
  s.runs = sc.runs;
  s.seed = sc.seed;
  s.notice_millis = static_cast<int64_t>(config.notice_seconds * 1000);
  auto results = RunScenario(s);
  if (!results.ok()) {
    std::fprintf(stderr, "spotbatch simulate: %s\n", results.status().message().c_str());
    return 1;
  }
  if (json) {
    nlohmann::json workload = {{"kind", sc.kind},
                               {"deadline_hours", sc.deadline_hours},
                               {"changeover_hours", sc.changeover_hours},
                               {"checkpoint_hours", sc.checkpoint_hours}};
    if (s.kind == WorkloadKind::kDeadlineJob) {
      workload["job_hours"] = sc.job_hours;
    } else {
      workload.update({{"tasks", sc.tasks},
                       {"task_hours", sc.task_hours},
                       {"task_hours_cv", sc.task_hours_cv},
                       {"instances", sc.instances}});
    }
    nlohmann::json out = {{"runs", s.runs},
                          {"seed", s.seed},
                          {"workload", workload},
                          {"results", nlohmann::json::array()}};
    for (const PolicySummary& r : *results) {
      out["results"].push_back({{"policy", r.policy},
                                {"cost_usd", r.cost_usd},
                                {"cost_vs_on_demand", r.cost_vs_on_demand},
                                {"deadline_met", r.deadline_met},
                                {"spot_hours", r.spot_hours},
                                {"on_demand_hours", r.on_demand_hours},
                                {"interruptions", r.interruptions},
                                {"finish_hours", r.finish_hours}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (s.kind == WorkloadKind::kDeadlineJob) {
    std::printf("deadline-job: %.4g h job, %.4g h deadline", sc.job_hours, sc.deadline_hours);
  } else {
    std::printf("bag-of-tasks: %d tasks of %.4g h (cv %.3g) on up to %d instances, ", sc.tasks,
                sc.task_hours, sc.task_hours_cv, sc.instances);
    if (sc.deadline_hours > 0) {
      std::printf("%.4g h deadline", sc.deadline_hours);
    } else {
      std::printf("no deadline");
    }
  }
  std::printf(", %.4g h changeover; %zu pools; means of %d runs (seed %llu)\n\n",
              sc.changeover_hours, s.pools.size(), s.runs, static_cast<unsigned long long>(s.seed));
  std::printf(
      "| policy | cost $ | vs on-demand | deadline met | spot h | on-demand h | "
      "interruptions | finish h |\n|---|---|---|---|---|---|---|---|\n");
  for (const PolicySummary& r : *results) {
    std::printf("| %s | %.2f | %.1f%% | %.0f%% | %.1f | %.1f | %.1f | %.1f |\n", r.policy.c_str(),
                r.cost_usd, 100 * r.cost_vs_on_demand, 100 * r.deadline_met, r.spot_hours,
                r.on_demand_hours, r.interruptions, r.finish_hours);
  }
  return 0;
}

}  // namespace spotbatch
