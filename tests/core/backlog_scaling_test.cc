#include "core/backlog_scaling.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace spotbatch {
namespace {

using Kind = FleetAction::Kind;

PoolView Spot(const std::string& name, double price, int spare = 100) {
  PoolView p;
  p.name = name;
  p.spot = true;
  p.usd_per_hour = price;
  p.on_demand_usd_per_hour = 1.0;
  p.spare = spare;
  p.can_launch = spare > 0;
  return p;
}

PoolView OnDemand(const std::string& name, double price) {
  PoolView p = Spot(name, price);
  p.spot = false;
  p.on_demand_usd_per_hour = price;
  return p;
}

InstanceView Instance(int64_t id, int pool, bool busy) {
  InstanceView in;
  in.id = id;
  in.pool = pool;
  in.ready = true;
  in.busy = busy;
  return in;
}

// Launches per pool, and the instances terminated or drained.
struct Counted {
  std::map<int, int> launches;
  std::vector<int64_t> terminated, drained;
  int total_launches = 0;
};
Counted Count(const std::vector<FleetAction>& actions) {
  Counted c;
  for (const FleetAction& a : actions) {
    if (a.kind == Kind::kLaunch) {
      ++c.launches[a.pool];
      ++c.total_launches;
    } else {
      (a.kind == Kind::kTerminate ? c.terminated : c.drained).push_back(a.instance);
    }
  }
  return c;
}

class BacklogScalingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    o_.pools = {Spot("spot-a", 0.3), Spot("spot-b", 0.4), OnDemand("od", 1.0)};
  }
  Counted Decide(int64_t now_millis) {
    o_.now_millis = now_millis;
    for (PoolView& p : o_.pools) p.running = 0;
    for (const InstanceView& in : o_.instances) ++o_.pools[in.pool].running;
    return Count(policy_->Decide(o_));
  }
  ScalingOptions options_;
  std::unique_ptr<FleetPolicy> policy_ = NewBacklogScalingPolicy(options_);
  Observation o_;
};

TEST_F(BacklogScalingTest, ScalesOutFromZeroOnTheFirstQueuedTask) {
  EXPECT_EQ(Decide(0).total_launches, 0) << "no work, no instances";
  o_.work.tasks_queued = 1;
  Counted c = Decide(1'000);
  EXPECT_EQ(c.total_launches, 1);
  EXPECT_EQ(c.launches[0], 1) << "the cheapest spot pool";
}

TEST_F(BacklogScalingTest, TheTargetIsTheBacklogPerInstance) {
  o_.work.mean_done_task_hours = 60.0 / 3600;  // 60 s tasks, 300 s target: 5 per instance
  o_.work.tasks_queued = 21;
  o_.work.tasks_running = 2;
  for (int i = 0; i < 2; ++i) o_.instances.push_back(Instance(i + 1, 0, /*busy=*/true));
  EXPECT_EQ(Decide(0).total_launches, 3) << "23 tasks / 5 = 5 instances, 2 running";
}

TEST_F(BacklogScalingTest, TasksInFlightKeepTheirInstances) {
  o_.work.tasks_running = 3;
  for (int i = 0; i < 3; ++i) o_.instances.push_back(Instance(i + 1, 0, /*busy=*/true));
  for (int64_t t : {0, 600'000, 6'000'000}) {
    Counted c = Decide(t);
    EXPECT_EQ(c.total_launches, 0);
    EXPECT_TRUE(c.terminated.empty() && c.drained.empty()) << "nothing queued, all in flight";
  }
}

TEST_F(BacklogScalingTest, SpotScalesOutAtOnceAndIsBoundedByRoomAndTheTotal) {
  options_.max_instances = 6;
  policy_ = NewBacklogScalingPolicy(options_);
  o_.pools[0].spare = 2;
  o_.pools[1].spare = 3;
  o_.work.tasks_queued = 100;
  Counted c = Decide(0);
  EXPECT_EQ(c.launches[0], 2);
  EXPECT_EQ(c.launches[1], 3);
  EXPECT_EQ(c.launches[2], 1) << "the rest on demand, one step";
  EXPECT_EQ(c.total_launches, 6);
}

TEST_F(BacklogScalingTest, WithoutSpotRoomOnDemandFollowsAtItsOwnPace) {
  o_.pools[0].spare = o_.pools[1].spare = 0;
  o_.pools[0].can_launch = o_.pools[1].can_launch = false;
  o_.work.tasks_queued = 10;
  EXPECT_EQ(Decide(0).launches[2], 1);
  o_.instances.push_back(Instance(1, 2, /*busy=*/true));
  EXPECT_EQ(Decide(30'000).total_launches, 0) << "within the on-demand cooldown";
  EXPECT_EQ(Decide(60'000).launches[2], 1);
}

TEST_F(BacklogScalingTest, SpotReplacesOnDemandStandInsWhenItHasRoomAgain) {
  o_.work.tasks_running = 2;
  o_.instances = {Instance(1, 2, /*busy=*/true), Instance(2, 2, /*busy=*/false)};
  o_.pools[0].spare = o_.pools[1].spare = 0;
  o_.pools[0].can_launch = o_.pools[1].can_launch = false;
  Counted c = Decide(0);
  EXPECT_EQ(c.total_launches, 0);
  EXPECT_TRUE(c.terminated.empty() && c.drained.empty()) << "no spot room: on demand stays";
  o_.pools[0].spare = 5;
  o_.pools[0].can_launch = true;
  c = Decide(1'000);
  EXPECT_EQ(c.launches[0], 2);
  EXPECT_EQ(c.terminated, (std::vector<int64_t>{2})) << "the idle one goes at once";
  EXPECT_EQ(c.drained, (std::vector<int64_t>{1})) << "the busy one finishes its task first";
  options_.on_demand_base = 1;
  policy_ = NewBacklogScalingPolicy(options_);
  c = Decide(2'000);
  EXPECT_EQ(c.launches[0], 1);
  EXPECT_EQ(c.terminated.size() + c.drained.size(), 1u) << "the base stays";
}

TEST_F(BacklogScalingTest, TheOnDemandBaseRunsWithoutWorkAndIsNeverScaledIn) {
  options_.on_demand_base = 2;
  policy_ = NewBacklogScalingPolicy(options_);
  EXPECT_EQ(Decide(0).launches[2], 2) << "at once, not paced";
  o_.instances = {Instance(1, 2, false), Instance(2, 2, false)};
  Counted later = Decide(10 * 3'600'000);
  EXPECT_EQ(later.total_launches, 0);
  EXPECT_TRUE(later.terminated.empty());
}

TEST_F(BacklogScalingTest, IdleInstancesGoAfterTheGraceDearestFirst) {
  o_.instances = {Instance(1, 0, false), Instance(2, 1, false), Instance(3, 0, true)};
  o_.work.tasks_running = 1;
  EXPECT_TRUE(Decide(0).terminated.empty());
  EXPECT_TRUE(Decide(299'999).terminated.empty()) << "within the grace";
  Counted c = Decide(300'000);
  EXPECT_EQ(c.terminated, (std::vector<int64_t>{2, 1})) << "spot-b is dearer; 3 is busy";
}

TEST_F(BacklogScalingTest, AnInstanceThatWorkedStartsItsGraceAgain) {
  o_.instances = {Instance(1, 0, false)};
  Decide(0);
  o_.instances[0].busy = true;
  o_.work.tasks_running = 1;
  Decide(200'000);
  o_.instances[0].busy = false;
  o_.work.tasks_running = 0;
  EXPECT_TRUE(Decide(300'000).terminated.empty()) << "idle for 0 s only";
  EXPECT_TRUE(Decide(599'999).terminated.empty());
  EXPECT_EQ(Decide(600'000).terminated.size(), 1u);
}

TEST_F(BacklogScalingTest, APoolThatJustReclaimedIsAvoidedUnlessNothingElseHasRoom) {
  o_.work.tasks_queued = 1;
  Decide(0);                         // learns the pools
  o_.pools[0].interruptions = 1;     // spot-a, the cheapest, took one of ours back
  o_.pools[0].instance_hours = 100;  // over long enough not to move the ranking by itself
  o_.pools[1].instance_hours = 100;
  EXPECT_EQ(Decide(1'000).launches[1], 1);
  EXPECT_EQ(Decide(300'000).launches[1], 1) << "still quarantined";
  o_.pools[1].spare = 0;
  o_.pools[1].can_launch = false;
  EXPECT_EQ(Decide(301'000).launches[0], 1) << "nothing else has room";
  o_.pools[1].spare = 5;
  o_.pools[1].can_launch = true;
  EXPECT_EQ(Decide(601'000).launches[0], 1) << "the quarantine is over";
}

TEST_F(BacklogScalingTest, ANoticedInstanceIsReplacedAtOnceInAnotherPool) {
  o_.work.tasks_running = 2;
  o_.instances = {Instance(1, 0, true), Instance(2, 0, true)};
  EXPECT_EQ(Decide(0).total_launches, 0);
  o_.instances[1].noticed = true;
  Counted c = Decide(1'000);
  EXPECT_EQ(c.total_launches, 1);
  EXPECT_EQ(c.launches[1], 1) << "spot-a already holds both; spot-b is a little dearer";
  EXPECT_TRUE(c.terminated.empty()) << "the noticed one finishes what it can";
}

TEST_F(BacklogScalingTest, ARebalanceRecommendationDrainsAndReplacesWhenAsked) {
  EXPECT_FALSE(ScalingOptions{}.replace_on_rebalance)
      << "off by default: bench/SIMULATE.md section 4b";
  options_.replace_on_rebalance = true;
  policy_ = NewBacklogScalingPolicy(options_);
  o_.work.tasks_running = 1;
  o_.instances = {Instance(1, 0, true)};
  o_.instances[0].rebalance = true;
  Counted c = Decide(0);
  EXPECT_EQ(c.drained, (std::vector<int64_t>{1}));
  EXPECT_EQ(c.total_launches, 1);
  options_.replace_on_rebalance = false;
  policy_ = NewBacklogScalingPolicy(options_);
  c = Decide(0);
  EXPECT_TRUE(c.drained.empty());
  EXPECT_EQ(c.total_launches, 0);
}

TEST_F(BacklogScalingTest, TasksOnlyOnDemandMayRunGetOnDemandInstances) {
  o_.work.tasks_queued = 3;
  o_.work.tasks_on_demand_only = 1;
  Counted c = Decide(0);
  EXPECT_EQ(c.launches[2], 1);
  EXPECT_EQ(c.launches[0] + c.launches[1], 2);
}

// With a deadline the deadline says how much on demand the work needs, not the latency
// target: no on-demand stand-ins while the fleet's time suffices; on demand for the rate the
// deadline needs once it does not, from the task counts alone (the hours left unknown).
TEST_F(BacklogScalingTest, WithADeadlineOnDemandStandsInOnlyAsTheDeadlineNeeds) {
  options_.max_instances = 10;
  policy_ = NewBacklogScalingPolicy(options_);
  o_.pools[0].spare = o_.pools[1].spare = 0;
  o_.pools[0].can_launch = o_.pools[1].can_launch = false;
  o_.work.tasks_queued = 200;
  o_.work.tasks_left = 200;
  o_.work.mean_done_task_hours = 1;
  o_.work.longest_done_task_hours = 1;
  o_.work.deadline_millis = 40 * 3'600'000LL;
  EXPECT_EQ(Decide(0).total_launches, 0) << "200 h on 10 instances in 40 h: wait for spot";
  Counted c = Decide(19 * 3'600'000LL);  // 19 h usable: 11 instances' worth, 10 at most
  EXPECT_EQ(c.launches[2], 10) << "the deadline's on demand at once, not paced";
  o_.work.deadline_millis = 0;
  policy_ = NewBacklogScalingPolicy(options_);
  EXPECT_EQ(Decide(0).launches[2], 1) << "without a deadline: stand-ins at their pace";
}

// 1,000 decisions on random fleets, backlogs and times: no busy instance is ever terminated,
// nothing is launched beyond a pool's room or the fleet's limit, and nothing is terminated
// while the backlog alone would keep it.
TEST(BacklogScalingProperty, AThousandRandomDecisionsNeverTerminateABusyInstance) {
  std::mt19937_64 rng(11);
  ScalingOptions options;
  options.max_instances = 12;
  options.on_demand_base = 1;
  auto policy = NewBacklogScalingPolicy(options);
  int64_t now = 0, next_id = 1;
  std::vector<InstanceView> instances;
  int terminations = 0;
  for (int step = 0; step < 1'000; ++step) {
    now += std::uniform_int_distribution<int64_t>(0, 120'000)(rng);
    Observation o;
    o.now_millis = now;
    o.pools = {Spot("a", 0.2, rng() % 4), Spot("b", 0.25, rng() % 4), OnDemand("od", 1)};
    o.pools[0].interruptions = static_cast<int>(step / 100);
    for (InstanceView& in : instances) {
      in.busy = rng() % 3 == 0;
      in.noticed = in.noticed || rng() % 40 == 0;
      in.rebalance = rng() % 30 == 0;
    }
    o.instances = instances;
    int busy = 0;
    for (const InstanceView& in : o.instances) {
      ++o.pools[in.pool].running;
      busy += in.busy;
    }
    o.work.tasks_running = busy;
    o.work.tasks_queued = rng() % 3 == 0 ? static_cast<int>(rng() % 30) : 0;
    o.work.mean_done_task_hours = (rng() % 5) / 60.0;
    const auto actions = policy->Decide(o);
    std::map<int, int> launched;
    std::set<int64_t> gone;
    for (const FleetAction& a : actions) {
      if (a.kind == FleetAction::Kind::kLaunch) {
        ++launched[a.pool];
        continue;
      }
      auto it = std::find_if(instances.begin(), instances.end(),
                             [&](const InstanceView& in) { return in.id == a.instance; });
      ASSERT_NE(it, instances.end()) << "acted on an unknown instance";
      if (a.kind == FleetAction::Kind::kTerminate) {
        ASSERT_FALSE(it->busy) << "step " << step << ": terminated busy instance " << a.instance;
        ++terminations;
        gone.insert(a.instance);
      } else {
        it->draining = true;
      }
    }
    // In service after the decision: a replaced instance drains or goes (and may, while it
    // finishes its task, run beside its replacement).
    std::set<int64_t> acted;
    for (const FleetAction& a : actions) {
      if (a.kind != FleetAction::Kind::kLaunch) acted.insert(a.instance);
    }
    int serving = 0;
    for (const InstanceView& in : o.instances) {
      serving += !in.noticed && !in.draining && !acted.count(in.id) &&
                 !(in.rebalance && options.replace_on_rebalance);
    }
    for (const auto& [pool, n] : launched) {
      if (o.pools[pool].spot) {
        EXPECT_LE(n, o.pools[pool].spare) << "step " << step << ": over pool " << pool << "'s room";
      }
      serving += n;
    }
    EXPECT_LE(serving, options.max_instances) << "step " << step;
    // Carry the fleet on: terminated ones go, reclaimed noticed ones go, launches join.
    std::erase_if(instances, [&](const InstanceView& in) {
      return gone.count(in.id) || (in.noticed && rng() % 2 == 0) || (in.draining && !in.busy);
    });
    for (const auto& [pool, n] : launched) {
      for (int i = 0; i < n; ++i) instances.push_back(Instance(next_id++, pool, false));
    }
  }
  EXPECT_GT(terminations, 50) << "the test never scaled in: it checks nothing";
}

}  // namespace
}  // namespace spotbatch
