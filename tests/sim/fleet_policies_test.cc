#include "core/fleet_policies.h"

#include <gtest/gtest.h>

#include <map>

#include "core/omniscient.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;

PoolView View(bool spot, int spare, double price) {
  PoolView p;
  p.spot = spot;
  p.spare = spare;
  p.can_launch = spare > 0;
  p.usd_per_hour = price;
  return p;
}

Observation Empty(std::vector<PoolView> pools, int tasks_left) {
  Observation o;
  o.pools = std::move(pools);
  o.work.tasks_left = tasks_left;
  o.work.remaining_hours = tasks_left;
  o.work.mean_task_hours = 1;
  return o;
}

// Launches per pool.
std::map<int, int> Launches(const std::vector<FleetAction>& actions) {
  std::map<int, int> out;
  for (const FleetAction& a : actions) {
    if (a.kind == FleetAction::Kind::kLaunch) ++out[a.pool];
  }
  return out;
}

TEST(FleetPolicies, DiversifiedSpreadsEvenly) {
  auto p = NewDiversifiedPolicy(6);
  const auto o = Empty(
      {View(true, 10, 0.5), View(true, 10, 0.4), View(true, 10, 0.6), View(false, 100, 2)}, 100);
  EXPECT_EQ(Launches(p->Decide(o)), (std::map<int, int>{{0, 2}, {1, 2}, {2, 2}}));
}

TEST(FleetPolicies, CapacityOptimizedGoesWhereThereIsMostRoom) {
  auto p = NewCapacityOptimizedPolicy(4);
  const auto o =
      Empty({View(true, 2, 0.1), View(true, 5, 0.5), View(true, 3, 0.4), View(false, 100, 2)}, 100);
  EXPECT_EQ(Launches(p->Decide(o)), (std::map<int, int>{{1, 3}, {2, 1}}));
}

TEST(FleetPolicies, PriceCapacityOptimizedTakesTheCheapestOfTheRoomyPools) {
  auto p = NewPriceCapacityOptimizedPolicy(4);
  const auto o = Empty(
      {View(true, 10, 0.5), View(true, 10, 0.4), View(true, 2, 0.1), View(false, 100, 2)}, 100);
  EXPECT_EQ(Launches(p->Decide(o)), (std::map<int, int>{{1, 4}})) << "pool 2 is cheap but small";
}

TEST(FleetPolicies, CheapestPoolWaitsForItsPool) {
  auto p = NewCheapestPoolPolicy(4);
  EXPECT_EQ(Launches(p->Decide(
                Empty({View(true, 0, 0.3), View(true, 10, 0.5), View(false, 100, 2)}, 100))),
            (std::map<int, int>{}))
      << "no deadline: it waits for the cheapest pool rather than use another";
}

TEST(FleetPolicies, OnDemandOnlyAndNeverMoreThanTheTasksLeft) {
  auto p = NewOnDemandFleetPolicy(8);
  EXPECT_EQ(Launches(p->Decide(Empty({View(true, 10, 0.5), View(false, 100, 2)}, 3))),
            (std::map<int, int>{{1, 3}}));
}

TEST(FleetPolicies, ScalingInDrainsBusyInstancesInsteadOfKillingThem) {
  auto p = NewDiversifiedPolicy(10);
  Observation o = Empty({View(true, 10, 0.5), View(false, 100, 2)}, 2);
  for (int i = 1; i <= 5; ++i) {
    InstanceView in;
    in.id = i;
    in.pool = 0;
    in.ready = true;
    in.busy = i <= 4;
    o.instances.push_back(in);
  }
  int drains = 0, terminations = 0;
  for (const FleetAction& a : p->Decide(o)) {
    drains += a.kind == FleetAction::Kind::kDrain;
    if (a.kind == FleetAction::Kind::kTerminate) {
      ++terminations;
      EXPECT_EQ(a.instance, 5) << "only the idle one is terminated";
    }
  }
  EXPECT_EQ(terminations, 1);
  EXPECT_EQ(drains, 2) << "5 instances for 2 tasks: the idle one goes, two busy ones drain";
}

TEST(FleetPolicies, DeadlineTopUpCountsWholeInstances) {
  Observation o = Empty({}, 10);
  o.work.remaining_hours = 40;
  EXPECT_EQ(DeadlineTopUp(o, 1, 0), 0) << "no deadline";
  o.work.deadline_millis = 10 * kHour;
  EXPECT_EQ(DeadlineTopUp(o, 1, 0), 3);  // 4 needed, 1 on spot
  EXPECT_EQ(DeadlineTopUp(o, 6, 0), 0);
  o.work.changeover_hours = 1;
  EXPECT_EQ(DeadlineTopUp(o, 1, 1), 4);  // 40 h in 8 h: 5 needed
  o.now_millis = 11 * kHour;
  EXPECT_GT(DeadlineTopUp(o, 1, 0), 1000) << "past the deadline: everything";
}

TEST(FleetPolicies, WorkLeftComesFromTheCountsWhenTheHoursAreUnknown) {
  Observation o = Empty({}, 10);
  o.work.remaining_hours = 7;
  EXPECT_EQ(WorkLeftHours(o), 7) << "known: as given";
  o.work.remaining_hours = 0;
  o.work.mean_task_hours = 0;  // a live manager knows only what finished
  o.work.mean_done_task_hours = 0.5;
  EXPECT_EQ(WorkLeftHours(o), 5) << "10 tasks at the measured mean";
  o.work.mean_done_task_hours = 0;
  o.now_millis = 3 * kHour;
  o.work.changeover_hours = 0.5;
  EXPECT_EQ(WorkLeftHours(o), 25) << "none finished in 3 h: each at least 2.5 h";
}

TEST(FleetPolicies, TheLongestTaskToExpectGrowsWithTheTailAndTheTasksLeft) {
  EXPECT_EQ(ExpectedLongestTaskHours(1, 5, 0, 100), 0) << "nothing finished yet";
  EXPECT_NEAR(ExpectedLongestTaskHours(1, 1, 500, 500), 1, 1e-9) << "all equal: the mean";
  const double light = ExpectedLongestTaskHours(1, 3, 1000, 1000);
  const double heavy = ExpectedLongestTaskHours(1, 10, 1000, 1000);
  EXPECT_NEAR(light, 3, 0.3) << "as many left as done: about the longest seen";
  EXPECT_NEAR(heavy, 10, 1.0);
  EXPECT_GT(ExpectedLongestTaskHours(1, 3, 50, 2000), 4) << "few seen: the tail is longer";
  EXPECT_LT(ExpectedLongestTaskHours(1, 10, 1000, 10), 5) << "ten left: rarely the longest";
}

// 200 h of work on a fleet of 10 with 1 h tasks: a deadline far off needs no on demand even
// with no spot at all; once the work needs 95% of the fleet, on demand covers the rate beyond
// the spot instances, and keeps doing so when the rate dips.
TEST(FleetPolicies, TheDeadlinePacerBuysOnDemandOnlyOnceTheFleetsTimeRunsShort) {
  Observation o = Empty({}, 200);
  o.work.mean_done_task_hours = 1;
  o.work.longest_done_task_hours = 1;
  o.work.deadline_millis = 40 * kHour;
  DeadlinePacer pacer;
  EXPECT_EQ(pacer.OnDemand(o, 0, 10), 0) << "5 instances would do; the fleet can wait for spot";
  EXPECT_EQ(DeadlineTopUp(o, 0, pacer.MarginHours(o)), 6) << "the uniform top-up buys now";
  o.now_millis = 19 * kHour;  // 21 h left, 19 of them usable after the 2 h margin
  EXPECT_FALSE(pacer.committed());
  EXPECT_EQ(pacer.OnDemand(o, 3, 10), 8) << "200 h in 19 h: 11 instances, 3 on spot";
  EXPECT_TRUE(pacer.committed());
  o.work.remaining_hours = 150;  // spot did more than needed: 8 instances now
  EXPECT_EQ(pacer.OnDemand(o, 3, 10), 5) << "committed: the rate, not the fleet's share";
  o.work.deadline_millis = 0;
  EXPECT_EQ(pacer.OnDemand(o, 3, 10), 0) << "no deadline";
  o.work.deadline_millis = 20 * kHour;
  EXPECT_EQ(pacer.OnDemand(o, 3, 10), 7) << "within the margin: the whole fleet, spot kept";
}

TEST(FleetPolicies, TheDeadlinePacerWorksFromTheCountsAlone) {
  Observation o = Empty({}, 200);
  o.work.remaining_hours = 0;  // unknown, as live
  o.work.mean_task_hours = 0;
  o.work.mean_done_task_hours = 1;
  o.work.longest_done_task_hours = 1;
  o.work.deadline_millis = 21 * kHour;
  DeadlinePacer pacer;
  EXPECT_EQ(pacer.OnDemand(o, 0, 11), 11) << "200 tasks of 1 h in 19 usable hours";
}

// Started longest first, the finished tasks are the long ones: their tail says nothing of the
// short ones left, which two of their mean cover.
TEST(FleetPolicies, TheDeadlinePacersMarginUnderLongestFirstIsTwoTasksLeft) {
  Observation o = Empty({}, 100);
  o.work.changeover_hours = 0.05;
  o.work.mean_done_task_hours = 4;
  o.work.longest_done_task_hours = 19;
  o.work.remaining_hours = 50;  // 100 tasks of half an hour on average left
  DeadlinePacer fifo;
  Observation first = o;
  first.work.tasks_left = 200;
  (void)fifo.MarginHours(first);  // 100 of 200 done
  EXPECT_GT(fifo.MarginHours(o), 19) << "the tail fitted to 19 h among 100 done";
  o.work.longest_first = true;
  DeadlinePacer longest_first;
  EXPECT_NEAR(longest_first.MarginHours(o), 0.1 + 2 * 0.5, 1e-9);
  o.work.remaining_hours = 0;  // live: the work left is not known
  EXPECT_NEAR(longest_first.MarginHours(o), 0.1 + 2 * 4, 1e-9) << "the finished mean, larger";
}

// spotbatch's fleet policy: spot with room replaces the on-demand instances the deadline does
// not need; busy ones drain, finishing their task.
// Holding much of the fleet costs a pool only as far as it is likely to go before the work is
// done: nothing for one that has run long without a reclaim, the full share for one that
// reclaims often; the band is the prior before anything is seen.
TEST(FleetPolicies, UsefulHourCostChargesTheShareByTheRiskOfLosingIt) {
  PoolView stable = View(true, 8, 1.0);
  stable.instance_hours = 1000;
  EXPECT_NEAR(UsefulHourCost(stable, 10, 20, 0.05, 100), 1.0, 1e-3);
  PoolView flaky = View(true, 8, 1.0);
  flaky.instance_hours = 10;
  flaky.interruptions = 5;
  const double useful = 1 - 5.0 / 11 * 0.05;
  EXPECT_NEAR(UsefulHourCost(flaky, 10, 20, 0.05, 100), 1.5 / useful, 1e-3);
  EXPECT_NEAR(UsefulHourCost(flaky, 10, 20, 0.05, 0), 1 / useful, 1e-3) << "nothing ahead";
  PoolView good_band = View(true, 8, 1.0), bad_band = good_band;
  good_band.interruption_band = 0;
  bad_band.interruption_band = 4;
  EXPECT_LT(UsefulHourCost(good_band, 10, 20, 0.05, 100),
            UsefulHourCost(bad_band, 10, 20, 0.05, 100));
  PoolView unknown = View(true, 8, 1.0);
  EXPECT_DOUBLE_EQ(UsefulHourCost(unknown, 10, 20, 0.05, 100),
                   UsefulHourCost(bad_band, 10, 20, 0.05, 100));
}

// Spotbatch fills the cheapest pool that has not shown a reclaim before a dearer one.
TEST(FleetPolicies, SpotbatchFillsACheapPoolThatHoldsBeforeSpreading) {
  std::vector<PoolView> pools = {View(true, 8, 1.0), View(true, 8, 1.05), View(false, 100, 3)};
  pools[0].instance_hours = pools[1].instance_hours = 1000;
  auto policy = NewSpotbatchFleetPolicy(10);
  const auto launches = Launches(policy->Decide(Empty(pools, 1000)));
  EXPECT_EQ(launches.at(0), 8);
  EXPECT_EQ(launches.at(1), 2);
}

TEST(FleetPolicies, SpotbatchReplacesOnDemandWithSpotWhenItHasRoom) {
  auto policy = NewSpotbatchFleetPolicy(4);
  Observation o = Empty({View(true, 0, 0.3), View(false, 100, 1.0)}, 100);
  o.work.remaining_hours = 100;
  o.work.deadline_millis = 27 * kHour;  // 25 h usable after the margin: all 4 needed
  for (int i = 0; i < 4; ++i) {
    InstanceView in;
    in.id = i + 1;
    in.pool = 1;
    in.ready = true;
    in.busy = true;
    o.instances.push_back(in);
  }
  o.pools[1].running = 4;
  EXPECT_TRUE(policy->Decide(o).empty()) << "no spot room: the on-demand ones keep working";
  o.pools[0] = View(true, 3, 0.3);
  const auto actions = policy->Decide(o);
  EXPECT_EQ(Launches(actions)[0], 3);
  int drained = 0;
  for (const FleetAction& a : actions) drained += a.kind == FleetAction::Kind::kDrain;
  EXPECT_EQ(drained, 3) << "each spot launch drains an on-demand instance";
  auto greedy = NewGreedyFleetPolicy(4);
  EXPECT_EQ(Launches(greedy->Decide(o))[0], 0) << "EC2's strategies fill beside on demand";
}

MarketPool Spot(std::vector<int32_t> hourly, int max) {
  MarketPool p;
  p.name = "spot";
  p.price = PriceSeries::Constant(0.5);
  p.on_demand_usd_per_hour = 2;
  p.capacity.gap_millis = kHour;
  p.capacity.values = std::move(hourly);
  p.max_instances = max;
  return p;
}

MarketPool OnDemand(int max) {
  MarketPool p;
  p.name = "od";
  p.market = MarketKind::kOnDemand;
  p.price = PriceSeries::Constant(2);
  p.on_demand_usd_per_hour = 2;
  p.max_instances = max;
  return p;
}

Scenario Bag(std::vector<int32_t> hourly, double deadline) {
  Scenario s;
  s.pools = {Spot(std::move(hourly), 10), OnDemand(10)};
  s.kind = WorkloadKind::kBagOfTasks;
  s.tasks = 100;
  s.task_hours = 0.1;
  s.instances = 10;
  s.work.deadline_hours = deadline;
  s.policies = KnownPolicies(WorkloadKind::kBagOfTasks);
  s.runs = 3;
  s.notice_millis = 0;
  return s;
}

TEST(BagOfTasks, KnownCostsWithSpotAlwaysThere) {
  auto r = RunScenario(Bag(std::vector<int32_t>(48, 1), 0));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const PolicySummary& p : *r) {
    // Ten instances, ten tasks of 0.1 h each: one hour each.
    const double price = p.policy == "on-demand" ? 2.0 : 0.5;
    EXPECT_NEAR(p.cost_usd, 10 * price, 1e-6) << p.policy;
    EXPECT_NEAR(p.finish_hours, 1.0, 1e-6) << p.policy;
    EXPECT_EQ(p.deadline_met, 1) << p.policy;
  }
}

TEST(BagOfTasks, DeadlineMetWhenTheSpotGoesAway) {
  // Spot for an hour, then never; 10 hours of work on 10 instances by a 3-hour deadline.
  std::vector<int32_t> hourly(1, 1);
  hourly.resize(48, 0);
  Scenario s = Bag(hourly, 3);
  s.tasks = 100;
  auto r = RunScenario(s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const PolicySummary& p : *r) EXPECT_EQ(p.deadline_met, 1) << p.policy;
}

TEST(BagOfTasksBound, NeverAboveAnyPolicyRunByRun) {
  Scenario s;
  for (int p = 0; p < 3; ++p) {
    std::vector<int32_t> v;
    for (int h = 0; h < 120; ++h) v.push_back(((h * (p + 2)) / 5 + p) % 3 == 0 ? 1 : 0);
    s.pools.push_back(Spot(v, 4));
    s.pools.back().price = PriceSeries::Constant(0.4 + 0.1 * p);
  }
  s.pools.push_back(OnDemand(10));
  s.kind = WorkloadKind::kBagOfTasks;
  s.tasks = 60;
  s.task_hours = 0.5;
  s.task_hours_cv = 0.5;
  s.instances = 8;
  s.work.deadline_hours = 8;
  s.work.changeover_hours = 0.05;
  s.runs = 5;
  s.notice_millis = 120'000;
  for (int run = 0; run < s.runs; ++run) {
    auto bound = SimulateRun(s, "omniscient", run, false);
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    for (const std::string& name : KnownPolicies(WorkloadKind::kBagOfTasks)) {
      if (name == "omniscient") continue;
      auto r = SimulateRun(s, name, run, false);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->deadline_met) << name << " run " << run;
      EXPECT_LE(bound->cost_usd, r->cost_usd + 1e-9) << name << " run " << run;
    }
  }
  // RunScenario holds every run against the bound, and keeps the policies in the order asked.
  s.policies = {"greedy", "autoscale", "omniscient", "spotbatch"};
  auto summaries = RunScenario(s);
  ASSERT_TRUE(summaries.ok()) << summaries.status().ToString();
  ASSERT_EQ(summaries->size(), s.policies.size());
  for (size_t i = 0; i < s.policies.size(); ++i) {
    EXPECT_EQ((*summaries)[i].policy, s.policies[i]);
    EXPECT_EQ((*summaries)[i].runs_below_bound, 0) << s.policies[i];
  }
}

// The config's [fleet] scaling keys reach "autoscale": an on-demand base runs on demand
// although spot is always there.
TEST(BagOfTasks, AutoscaleTakesItsOptionsFromTheScenario) {
  Scenario s = Bag(std::vector<int32_t>(48, 1), 0);
  auto plain = SimulateRun(s, "autoscale", 0, false);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->on_demand_hours, 0);
  s.scaling.on_demand_base = 1;
  auto based = SimulateRun(s, "autoscale", 0, false);
  ASSERT_TRUE(based.ok());
  EXPECT_GT(based->on_demand_hours, 0.5);
  s.scaling.max_instances = 2;  // below the scenario's 10 instances: the smaller holds
  auto small = SimulateRun(s, "autoscale", 0, false);
  ASSERT_TRUE(small.ok());
  EXPECT_NEAR(small->finish_hours, 5.0, 1e-6) << "100 tasks of 0.1 h on 2 instances";
}

TEST(BagOfTasks, TaskDurationsFollowTheSeed) {
  Scenario s = Bag(std::vector<int32_t>(48, 1), 0);
  s.task_hours_cv = 0.5;
  const std::vector<double> a = TaskHours(s, 0);
  EXPECT_EQ(a, TaskHours(s, 0));
  EXPECT_NE(a, TaskHours(s, 1));
  double sum = 0;
  for (double h : a) sum += h;
  EXPECT_NEAR(sum / a.size(), 0.1, 0.02) << "the mean is task_hours";
  s.seed = 2;
  EXPECT_NE(a, TaskHours(s, 0));
}

}  // namespace
}  // namespace spotbatch
