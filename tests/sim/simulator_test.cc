#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/deadline_policies.h"
#include "core/fleet_policies.h"
#include "core/omniscient.h"
#include "sim/scenario.h"

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;

MarketPool Spot(std::vector<int32_t> hourly, double price = 0.5, std::string name = "spot") {
  MarketPool p;
  p.name = std::move(name);
  p.market = MarketKind::kSpot;
  p.price = PriceSeries::Constant(price);
  p.on_demand_usd_per_hour = 2.0;
  p.capacity.gap_millis = kHour;
  p.capacity.values = std::move(hourly);
  for (int32_t v : p.capacity.values) p.capacity.binary = p.capacity.binary && v <= 1;
  return p;
}

MarketPool OnDemand(double price = 2.0) {
  MarketPool p;
  p.name = "od";
  p.market = MarketKind::kOnDemand;
  p.price = PriceSeries::Constant(price);
  p.on_demand_usd_per_hour = price;
  return p;
}

Workload Job(double hours, double deadline, double changeover) {
  Workload w;
  w.task_hours = {hours};
  w.deadline_hours = deadline;
  w.changeover_hours = changeover;
  return w;
}

SimResult RunSim(const std::vector<MarketPool>& pools, const Workload& w, FleetPolicy& policy,
                 int64_t notice_millis = 0) {
  SimOptions o;
  o.notice_millis = notice_millis;
  auto r = Simulate(pools, w, policy, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SimResult{};
}

TEST(Simulator, OnDemandPaysTheChangeoverAndTheWork) {
  auto policy = NewOnDemandPolicy();
  const SimResult r = RunSim({Spot({1}), OnDemand()}, Job(10, 12, 0.5), *policy);
  EXPECT_TRUE(r.deadline_met);
  EXPECT_NEAR(r.finish_hours, 10.5, 1e-6);
  EXPECT_NEAR(r.on_demand_hours, 10.5, 1e-6);
  EXPECT_NEAR(r.cost_usd, 21.0, 1e-6);
  EXPECT_NEAR(r.on_demand_only_cost_usd, 20.0, 1e-6);
  EXPECT_EQ(r.spot_hours, 0);
}

// Spot for the first 5 hours, then never: 4.5 hours of work on spot, the rest on demand.
std::vector<MarketPool> SpotThenNothing() {
  std::vector<int32_t> hourly(5, 1);
  hourly.resize(48, 0);
  return {Spot(hourly), OnDemand()};
}

TEST(Simulator, GreedyWaitsUntilTheSlackRunsOutThenFinishesOnDemand) {
  auto policy = NewGreedyPolicy();
  const SimResult r = RunSim(SpotThenNothing(), Job(10, 12, 0.5), *policy);
  EXPECT_TRUE(r.deadline_met);
  EXPECT_EQ(r.interruptions, 1);
  EXPECT_NEAR(r.spot_hours, 5.0, 1e-6);
  // Slack 12 - t - 5.5 falls below two changeovers just after 5.5 h (decisions every
  // minute): 0.5 h of changeover and 5.5 h of work on demand.
  EXPECT_NEAR(r.on_demand_hours, 6.0, 1e-6);
  EXPECT_NEAR(r.finish_hours, 5.5 + 1.0 / 60 + 6.0, 1e-6);
  EXPECT_NEAR(r.cost_usd, 5.0 * 0.5 + 6.0 * 2.0, 1e-6);
}

TEST(Omniscient, KnowsTheSpotEndsAndPaysOnlyForTheRest) {
  auto plan = PlanDeadlineJobOffline(SpotThenNothing(), 10, 12, 0.5, 0);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->feasible);
  EXPECT_NEAR(plan->spot_hours, 5.0, 1e-6);
  EXPECT_NEAR(plan->on_demand_hours, 6.0, 1e-6);
  EXPECT_NEAR(plan->cost_usd, 14.5, 1e-6);
  // Without enough time even on demand, there is no plan.
  EXPECT_FALSE(PlanDeadlineJobOffline(SpotThenNothing(), 10, 10.4, 0.5, 0)->feasible);
  EXPECT_FALSE(PlanDeadlineJobOffline({Spot({1})}, 10, 12, 0.5, 0).ok()) << "no on-demand pool";
}

TEST(Omniscient, UsesOnDemandFirstWhenTheSpotComesLate) {
  // No spot for 40 hours, then spot to the end: on demand first, then spot.
  std::vector<int32_t> hourly(40, 0);
  hourly.resize(60, 1);
  auto plan = PlanDeadlineJobOffline({Spot(hourly), OnDemand()}, 48, 60, 0.2, 0);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->feasible);
  EXPECT_NEAR(plan->spot_hours, 20.0, 0.21);
  EXPECT_NEAR(plan->on_demand_hours, 28.4, 0.21);
}

TEST(UniformProgress, MeetsTheDeadlineAndBeatsOnDemand) {
  auto up = NewUniformProgressPolicy();
  const SimResult r = RunSim(SpotThenNothing(), Job(10, 12, 0.5), *up);
  EXPECT_TRUE(r.deadline_met);
  EXPECT_LT(r.cost_usd, 21.0);
}

// 10 h of work by 20 h: half of the 10 h of slack may go waiting for spot before the line
// starts. An outage of 4 h is waited out; Uniform Progress's line alone would have bought on
// demand from the start.
TEST(SpotbatchDeadline, WaitsOutAnOutageInTheSlackItMaySpendFreely) {
  std::vector<int32_t> hourly(4, 0);
  hourly.resize(48, 1);
  auto spotbatch = NewSpotbatchDeadlinePolicy();
  const SimResult r = RunSim({Spot(hourly), OnDemand()}, Job(10, 20, 0.1), *spotbatch);
  EXPECT_TRUE(r.deadline_met);
  EXPECT_EQ(r.on_demand_hours, 0) << "the 4 h outage fits in the 5 h of free slack";
  auto up = NewUniformProgressPolicy();
  EXPECT_GT(RunSim({Spot(hourly), OnDemand()}, Job(10, 20, 0.1), *up).on_demand_hours, 1)
      << "the test no longer shows what the free slack changes";
}

// Beyond the free part of the slack the line holds: an outage of 8 h is not waited out to
// the safety net, on demand runs from a little after 5 h.
TEST(SpotbatchDeadline, FollowsTheLineOnceTheFreeSlackIsSpent) {
  std::vector<int32_t> hourly(8, 0);
  hourly.resize(48, 1);
  auto spotbatch = NewSpotbatchDeadlinePolicy();
  const SimResult r = RunSim({Spot(hourly), OnDemand()}, Job(10, 20, 0.1), *spotbatch);
  EXPECT_TRUE(r.deadline_met);
  EXPECT_GT(r.on_demand_hours, 1.5);
  EXPECT_LT(r.on_demand_hours, 3.5) << "on demand from about 5 h until spot at 8 h";
  // With 10% slack nothing is free: on demand within the first half hour.
  auto tight = NewSpotbatchDeadlinePolicy();
  const SimResult t = RunSim({Spot(hourly), OnDemand()}, Job(10, 11, 0.1), *tight);
  EXPECT_TRUE(t.deadline_met);
  EXPECT_GT(t.on_demand_hours, 7.4) << "on demand from about 0.1 h until 8 h";
}

TEST(Simulator, ANoticedInstanceWorksUntilItIsReclaimed) {
  auto policy = NewGreedyPolicy();
  std::vector<int32_t> hourly(3, 1);
  hourly.resize(48, 0);
  const SimResult r = RunSim({Spot(hourly), OnDemand()}, Job(10, 40, 0.5), *policy, kHour / 2);
  // Notice at 3 h, reclaimed at 3.5 h: 3 h of work, 3.5 h billed.
  EXPECT_EQ(r.interruptions, 1);
  EXPECT_NEAR(r.spot_hours, 3.5, 1e-6);
  EXPECT_TRUE(r.deadline_met);
}

TEST(Simulator, WithoutContinuousCheckpointsAnInterruptionLosesTheWorkSinceTheLastOne) {
  std::vector<int32_t> hourly(5, 1);
  hourly.resize(48, 0);
  Workload w = Job(10, 40, 0);
  auto continuous = NewGreedyPolicy();
  const SimResult kept = RunSim({Spot(hourly), OnDemand()}, w, *continuous);
  w.checkpoint_hours = 2;  // 5 h of work done when reclaimed: back to 4
  auto periodic = NewGreedyPolicy();
  const SimResult lost = RunSim({Spot(hourly), OnDemand()}, w, *periodic);
  EXPECT_NEAR(kept.on_demand_hours, 5.0, 1e-6);
  EXPECT_NEAR(lost.on_demand_hours, 6.0, 1e-6);
}

TEST(Simulator, ShortInstancesAreBilledTheMinute) {
  Workload w;
  w.task_hours = {10.0 / 3600};  // ten seconds
  auto policy = NewOnDemandPolicy();
  const SimResult r = RunSim({OnDemand(3.6)}, w, *policy);
  EXPECT_TRUE(r.finished);
  EXPECT_NEAR(r.cost_usd, 3.6 / 60, 1e-9);
}

class LaunchNowhere final : public FleetPolicy {
 public:
  std::string_view name() const override { return "nowhere"; }
  std::vector<FleetAction> Decide(const Observation&) override {
    return {{FleetAction::Kind::kLaunch, 7, -1}};
  }
};

// Launches one spot and one on-demand instance at the start, then holds.
class SpotAndSpare final : public FleetPolicy {
 public:
  std::string_view name() const override { return "spot-and-spare"; }
  std::vector<FleetAction> Decide(const Observation&) override {
    if (done_) return {};
    done_ = true;
    return {{FleetAction::Kind::kLaunch, 0, -1}, {FleetAction::Kind::kLaunch, 1, -1}};
  }

 private:
  bool done_ = false;
};

TEST(Simulator, ATaskHandedBackByAReclaimGoesToAnIdleInstanceAtOnce) {
  std::vector<int32_t> hourly(1, 1);
  hourly.resize(48, 0);
  Workload w;
  w.task_hours = {2};
  SpotAndSpare policy;
  const SimResult r = RunSim({Spot(hourly), OnDemand()}, w, policy);
  // The spot instance took the task and did 1 h before its reclaim; the idle on-demand
  // instance does the other hour at once.
  EXPECT_TRUE(r.finished);
  EXPECT_NEAR(r.finish_hours, 2.0, 1e-6);
  EXPECT_EQ(r.interruptions, 1);
}

TEST(Simulator, BadInputIsRefused) {
  LaunchNowhere nowhere;
  auto r = Simulate({OnDemand()}, Job(1, 2, 0), nowhere, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pool 7"), std::string::npos);
  auto od = NewOnDemandPolicy();
  EXPECT_FALSE(Simulate({}, Job(1, 2, 0), *od, {}).ok());
  EXPECT_FALSE(Simulate({OnDemand()}, Workload{}, *od, {}).ok());
  EXPECT_FALSE(Simulate({OnDemand()}, Job(-1, 2, 0), *od, {}).ok());
  EXPECT_FALSE(NewPolicy("cheapest-ever", WorkloadKind::kDeadlineJob, 1).ok());
}

// The bill is the fleet manager's ledger: every attempt given to its task, idle time apart,
// adding up to the total to the nano-dollar; the decisions are the manager's.
TEST(Simulator, TheManagersLedgerBillsEveryTaskAndItsDecisionsAreKept) {
  std::vector<int32_t> hourly(3, 1);
  hourly.resize(48, 0);
  Workload w;
  w.task_hours = {1, 2, 4, 0.5};
  w.changeover_hours = 0.1;
  auto policy = NewGreedyFleetPolicy(2);
  SimOptions o;
  o.workers_protect = true;
  auto r = Simulate({Spot(hourly), OnDemand()}, w, *policy, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->finished);
  ASSERT_EQ(r->bill.jobs.size(), 4u) << "every task was billed";
  NanoUsd jobs = 0;
  for (const auto& [job, bill] : r->bill.jobs) jobs += bill.cost;
  EXPECT_EQ(jobs + r->bill.idle, r->bill.total);
  EXPECT_GT(r->bill.idle, 0) << "the changeovers are idle";
  EXPECT_DOUBLE_EQ(r->cost_usd, ToUsd(r->bill.total));
  EXPECT_GE(r->interruptions, 1);
  int job_interruptions = 0;
  for (const auto& [job, bill] : r->bill.jobs) job_interruptions += bill.interruptions;
  EXPECT_GE(job_interruptions, 1) << "the reclaim is on the bill of the task it interrupted";
  ASSERT_FALSE(r->decisions.empty());
  EXPECT_EQ(r->decisions[0].at_millis, 0);
  EXPECT_EQ(r->decisions[0].what, "launched");
  EXPECT_EQ(r->decisions[0].pool, "spot");
  int launched = 0;
  for (const SimDecision& d : r->decisions) launched += d.what == "launched";
  EXPECT_EQ(launched, r->launches);
  EXPECT_GE(r->launches, 3) << "two at the start, one at least after the reclaim";
}

// Prices change at the ticks of their series, and the manager bills each from its tick on.
TEST(Simulator, APriceSeriesIsBilledTickByTick) {
  MarketPool od = OnDemand();
  od.price = {kHour, {1.0, 3.0, 3.0}};
  Workload w;
  w.task_hours = {1.5};
  auto policy = NewOnDemandPolicy();
  SimOptions o;
  // 29.5 min at $1, then 60.5 min at $3: the change falls between two of the manager's
  // minutely decisions, and is billed from its tick all the same.
  o.start_offset_millis = kHour / 2 + 30'000;
  auto r = Simulate({od}, w, *policy, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->cost_usd, 29.5 / 60 * 1.0 + 60.5 / 60 * 3.0, 1e-9);
}

// Workers of a bag protect their instance: a policy that would kill busy workers is refused.
class TerminateEverything final : public FleetPolicy {
 public:
  std::string_view name() const override { return "terminate-everything"; }
  std::vector<FleetAction> Decide(const Observation& o) override {
    if (o.instances.empty()) return {{FleetAction::Kind::kLaunch, 0, -1}};
    std::vector<FleetAction> out;
    for (const InstanceView& in : o.instances)
      out.push_back({FleetAction::Kind::kTerminate, -1, in.id});
    return out;
  }
};

TEST(Simulator, ABusyWorkerIsNeverTerminatedWhenWorkersProtectTheirInstance) {
  Workload w;
  w.task_hours = {1};
  TerminateEverything policy;
  SimOptions o;
  o.workers_protect = true;
  auto r = Simulate({OnDemand()}, w, policy, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->finished);
  EXPECT_NEAR(r->finish_hours, 1, 1e-9) << "the task ran to its end on its first instance";
  EXPECT_EQ(r->launches, 1);
  int refused = 0;
  for (const SimDecision& d : r->decisions) refused += d.what == "refused";
  EXPECT_EQ(refused, 59) << "once a minute until the task is done at 60 min";
  TerminateEverything unprotected;
  o.workers_protect = false;
  auto killed = Simulate({OnDemand()}, w, unprotected, o);
  ASSERT_TRUE(killed.ok());
  EXPECT_GT(killed->launches, 1) << "without protection the policy kills its worker";
}

// A flapping market: five pools, each with room in a different pattern.
Scenario Flapping() {
  Scenario s;
  for (int p = 0; p < 5; ++p) {
    std::vector<int32_t> v;
    for (int h = 0; h < 200; ++h) v.push_back(((h * (p + 3)) / 7 + p) % 3 == 0 ? 1 : 0);
    s.pools.push_back(Spot(v, 0.4 + 0.05 * p, "spot-" + std::to_string(p)));
  }
  s.pools.push_back(OnDemand());
  s.work = Job(24, 36, 0.2);
  s.policies = {"on-demand", "greedy", "uniform-progress", "omniscient", "spotbatch"};
  s.runs = 6;
  s.seed = 7;
  s.notice_millis = 120'000;
  return s;
}

TEST(Scenario, SameSeedSameResults) {
  auto a = RunScenario(Flapping());
  auto b = RunScenario(Flapping());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].cost_usd, (*b)[i].cost_usd) << (*a)[i].policy;
    EXPECT_EQ((*a)[i].spot_hours, (*b)[i].spot_hours);
    EXPECT_EQ((*a)[i].interruptions, (*b)[i].interruptions);
  }
  Scenario other = Flapping();
  other.seed = 8;
  EXPECT_NE(StartOffsets(other), StartOffsets(Flapping()));
}

TEST(Scenario, OmniscientIsNeverAboveAnyOnlinePolicyRunByRun) {
  const Scenario s = Flapping();
  for (int64_t start : StartOffsets(s)) {
    auto bound = PlanDeadlineJobOffline(s.pools, 24, 36, 0.2, start, s.notice_millis);
    ASSERT_TRUE(bound.ok() && bound->feasible);
    for (const char* name : {"on-demand", "greedy", "uniform-progress", "spotbatch"}) {
      auto policy = NewPolicy(name, WorkloadKind::kDeadlineJob, 1);
      ASSERT_TRUE(policy.ok());
      SimOptions o;
      o.start_offset_millis = start;
      o.notice_millis = s.notice_millis;
      auto r = Simulate(s.pools, s.work, **policy, o);
      ASSERT_TRUE(r.ok());
      EXPECT_TRUE(r->deadline_met) << name << " from " << start;
      EXPECT_LE(bound->cost_usd, r->cost_usd + 1e-9) << name << " from " << start;
    }
  }
}

// A bag whose one long task is listed last: two instances on demand finish the short ones
// at 5 h and the long one at 15 h; started first, it ends at 10 h with the short ones.
Scenario LongTaskLast(TaskOrder order) {
  Scenario s;
  s.pools = {OnDemand()};
  s.pools[0].max_instances = 2;
  s.kind = WorkloadKind::kBagOfTasks;
  s.given_task_hours.assign(10, 1);
  s.given_task_hours.push_back(10);
  s.work.order = order;
  s.work.deadline_hours = 12;
  s.instances = 2;
  s.policies = {"on-demand"};
  s.runs = 1;
  s.start_at_offset = true;
  return s;
}

TEST(Scenario, LargestFirstStartsTheLongTaskFirstAndMeetsTheDeadline) {
  auto fifo = RunScenario(LongTaskLast(TaskOrder::kFifo));
  auto largest = RunScenario(LongTaskLast(TaskOrder::kLargestFirst));
  ASSERT_TRUE(fifo.ok() && largest.ok());
  EXPECT_NEAR((*fifo)[0].finish_hours, 15, 1e-6);
  EXPECT_EQ((*fifo)[0].deadline_met, 0);
  EXPECT_NEAR((*largest)[0].finish_hours, 10, 1e-6);
  EXPECT_EQ((*largest)[0].deadline_met, 1);
  // A prediction error that leaves the long task the longest predicted changes nothing.
  Scenario noisy = LongTaskLast(TaskOrder::kLargestFirst);
  noisy.prediction_cv = 0.3;
  auto predicted = RunScenario(noisy);
  ASSERT_TRUE(predicted.ok());
  EXPECT_NEAR((*predicted)[0].finish_hours, 10, 1e-6);
}

TEST(Scenario, PredictionsErrByTheirCvAndLeaveTheTasksAlone) {
  Scenario s;
  s.kind = WorkloadKind::kBagOfTasks;
  s.tasks = 20000;
  s.task_hours = 1;
  s.task_hours_cv = 1;
  const std::vector<double> hours = TaskHours(s, 3);
  EXPECT_EQ(PredictedHours(s, 3, hours), hours) << "cv 0: exact";
  s.prediction_cv = 0.3;
  EXPECT_EQ(TaskHours(s, 3), hours) << "the tasks do not depend on the predictions";
  const std::vector<double> predicted = PredictedHours(s, 3, hours);
  ASSERT_EQ(predicted.size(), hours.size());
  EXPECT_EQ(PredictedHours(s, 3, hours), predicted) << "the same for every policy";
  EXPECT_NE(PredictedHours(s, 4, hours), predicted) << "drawn anew for every run";
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < hours.size(); ++i) {
    const double ratio = predicted[i] / hours[i];
    sum += ratio;
    sum2 += ratio * ratio;
  }
  const double mean = sum / hours.size();
  EXPECT_NEAR(mean, 1, 0.01);
  EXPECT_NEAR(std::sqrt(sum2 / hours.size() - mean * mean) / mean, 0.3, 0.01);
}

TEST(Simulator, PredictionsMustBeOnePerTask) {
  auto od = NewOnDemandPolicy();
  Workload w = Job(1, 2, 0);
  w.predicted_hours = {1, 2};
  EXPECT_EQ(Simulate({OnDemand()}, w, *od, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
