// Writes the markdown of bench/SIMULATE.md to stdout: the "Can't Be Late" setting on every
// one-zone availability trace, the same job over several zones, the reference architecture's
// claims checked on the market data, and the simulator's speed. Section 3b (pools that differ in
// price and interruption band) is in differing_pools.cc.
// Usage: simulate_bench DATA_DIR RUNS
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "adapters/local/market_data.h"
#include "adapters/local/trace_file.h"
#include "bag_of_tasks.h"
#include "core/deadline_policies.h"
#include "core/fleet_policies.h"
#include "core/omniscient.h"
#include "differing_pools.h"
#include "sim/scenario.h"

namespace spotbatch {
namespace {

constexpr double kOnDemand = 3.06;  // p3.2xlarge, as in the paper
constexpr double kSpot = 0.9731;

std::string Base(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The nine one-zone p3.2xlarge availability traces of 2023-02-15, under DATA_DIR.
constexpr const char* kZoneTraces = "/traces/availability-1node/aws-02-15-2023/";
constexpr const char* kZones[] = {"us-east-1a", "us-east-1c", "us-east-1d",
                                  "us-east-1f", "us-east-2a", "us-east-2b",
                                  "us-west-2a", "us-west-2b", "us-west-2c"};

MarketPool SpotPool(const std::string& trace) {
  MarketPool p;
  p.name = Base(trace);
  p.market = MarketKind::kSpot;
  p.price = PriceSeries::Constant(kSpot);
  p.on_demand_usd_per_hour = kOnDemand;
  auto t = LoadCapacityTrace(trace);
  if (!t.ok()) {
    std::fprintf(stderr, "%s\n", t.status().ToString().c_str());
    std::exit(1);
  }
  p.capacity = std::move(*t);
  return p;
}

MarketPool OnDemandPool() {
  MarketPool p;
  p.name = "on-demand";
  p.market = MarketKind::kOnDemand;
  p.price = PriceSeries::Constant(kOnDemand);
  p.on_demand_usd_per_hour = kOnDemand;
  return p;
}

Scenario CantBeLate(std::vector<MarketPool> spot, int runs) {
  Scenario s;
  s.pools = std::move(spot);
  s.pools.push_back(OnDemandPool());
  s.work.task_hours = {48};
  s.work.deadline_hours = 60;
  s.work.changeover_hours = 0.2;
  s.policies = KnownPolicies(WorkloadKind::kDeadlineJob);
  s.runs = runs;
  s.seed = 1;
  s.notice_millis = 0;  // as in the paper: the instance is gone at the tick that says so
  return s;
}

void CantBeLateTable(const std::string& data, int runs) {
  const std::string dir = data + kZoneTraces;
  std::printf(
      "## 1. The \"Can't Be Late\" setting, one zone at a time\n\n"
      "48 h job, 60 h deadline, 0.2 h changeover, p3.2xlarge at $%.2f on demand and "
      "$%.4f spot, on each one-zone availability trace of 2023-02-15 (195 s ticks, 45 "
      "days); %d start times per trace, spread evenly; no notice (the instance is gone "
      "at the tick that says so, as in the paper). Cells: on-demand hours / spot hours "
      "(cost $). Every policy met every deadline unless a row says otherwise.\n\n",
      kOnDemand, kSpot, runs);
  const std::vector<std::string> policies = KnownPolicies(WorkloadKind::kDeadlineJob);
  std::printf("| zone |");
  for (const std::string& p : policies) std::printf(" %s |", p.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < policies.size(); ++i) std::printf("---|");
  std::printf("\n");
  std::map<std::string, PolicySummary> mean;
  for (const char* zone : kZones) {
    const auto results = MustRun(CantBeLate({SpotPool(dir + zone + "_v100_1.json")}, runs));
    std::printf("| %s |", zone);
    for (const PolicySummary& r : results) {
      std::printf(" %.1f / %.1f ($%.0f)%s |", r.on_demand_hours, r.spot_hours, r.cost_usd,
                  r.deadline_met < 1 ? " MISSED" : "");
      PolicySummary& m = mean[r.policy];
      m.on_demand_hours += r.on_demand_hours / std::size(kZones);
      m.spot_hours += r.spot_hours / std::size(kZones);
      m.cost_usd += r.cost_usd / std::size(kZones);
      m.deadline_met += r.deadline_met / std::size(kZones);
    }
    std::printf("\n");
  }
  std::printf("| **mean** |");
  for (const std::string& p : policies) {
    std::printf(" **%.1f / %.1f ($%.0f)** |", mean[p].on_demand_hours, mean[p].spot_hours,
                mean[p].cost_usd);
  }
  std::printf("\n| paper (NSDI 2024) | - | 30.8 / 17.2 | 25.1 / 22.9 | 20.7 / 27.4 | - |\n\n");
  const double omni = mean["omniscient"].cost_usd;
  std::printf(
      "Mean cost against the omniscient bound: greedy +%.1f%%, uniform-progress +%.1f%%, "
      "spotbatch +%.1f%%; spotbatch against uniform-progress: %+.1f%%.\n\n",
      100 * (mean["greedy"].cost_usd / omni - 1),
      100 * (mean["uniform-progress"].cost_usd / omni - 1),
      100 * (mean["spotbatch"].cost_usd / omni - 1),
      100 * (mean["spotbatch"].cost_usd / mean["uniform-progress"].cost_usd - 1));
}

void ManyZonesTable(const std::string& data, int runs) {
  const std::string dir = data + kZoneTraces;
  std::printf(
      "## 2. The same job over several zones\n\n"
      "The first N zones of the list above as N spot pools (same price), every policy "
      "free to use any of them; cost in $ (on-demand hours / spot hours).\n\n"
      "| zones |");
  const std::vector<std::string> policies = KnownPolicies(WorkloadKind::kDeadlineJob);
  for (const std::string& p : policies) std::printf(" %s |", p.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < policies.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (int n : {1, 3, 5, 9}) {
    std::vector<MarketPool> pools;
    for (int i = 0; i < n; ++i) pools.push_back(SpotPool(dir + kZones[i] + "_v100_1.json"));
    std::printf("| %d |", n);
    for (const PolicySummary& r : MustRun(CantBeLate(pools, runs))) {
      std::printf(" %.0f (%.1f / %.1f)%s |", r.cost_usd, r.on_demand_hours, r.spot_hours,
                  r.deadline_met < 1 ? " MISSED" : "");
    }
    std::printf("\n");
  }
  std::printf("\n");
}

// The deadline job at slacks from 5% to 100% of the work on every one-zone trace: spotbatch
// against the cheaper of greedy and uniform-progress on each trace.
// The rows of section 2b, `runs` start times drawn from each of `seeds`.
void SlackRows(const std::string& data, int runs, const std::vector<uint64_t>& seeds) {
  const std::string dir = data + kZoneTraces;
  const std::vector<std::string> policies = {"greedy", "uniform-progress", "spotbatch"};
  std::printf(
      "| slack | greedy | uniform-progress | spotbatch | spotbatch vs cheaper (mean) | worst "
      "zone | zones >1%% above cheaper | zones above uniform-progress |\n"
      "|---|---|---|---|---|---|---|---|\n");
  for (double slack : {0.05, 0.10, 0.25, 0.50, 1.00}) {
    double mean[3] = {0, 0, 0}, ratio_sum = 0, worst = -1;
    std::string worst_zone, above_cheaper, above_up;
    double missed = 0;  // runs where spotbatch missed the deadline, over all zones
    for (const char* zone : kZones) {
      std::vector<PolicySummary> results;
      for (uint64_t seed : seeds) {
        Scenario s = CantBeLate({SpotPool(dir + zone + "_v100_1.json")}, runs);
        s.work.deadline_hours = 48 * (1 + slack);
        s.policies = policies;
        s.seed = seed;
        const auto more = MustRun(s);
        if (results.empty()) results = std::vector<PolicySummary>(more.size());
        for (size_t i = 0; i < more.size(); ++i) {
          results[i].cost_usd += more[i].cost_usd / seeds.size();
          results[i].deadline_met += more[i].deadline_met / seeds.size();
          results[i].runs += more[i].runs;
        }
      }
      for (int i = 0; i < 3; ++i) mean[i] += results[i].cost_usd / std::size(kZones);
      missed += (1 - results[2].deadline_met) * results[2].runs;
      const double cheaper = std::min(results[0].cost_usd, results[1].cost_usd);
      const double ratio = results[2].cost_usd / cheaper - 1;
      ratio_sum += ratio / std::size(kZones);
      if (ratio > worst) worst = ratio, worst_zone = zone;
      auto add = [&](std::string& list, double by) {
        char cell[64];
        std::snprintf(cell, sizeof cell, "%s%s %+.1f%%", list.empty() ? "" : ", ", zone, 100 * by);
        list += cell;
      };
      if (ratio > 0.01) add(above_cheaper, ratio);
      if (results[2].cost_usd > results[1].cost_usd + 1e-9) {
        add(above_up, results[2].cost_usd / results[1].cost_usd - 1);
      }
    }
    std::printf(
        "| %.0f%% (%.1f h)%s | $%.1f | $%.1f | $%.1f | %+.1f%% | %s %+.1f%% | %s | %s |\n",
        100 * slack, 48 * (1 + slack),
        missed > 0.5 ? (" spotbatch missed " + std::to_string(std::lround(missed))).c_str() : "",
        mean[0], mean[1], mean[2], 100 * ratio_sum, worst_zone.c_str(), 100 * worst,
        above_cheaper.empty() ? "none" : above_cheaper.c_str(),
        above_up.empty() ? "none" : above_up.c_str());
  }
  std::printf("\n");
}

void SlackTable(const std::string& data, int runs) {
  std::printf(
      "## 2b. The deadline job against its slack\n\n"
      "The job of section 1 with deadlines of 5%% to 100%% of its 48 h of work after them, on "
      "each of the nine one-zone traces, %d start times each. Mean cost over the zones; then "
      "spotbatch against the cheaper of greedy and uniform-progress on each zone: the mean "
      "of those ratios, the worst zone, and the zones where spotbatch is more than 1%% above "
      "the cheaper or above uniform-progress; spotbatch met every deadline unless the slack "
      "says otherwise.\n\n",
      runs);
  SlackRows(data, runs, {1});
  std::printf(
      "The same on start times spotbatch's line was not tuned on (drawn from seeds 2 and 3, %d "
      "each):\n\n",
      runs);
  SlackRows(data, runs, {2, 3});
}

// The bag of tasks of sections 3 and 4 on the first `zones` zones, each a spot pool of at most
// kPerPool instances, and an on-demand pool as large as the fleet.
constexpr int kPerPool = 8;
Scenario BagOfTasks(const std::string& data, int zones, double cv, double deadline_hours,
                    const std::vector<std::string>& policies, int runs) {
  const std::string dir = data + kZoneTraces;
  std::vector<MarketPool> pools;
  for (int i = 0; i < zones; ++i) {
    pools.push_back(SpotPool(dir + kZones[i] + "_v100_1.json"));
    pools.back().max_instances = kPerPool;
  }
  pools.push_back(OnDemandPool());
  pools.back().max_instances = kInstances;
  return BagOfTasksOn(std::move(pools), cv, deadline_hours, policies, runs);
}

// Runs of every policy in `results` that met the deadline for less than the bound (a bug in
// one or the other), and runs held against it, added to the counts.
void HoldAgainstBound(const std::vector<PolicySummary>& results, int* below, int* held) {
  for (const PolicySummary& r : results) {
    if (r.policy == "omniscient") continue;
    *below += r.runs_below_bound;
    *held += r.runs;
  }
}

void PrintBoundCheck(int below, int held) {
  std::printf("Runs that met the deadline for less than the bound: %s (of %d runs).\n\n",
              below == 0 ? "none" : std::to_string(below).c_str(), held);
}

double CostOf(const std::vector<PolicySummary>& results, const std::string& policy) {
  return Summary(results, policy).cost_usd;
}

void BagOfTasksTable(const std::string& data, int runs) {
  std::printf(
      "## 3. A bag of tasks over 1, 3, 5 and 9 zones\n\n"
      "%d tasks of 1 h on average (lognormal, coefficient of variation 0.5, drawn anew "
      "for each run), a fleet of up to %d instances (autoscale's `max_instances` too), a "
      "deadline of 150 h for the whole batch (100 h of fleet time: 50%% slack), 0.05 h "
      "changeover, a 120 s notice; each zone a spot pool of at most %d instances (binary "
      "trace: room for %d or none), prices as above, an on-demand pool without limit. Cost in "
      "$ (on-demand hours / spot hours); %d runs.\n\n| zones |",
      kTasks, kInstances, kPerPool, kPerPool, runs);
  const std::vector<std::string>& policies = KnownPolicies(WorkloadKind::kBagOfTasks);
  for (const std::string& p : policies) std::printf(" %s |", p.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < policies.size(); ++i) std::printf("---|");
  std::printf("\n");
  std::string against;
  int below = 0, held = 0;
  for (int n : {1, 3, 5, 9}) {
    const std::vector<PolicySummary> results =
        MustRun(BagOfTasks(data, n, 0.5, 150, policies, runs));
    HoldAgainstBound(results, &below, &held);
    std::printf("| %d |", n);
    for (const PolicySummary& r : results) {
      std::printf(" %.0f (%.0f / %.0f)%s |", r.cost_usd, r.on_demand_hours, r.spot_hours,
                  r.deadline_met < 1 ? " MISSED" : "");
    }
    std::printf("\n");
    const double bound = CostOf(results, "omniscient");
    char line[160];
    std::snprintf(line, sizeof line, "%s%d zone%s: spotbatch %+.1f%%, autoscale %+.1f%%",
                  against.empty() ? "" : "; ", n, n == 1 ? "" : "s",
                  100 * (CostOf(results, "spotbatch") / bound - 1),
                  100 * (CostOf(results, "autoscale") / bound - 1));
    against += line;
  }
  std::printf("\nAgainst the omniscient bound: %s.\n", against.c_str());
  PrintBoundCheck(below, held);
}

// Tighter deadlines and heavier tails: the bag of tasks of section 3 at 12%, 25% and 50% slack
// with task lengths of coefficient of variation 0.5 and 1.0; spotbatch and autoscale also with
// the longest predicted tasks first.
constexpr double kPredictionCv = 0.3;
void TightDeadlinesTable(const std::string& data, int runs) {
  const std::vector<std::string> policies = {"on-demand", "greedy", "omniscient", "spotbatch",
                                             "autoscale"};
  const std::vector<std::string> ordered = {"spotbatch", "autoscale"};
  std::printf(
      "## 4. Tighter deadlines and heavier tails\n\n"
      "The bag of tasks of section 3 with deadlines of 112, 125 and 150 h (12%%, 25%% and "
      "50%% slack over the 100 h of fleet time) and task lengths of coefficient of variation "
      "0.5 and 1.0 (with cv 1.0 the longest of 2000 tasks is 8-15 h); %d runs each. The last "
      "two columns run spotbatch and autoscale with the tasks started longest predicted first "
      "(`order = \"largest_first\"`), each prediction the true length times a lognormal error "
      "of mean 1 and coefficient of variation %.1f (as a prediction from the input's size "
      "might be); the others start the tasks in the order drawn. Cells: cost in $ against the "
      "bound, and the runs that missed the deadline.\n\n| zones | cv | deadline |",
      runs, kPredictionCv);
  for (const std::string& p : policies) std::printf(" %s |", p.c_str());
  for (const std::string& p : ordered) std::printf(" %s, largest first |", p.c_str());
  std::printf("\n|---|---|---|");
  for (size_t i = 0; i < policies.size() + ordered.size(); ++i) std::printf("---|");
  std::printf("\n");
  int below = 0, held = 0;
  for (int n : {1, 3, 5}) {
    for (double cv : {0.5, 1.0}) {
      for (double deadline : {112.0, 125.0, 150.0}) {
        std::vector<PolicySummary> results =
            MustRun(BagOfTasks(data, n, cv, deadline, policies, runs));
        HoldAgainstBound(results, &below, &held);
        // The bound again, to hold the largest-first runs against it too; printed once.
        std::vector<std::string> with_bound = ordered;
        with_bound.push_back("omniscient");
        Scenario largest_first = BagOfTasks(data, n, cv, deadline, with_bound, runs);
        largest_first.work.order = TaskOrder::kLargestFirst;
        largest_first.prediction_cv = kPredictionCv;
        std::vector<PolicySummary> more = MustRun(largest_first);
        HoldAgainstBound(more, &below, &held);
        for (PolicySummary& r : more) {
          if (r.policy != "omniscient") results.push_back(std::move(r));
        }
        const double bound = CostOf(results, "omniscient");
        std::printf("| %d | %.1f | %.0f h |", n, cv, deadline);
        for (const PolicySummary& r : results) {
          const int missed = Missed(r);
          std::printf(" %.0f (%+.1f%%)%s |", r.cost_usd, 100 * (r.cost_usd / bound - 1),
                      missed > 0 ? (" **" + std::to_string(missed) + " missed**").c_str() : "");
        }
        std::printf("\n");
      }
    }
  }
  std::printf("\n");
  PrintBoundCheck(below, held);
}

// Acting on rebalance recommendations: autoscale with and without replace_on_rebalance, on
// the bag of section 3 over 3 zones, with recommendations ahead of each drop and spurious ones.
void RebalanceTable(const std::string& data, int runs) {
  std::printf(
      "## 4b. Rebalance recommendations\n\n"
      "The bag of tasks of section 3 on 3 zones (cv 0.5, deadline 150 h), autoscale only, "
      "with the simulated market sending a rebalance recommendation ahead of each capacity "
      "drop (to the instances the drop will take; the lead below) and, on every spot "
      "instance, spurious ones at random (exponential, at the rate below; EC2 says "
      "recommendations come far more often than interruptions). Progress either survives an "
      "interruption (the command checkpoints on the notice) or is lost with it (no "
      "checkpoints). With `replace_on_rebalance` a recommended instance is drained (it "
      "finishes its task and goes) and replaced at once; without, it works on until its "
      "notice. %d runs; cells: cost in $, instances reclaimed per run, launches per task, runs "
      "that missed the deadline.\n\n"
      "| lead | progress on interruption | spurious per instance-hour | replace = true | "
      "false |\n|---|---|---|---|---|\n",
      runs);
  for (int lead_minutes : {10, 60}) {
    for (bool lost : {false, true}) {
      for (double spurious : {0.0, 0.5, 2.0}) {
        std::printf("| %d min | %s | %.1f |", lead_minutes, lost ? "lost" : "kept", spurious);
        for (bool replace : {true, false}) {
          Scenario s = BagOfTasks(data, 3, 0.5, 150, {"autoscale"}, runs);
          s.rebalance_lead_millis = lead_minutes * 60'000;
          s.spurious_rebalances_per_hour = spurious;
          s.scaling.replace_on_rebalance = replace;
          if (lost) s.work.checkpoint_hours = 1000;  // no checkpoint within any task
          const PolicySummary r = MustRun(s).at(0);
          const int missed = Missed(r);
          std::printf(" $%.0f, %.0f reclaimed, %.2f launches/task%s |", r.cost_usd, r.interruptions,
                      r.launches_per_task,
                      missed > 0 ? (", **" + std::to_string(missed) + " missed**").c_str() : "");
        }
        std::printf("\n");
      }
    }
  }
  std::printf("\nWhat it says: docs/simulator.md, \"Rebalance recommendations\".\n\n");
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::min<double>(v.size() - 1, std::floor(p * (v.size() - 1))))];
}

void SavingsClaim(const std::string& data) {
  std::printf(
      "## 5. \"Save up to 90%%\"\n\nSavings against on-demand, per pool:\n\n"
      "| source | pools | median | p90 | max | pools at 90%% or more | negative |\n"
      "|---|---|---|---|---|---|---|\n");
  auto row = [](const char* name, const std::vector<double>& s) {
    int at90 = 0, negative = 0;
    for (double x : s) {
      at90 += x >= 90;
      negative += x < 0;
    }
    std::printf("| %s | %zu | %.0f%% | %.0f%% | %.0f%% | %d | %d |\n", name, s.size(),
                Percentile(s, 0.5), Percentile(s, 0.9), Percentile(s, 1.0), at90, negative);
  };
  for (const char* date : {"2021-02-10", "2025-06-28"}) {
    auto a = LoadSpotAdvisor(data + "/market/spot-advisor/" + date + "/spot-advisor-data.json");
    if (!a.ok()) std::exit(1);
    std::vector<double> s;
    for (const AdvisorEntry& e : a->entries) {
      if (e.os == "Linux") s.push_back(e.savings_percent);
    }
    row((std::string("Spot Advisor ") + date + ", Linux").c_str(), s);
  }
  auto lake = LoadSpotLake(data + "/market/spotlake_2022-07-12.csv");
  if (!lake.ok()) std::exit(1);
  std::vector<double> s;
  for (const SpotLakePool& p : *lake) s.push_back(p.savings_percent);
  row("SpotLake 2022-07-12", s);
  std::printf("\n");
}

// The share of ticks with no zone available and the number of times every zone was lost at
// once, averaged over every choice of `k` of the zones.
void DiversificationClaim(const std::string& data) {
  const std::string dir = data + kZoneTraces;
  std::vector<CapacityTrace> traces;
  for (const char* z : kZones) traces.push_back(*LoadCapacityTrace(dir + z + "_v100_1.json"));
  size_t ticks = traces[0].values.size();
  for (const auto& t : traces) ticks = std::min(ticks, t.values.size());
  std::printf(
      "## 6. \"Diversify over pools\": the 9-zone trace\n\n"
      "Averaged over every choice of N of the 9 zones (p3.2xlarge availability, "
      "2023-02-15, %zu ticks of 195 s):\n\n"
      "| zones | time with no capacity anywhere | events where every zone is lost |\n"
      "|---|---|---|\n",
      ticks);
  double base_time = 0, base_events = 0;
  for (int k : {1, 2, 3, 5, 9}) {
    double time_sum = 0, events_sum = 0;
    int combos = 0;
    for (int mask = 0; mask < (1 << 9); ++mask) {
      if (__builtin_popcount(static_cast<unsigned>(mask)) != k) continue;
      ++combos;
      int none = 0, lost = 0;
      bool had = true;
      for (size_t i = 0; i < ticks; ++i) {
        bool any = false;
        for (int z = 0; z < 9; ++z) any = any || ((mask >> z & 1) && traces[z].values[i] > 0);
        none += !any;
        lost += had && !any;
        had = any;
      }
      time_sum += static_cast<double>(none) / static_cast<double>(ticks);
      events_sum += lost;
    }
    const double share = time_sum / combos, events = events_sum / combos;
    if (k == 1) base_time = share, base_events = events;
    std::printf("| %d | %.1f%% | %.0f (%+.0f%% against 1) |\n", k, 100 * share, events,
                100 * (events / base_events - 1));
  }
  std::printf("\n");
  (void)base_time;
  std::printf(
      "The 2016 price series (spot price per 300 s, four zones of us-east-1): the "
      "price paid in one zone against always the cheapest of the four.\n\n"
      "| type | one zone: mean $/h | swings (std/mean) | time above 2x median | "
      "cheapest of 4: mean $/h | swings | time above 2x median |\n"
      "|---|---|---|---|---|---|---|\n");
  for (const char* type : {"d28xlarge", "g22xlarge", "m3medium", "m4xlarge", "r3large"}) {
    std::vector<PriceSeries> zones4;
    for (const char* z : {"useast1a", "useast1c", "useast1d", "useast1e"}) {
      auto p = LoadPriceSeries(data + "/traces/price-2016/" + type + "/" + z + ".txt");
      if (!p.ok()) std::exit(1);
      zones4.push_back(std::move(*p));
    }
    size_t n = zones4[0].usd_per_hour.size();
    for (const auto& z : zones4) n = std::min(n, z.usd_per_hour.size());
    auto stats = [&](const std::vector<double>& v, double* mean, double* cv, double* spikes) {
      double sum = 0, sq = 0;
      for (double x : v) sum += x, sq += x * x;
      *mean = sum / v.size();
      *cv = std::sqrt(std::max(0.0, sq / v.size() - *mean * *mean)) / *mean;
      const double median = Percentile(v, 0.5);
      int above = 0;
      for (double x : v) above += x > 2 * median;
      *spikes = static_cast<double>(above) / v.size();
    };
    double m1 = 0, c1 = 0, s1 = 0;
    for (const auto& z : zones4) {
      double m, c, sp;
      stats(std::vector<double>(z.usd_per_hour.begin(), z.usd_per_hour.begin() + n), &m, &c, &sp);
      m1 += m / 4, c1 += c / 4, s1 += sp / 4;
    }
    std::vector<double> cheapest(n);
    for (size_t i = 0; i < n; ++i) {
      cheapest[i] = zones4[0].usd_per_hour[i];
      for (const auto& z : zones4) cheapest[i] = std::min(cheapest[i], z.usd_per_hour[i]);
    }
    double m4, c4, s4;
    stats(cheapest, &m4, &c4, &s4);
    std::printf("| %s | %.4f | %.2f | %.1f%% | %.4f | %.2f | %.1f%% |\n", type, m1, c1, 100 * s1,
                m4, c4, 100 * s4);
  }
  std::printf("\n");
}

void Speed(const std::string& data) {
  const std::string dir = data + kZoneTraces;
  std::vector<MarketPool> pools;
  for (const char* z : kZones) pools.push_back(SpotPool(dir + z + "_v100_1.json"));
  pools.push_back(OnDemandPool());
  // A job as long as the traces (about 45 days), so that every tick of every zone is replayed.
  Workload w;
  w.task_hours = {20158 * 195 / 3600.0 - 2};
  w.deadline_hours = w.task_hours[0] * 10;
  w.changeover_hours = 0.2;
  std::vector<double> seconds;
  int64_t events = 0;
  for (int i = 0; i < 5; ++i) {
    auto policy = NewSpotbatchDeadlinePolicy();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = Simulate(pools, w, *policy, {});
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!r.ok()) std::exit(1);
    events = r->events;
  }
  const double median = Percentile(seconds, 0.5);
  // 10,000 tasks of an hour on average on 10 instances: about the 45 days of the traces.
  Scenario bag;
  bag.pools = pools;
  for (MarketPool& p : bag.pools) p.max_instances = 10;
  bag.kind = WorkloadKind::kBagOfTasks;
  bag.tasks = 10'000;
  bag.task_hours = 1;
  bag.task_hours_cv = 0.5;
  bag.instances = 10;
  Workload tasks;
  tasks.task_hours = TaskHours(bag, 0);
  tasks.changeover_hours = 0.05;
  std::vector<double> bag_seconds;
  int64_t bag_events = 0;
  double bag_finish = 0;
  for (int i = 0; i < 5; ++i) {
    auto policy = NewSpotbatchFleetPolicy(10);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = Simulate(bag.pools, tasks, *policy, {});
    bag_seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!r.ok()) std::exit(1);
    bag_events = r->events;
    bag_finish = r->finish_hours;
  }
  const double bag_median = Percentile(bag_seconds, 0.5);
  const auto t0 = std::chrono::steady_clock::now();
  auto plan = PlanDeadlineJobOffline(
      CantBeLate({SpotPool(dir + "us-east-1c_v100_1.json")}, 1).pools, 48, 60, 0.2, 0);
  const double dp = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "## 7. Speed\n\nReplaying the whole 45-day 9-zone trace with the spotbatch policy "
      "deciding at every event: a deadline job as long as the trace, %lld events in %.0f ms "
      "(median of 5), %.2f million events per second; 10,000 tasks (1 h on average) on 10 "
      "instances over the 9 zones, finishing after %.0f h: %lld events in %.0f ms, %.2f million "
      "events per second. The omniscient bound of one 48 h / 60 h run: %.0f ms%s.\n\n",
      static_cast<long long>(events), 1000 * median, events / median / 1e6, bag_finish,
      static_cast<long long>(bag_events), 1000 * bag_median, bag_events / bag_median / 1e6,
      1000 * dp, plan.ok() ? "" : " (failed)");
}

}  // namespace
}  // namespace spotbatch

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: simulate_bench DATA_DIR RUNS [SECTIONS]\n");
    return 2;
  }
  const std::string data = argv[1];
  const int runs = std::atoi(argv[2]);
  // SECTIONS: the sections to print, e.g. "1,2b,3" (default: all), for quicker iterations.
  const std::string only = argc == 4 ? "," + std::string(argv[3]) + "," : "";
  auto want = [&](const char* section) {
    return only.empty() || only.find("," + std::string(section) + ",") != std::string::npos;
  };
  if (want("1")) spotbatch::CantBeLateTable(data, runs);
  if (want("2")) spotbatch::ManyZonesTable(data, runs);
  if (want("2b")) spotbatch::SlackTable(data, std::max(1, runs / 2));
  if (want("3")) spotbatch::BagOfTasksTable(data, std::max(1, runs / 5));
  if (want("3b")) spotbatch::DifferingPoolsTable(data, std::max(1, runs / 2));
  if (want("4")) spotbatch::TightDeadlinesTable(data, std::max(1, runs / 5));
  if (want("4b")) spotbatch::RebalanceTable(data, std::max(1, runs / 5));
  if (want("5")) spotbatch::SavingsClaim(data);
  if (want("6")) spotbatch::DiversificationClaim(data);
  if (want("7")) spotbatch::Speed(data);
}
