#include "apps/simulate_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/svg_charts.h"
#include "sim/scenario.h"

namespace spotbatch {

namespace {

// Rotates a repeating series of `gap_millis` ticks so that it starts `offset_millis` in.
template <typename T>
void StartAt(std::vector<T>& series, int64_t gap_millis, int64_t offset_millis) {
  if (series.size() < 2 || gap_millis <= 0 || offset_millis <= 0) return;
  const auto ticks = offset_millis / gap_millis % static_cast<int64_t>(series.size());
  std::rotate(series.begin(), series.begin() + ticks, series.end());
}

}  // namespace

std::vector<MarketPool> MarketPoolsOf(const Config& config) {
  std::vector<MarketPool> out;
  for (const PoolConfig& pc : config.pools) {
    MarketPool p;
    p.name = pc.name;
    p.instance_type = pc.instance_type;
    p.market = pc.spot ? MarketKind::kSpot : MarketKind::kOnDemand;
    p.price = pc.price_series.usd_per_hour.empty() ? PriceSeries::Constant(pc.price_per_hour)
                                                   : pc.price_series;
    p.on_demand_usd_per_hour = pc.on_demand_price_per_hour;
    p.max_instances = pc.max_instances;
    p.capacity = pc.capacity;
    const auto offset = static_cast<int64_t>(pc.trace_offset_seconds * 1000);
    StartAt(p.capacity.values, p.capacity.gap_millis, offset);
    StartAt(p.price.usd_per_hour, p.price.gap_millis, offset);
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

Scenario ScenarioOf(const Config& config) {
  const SimulateConfig& sc = config.simulate;
  Scenario s;
  s.pools = MarketPoolsOf(config);
  s.kind = sc.kind == "bag-of-tasks" ? WorkloadKind::kBagOfTasks : WorkloadKind::kDeadlineJob;
  if (s.kind == WorkloadKind::kDeadlineJob) s.work.task_hours = {sc.job_hours};
  s.tasks = sc.tasks;
  s.task_hours = sc.task_hours;
  s.task_hours_cv = sc.task_hours_cv;
  for (double seconds : sc.task_seconds) s.given_task_hours.push_back(seconds / 3600);
  s.work.order = sc.order;
  s.prediction_cv = sc.prediction_cv;
  s.instances = sc.instances;
  s.scaling = config.scaling;
  s.start_at_offset = sc.start_at_offset;
  s.work.deadline_hours = sc.deadline_hours;
  s.work.changeover_hours = sc.changeover_hours;
  s.work.checkpoint_hours = sc.checkpoint_hours;
  s.policies = sc.policies.empty() ? KnownPolicies(s.kind) : sc.policies;
  s.runs = sc.runs;
  s.seed = sc.seed;
  s.notice_millis = static_cast<int64_t>(config.notice_seconds * 1000);
  return s;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out ? Status::Ok() : Unavailable("cannot write " + path);
}

// timeline.svg: the first run, every policy's instances over each pool's room;
// cost_vs_slack.svg: each policy's mean cost at deadline slacks from 5% to 100% of the work.
Status WriteCharts(const Scenario& s, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir + ": " + ec.message());
  const std::vector<int64_t> starts = StartOffsets(s);
  TimelineChart timeline;
  timeline.deadline_hours = s.work.deadline_hours;
  double horizon = s.work.deadline_hours;
  for (const std::string& name : s.policies) {
    if (name == "omniscient") continue;
    SB_ASSIGN_OR_RETURN(SimResult r, SimulateRun(s, name, 0, /*record_timeline=*/true));
    horizon = std::max(horizon, r.finish_hours);
    timeline.policies.push_back({name, std::move(r.timeline)});
  }
  timeline.horizon_hours = horizon;
  for (const MarketPool& p : s.pools) {
    TimelineChart::PoolRow row{p.name, p.spot(), {}};
    if (p.spot()) {
      const int64_t step = p.capacity.values.empty() ? 60'000 : p.capacity.gap_millis;
      const auto end = static_cast<int64_t>(horizon * kMillisPerHour);
      for (int64_t t = 0; t < end; t += step) {
        if (p.capacity.CapacityAt(starts[0] + t, p.max_instances) <= 0) continue;
        const double from = static_cast<double>(t) / kMillisPerHour;
        const double to = static_cast<double>(std::min(end, t + step)) / kMillisPerHour;
        if (!row.room_hours.empty() && row.room_hours.back().second >= from) {
          row.room_hours.back().second = to;
        } else {
          row.room_hours.push_back({from, to});
        }
      }
    }
    timeline.pools.push_back(std::move(row));
  }
  timeline.title = "Run 1 from " + std::to_string(starts[0] / 3'600'000) +
                   " h into the traces: room per spot pool, and where each policy ran";
  SB_RETURN_IF_ERROR(WriteFile(dir + "/timeline.svg", TimelineSvg(timeline)));

  // The work the deadline is slack over: the job, or the batch spread over the fleet.
  double work_hours = s.kind == WorkloadKind::kDeadlineJob ? s.work.task_hours[0]
                                                           : s.tasks * s.task_hours / s.instances;
  std::vector<SlackCurve> curves;
  for (const std::string& name : s.policies) curves.push_back({name, {}});
  for (double slack : {0.05, 0.1, 0.25, 0.5, 1.0}) {
    Scenario at = s;
    at.work.deadline_hours = work_hours * (1 + slack) + s.work.changeover_hours;
    at.runs = std::min(s.runs, 10);
    SB_ASSIGN_OR_RETURN(std::vector<PolicySummary> results, RunScenario(at));
    for (size_t i = 0; i < results.size(); ++i) {
      curves[i].points.push_back({slack, results[i].cost_vs_on_demand});
    }
  }
  return WriteFile(dir + "/cost_vs_slack.svg",
                   CostVsSlackSvg(curves, "Mean cost against on demand, by deadline slack (" +
                                              std::to_string(std::min(s.runs, 10)) + " runs)"));
}

}  // namespace

int SimulateCommand(const Config& config, bool json, const std::string& svg_dir) {
  const SimulateConfig& sc = config.simulate;
  const Scenario s = ScenarioOf(config);
  auto results = RunScenario(s);
  if (!results.ok()) {
    std::fprintf(stderr, "spotbatch simulate: %s\n", results.status().message().c_str());
    return 1;
  }
  if (!svg_dir.empty()) {
    if (Status written = WriteCharts(s, svg_dir); !written.ok()) {
      std::fprintf(stderr, "spotbatch simulate: %s\n", written.message().c_str());
      return 1;
    }
    std::fprintf(stderr, "spotbatch simulate: wrote %s/timeline.svg and %s/cost_vs_slack.svg\n",
                 svg_dir.c_str(), svg_dir.c_str());
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
                       {"instances", sc.instances},
                       {"order", TaskOrderName(sc.order)}});
      if (sc.order == TaskOrder::kLargestFirst) workload["prediction_cv"] = sc.prediction_cv;
    }
    nlohmann::json out = {{"runs", s.runs},
                          {"seed", s.seed},
                          {"workload", workload},
                          {"results", nlohmann::json::array()}};
    for (const PolicySummary& r : *results) {
      // The fleet manager's decisions in the first run, to set beside a live run's.
      nlohmann::json decisions = nlohmann::json::array();
      for (const SimDecision& d : r.decisions) {
        decisions.push_back({{"at_seconds", static_cast<double>(d.at_millis) / 1000},
                             {"what", d.what},
                             {"pool", d.pool}});
      }
      const bool computed = r.policy == "omniscient";  // a bound: nothing launched
      out["results"].push_back(
          {{"policy", r.policy},
           {"cost_usd", r.cost_usd},
           {"cost_vs_on_demand", r.cost_vs_on_demand},
           {"deadline_met", r.deadline_met},
           {"spot_hours", r.spot_hours},
           {"on_demand_hours", r.on_demand_hours},
           {"interruptions", r.interruptions},
           {"finish_hours", r.finish_hours},
           {"launches_per_task", computed ? nlohmann::json() : nlohmann::json(r.launches_per_task)},
           {"decisions", decisions}});
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
    if (sc.order == TaskOrder::kLargestFirst) {
      std::printf(", longest predicted first (prediction cv %.3g)", sc.prediction_cv);
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
