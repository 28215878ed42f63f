#include "sim/sim_fleet.h"

#include <gtest/gtest.h>

#include <limits>

#include "common/fake_clock.h"
#include "contract/fleet_contract.h"

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;

MarketPool Spot(std::vector<int32_t> hourly, int max_instances, std::string name = "spot") {
  MarketPool p;
  p.name = std::move(name);
  p.instance_type = "c5.large";
  p.market = MarketKind::kSpot;
  p.price = PriceSeries::Constant(0.03);
  p.on_demand_usd_per_hour = 0.085;
  p.max_instances = max_instances;
  p.interruption_band = 1;
  p.capacity.gap_millis = kHour;
  p.capacity.values = std::move(hourly);
  for (int32_t v : p.capacity.values) p.capacity.binary = p.capacity.binary && v <= 1;
  return p;
}

MarketPool OnDemand(int max_instances) {
  MarketPool p;
  p.name = "od";
  p.instance_type = "c5.large";
  p.market = MarketKind::kOnDemand;
  p.price = PriceSeries::Constant(0.085);
  p.on_demand_usd_per_hour = 0.085;
  p.max_instances = max_instances;
  return p;
}

// What a SimFleet refers to, kept alive with it.
struct Held {
  std::vector<MarketPool> pools;
  Workload work;
  SimFleet fleet;
  Held(std::vector<MarketPool> p, Workload w, SimFleetOptions o, Clock& clock)
      : pools(std::move(p)), work(std::move(w)), fleet(pools, work, o, clock) {}
};

using contract::FleetContract;
// The spot pool has room for the first hour of its trace and none in the second: running out
// of capacity is the trace's doing, reached by moving the clock on.
INSTANTIATE_TEST_SUITE_P(
    Sim, FleetContract,
    ::testing::Values(contract::FleetAdapter{
        "sim",
        [](const std::string&, Clock& clock) {
          SimFleetOptions o;
          o.workers_protect = true;
          auto held = std::make_shared<Held>(std::vector<MarketPool>{Spot({1, 0}, 3), OnDemand(2)},
                                             Workload{}, o, clock);
          contract::FleetUnderTest f;
          f.fleet = std::shared_ptr<Fleet>(held, &held->fleet);
          f.exhaust = [held, &clock](const std::string&) {
            auto* fake = dynamic_cast<FakeClock*>(&clock);
            ASSERT_NE(fake, nullptr) << "the contract runs on a FakeClock";
            fake->Advance(kHour);  // into the trace's second hour
          };
          f.set_busy = [held](const std::string& id, bool busy) {
            ASSERT_TRUE((busy ? held->fleet.Assign(id, 10) : held->fleet.Complete(id)).ok());
          };
          return f;
        }}),
    contract::AdapterName);

class SimFleetTest : public ::testing::Test {
 protected:
  // Starts the clock on an hour, as the traces' ticks are.
  FakeClock clock_{1'699'999'200'000};
  static_assert(1'699'999'200'000 % kHour == 0);
  std::unique_ptr<Held> Make(std::vector<MarketPool> pools, std::vector<double> task_hours,
                             double changeover_hours = 0, double checkpoint_hours = 0) {
    Workload w;
    w.task_hours = std::move(task_hours);
    w.changeover_hours = changeover_hours;
    w.checkpoint_hours = checkpoint_hours;
    w.deadline_hours = 10;
    SimFleetOptions o;
    o.notice_millis = 120'000;
    o.workers_protect = true;
    o.record_timeline = true;
    return std::make_unique<Held>(std::move(pools), std::move(w), o, clock_);
  }
  // Runs the events up to `millis` after the start, as the simulator's loop does.
  void RunTo(SimFleet& f, int64_t millis) {
    const int64_t until = start_ + millis;
    while (f.NextEventUnixMillis() <= until) {
      clock_.Advance(f.NextEventUnixMillis() - clock_.NowUnixMillis());
      f.ApplyDueEvents();
      f.Dispatch();
    }
    clock_.Advance(until - clock_.NowUnixMillis());
  }
  static const FleetInstance* Of(const std::vector<FleetInstance>& all, const std::string& id) {
    for (const FleetInstance& in : all) {
      if (in.id == id) return &in;
    }
    return nullptr;
  }
  const int64_t start_ = clock_.NowUnixMillis();
};

TEST_F(SimFleetTest, ATraceDropNoticesTheNewestAndReclaimsThemAfterTheNotice) {
  auto h = Make({Spot({3, 3, 1, 1}, 3)}, {5, 5, 5});
  SimFleet& f = h->fleet;
  const std::string a = *f.Launch("spot"), b = *f.Launch("spot"), c = *f.Launch("spot");
  EXPECT_EQ(f.Launch("spot").status().code(), StatusCode::kFailedPrecondition);
  RunTo(f, 2 * kHour);  // the trace falls to 1 now
  auto all = *f.Describe();
  EXPECT_EQ(Of(all, a)->interruption_unix_millis, 0) << "the oldest keeps its place";
  EXPECT_EQ(Of(all, b)->interruption_unix_millis, start_ + 2 * kHour + 120'000);
  EXPECT_EQ(Of(all, c)->interruption_unix_millis, start_ + 2 * kHour + 120'000);
  EXPECT_TRUE(Of(all, c)->busy) << "a noticed instance works on";
  EXPECT_EQ(f.Launch("spot").status().code(), StatusCode::kFailedPrecondition)
      << "noticed instances hold their place until they go";
  RunTo(f, 2 * kHour + 120'000);
  all = *f.Describe();
  ASSERT_NE(Of(all, c), nullptr);
  EXPECT_EQ(Of(all, c)->state, InstanceState::kTerminated);
  EXPECT_TRUE(Of(all, c)->reclaimed);
  EXPECT_EQ(Of(all, c)->ended_unix_millis, start_ + 2 * kHour + 120'000);
  EXPECT_EQ(f.Launch("spot").status().code(), StatusCode::kResourceExhausted) << "trace at 1";
  const WorkSnapshot w = *f.Work();
  EXPECT_EQ(w.queued, 2) << "the reclaimed instances' tasks wait again";
  EXPECT_EQ(w.running, 1);
  // Progress survives (checkpoint_hours 0): 3 tasks of 5 h, 2 h 2 min done on each.
  EXPECT_NEAR(w.remaining_hours, 15 - 3 * (2 + 2.0 / 60), 1e-9);
  int interrupted = 0;
  for (const SimAttempt& at : f.attempts()) interrupted += at.interrupted && !at.wasted;
  EXPECT_EQ(interrupted, 2);
}

// EC2 recommends moving off an instance at elevated risk, often well before its notice.
TEST_F(SimFleetTest, RebalanceRecommendationsComeAheadOfTheDropAndSpuriouslyAtTheirRate) {
  Workload w;
  w.task_hours = {50, 50, 50};
  SimFleetOptions o;
  o.rebalance_lead_millis = 2 * kHour;
  std::vector<MarketPool> pools = {Spot({3, 3, 3, 3, 1, 1, 1, 1}, 3)};
  Held h(pools, w, o, clock_);
  SimFleet& f = h.fleet;
  const std::string a = *f.Launch("spot"), b = *f.Launch("spot"), c = *f.Launch("spot");
  RunTo(f, kHour);
  for (const FleetInstance& in : *f.Describe()) {
    EXPECT_FALSE(in.rebalance_recommended) << in.id << ": the drop is 3 hours away";
  }
  RunTo(f, 2 * kHour);  // the trace falls to 1 two hours from now
  auto all = *f.Describe();
  EXPECT_FALSE(Of(all, a)->rebalance_recommended) << "the oldest keeps its place";
  EXPECT_TRUE(Of(all, b)->rebalance_recommended);
  EXPECT_TRUE(Of(all, c)->rebalance_recommended);
  EXPECT_EQ(Of(all, c)->interruption_unix_millis, 0) << "a recommendation is not a notice";

  // Spurious ones: at 2 per instance-hour, 20 instance-hours give about 40 draws; every
  // instance has had one within its first few hours (the chance of none in 10 h is e^-20).
  SimFleetOptions noisy;
  noisy.spurious_rebalances_per_hour = 2;
  std::vector<MarketPool> steady = {Spot({3}, 2)};
  Held q(steady, w, noisy, clock_);
  const std::string d = *q.fleet.Launch("spot"), e = *q.fleet.Launch("spot");
  RunTo(q.fleet, 10 * kHour);
  for (const FleetInstance& in : *q.fleet.Describe()) {
    EXPECT_TRUE(in.rebalance_recommended) << in.id;
    EXPECT_EQ(in.interruption_unix_millis, 0) << "nothing reclaims them";
  }
  SimFleetOptions quiet;
  Held r(steady, w, quiet, clock_);
  (void)*r.fleet.Launch("spot");
  RunTo(r.fleet, 30 * kHour);
  for (const FleetInstance& in : *r.fleet.Describe()) EXPECT_FALSE(in.rebalance_recommended);
}

TEST_F(SimFleetTest, AnInstanceIsPendingThroughItsChangeoverAndWorksOnlyAfter) {
  auto h = Make({OnDemand(2)}, {1}, /*changeover_hours=*/0.5);
  SimFleet& f = h->fleet;
  const std::string id = *f.Launch("od");
  auto all = *f.Describe();
  EXPECT_EQ(Of(all, id)->state, InstanceState::kPending);
  EXPECT_TRUE(Of(all, id)->busy) << "it holds the task it will run";
  RunTo(f, kHour / 2);
  EXPECT_EQ(Of(*f.Describe(), id)->state, InstanceState::kRunning);
  EXPECT_NEAR(f.Work()->remaining_hours, 1, 1e-9) << "nothing done in the changeover";
  RunTo(f, kHour);
  EXPECT_NEAR(f.Work()->remaining_hours, 0.5, 1e-9);
  RunTo(f, kHour * 3 / 2);
  EXPECT_EQ(f.unfinished(), 0);
  EXPECT_NEAR(f.finish_hours(), 1.5, 1e-9);
  ASSERT_EQ(f.attempts().size(), 1u);
  EXPECT_EQ(f.attempts()[0].from_unix_millis, start_ + kHour / 2) << "the changeover is idle";
  EXPECT_EQ(f.attempts()[0].to_unix_millis, start_ + kHour * 3 / 2);
}

TEST_F(SimFleetTest, WorkKnowsTheTotalsTheFinishedTasksAndTheDeadline) {
  auto h = Make({OnDemand(2)}, {1, 3});
  SimFleet& f = h->fleet;
  WorkSnapshot w = *f.Work();
  EXPECT_EQ(w.queued, 2);
  EXPECT_EQ(w.left, 2);
  EXPECT_DOUBLE_EQ(w.total_hours, 4);
  EXPECT_DOUBLE_EQ(w.mean_task_seconds, 7200);
  EXPECT_EQ(w.mean_done_task_seconds, 0);
  EXPECT_EQ(w.deadline_unix_millis, start_ + 10 * kHour);
  const std::string id = *f.Launch("od");
  RunTo(f, kHour / 2);
  w = *f.Work();
  EXPECT_EQ(w.queued, 1);
  EXPECT_EQ(w.running, 1);
  EXPECT_NEAR(w.remaining_hours, 3.5, 1e-9) << "the running task's progress up to now";
  RunTo(f, 2 * kHour);
  w = *f.Work();
  EXPECT_EQ(w.left, 1);
  EXPECT_DOUBLE_EQ(w.mean_done_task_seconds, 3600);
  EXPECT_DOUBLE_EQ(w.longest_done_task_seconds, 3600);
  EXPECT_TRUE(Of(*f.Describe(), id)->busy) << "it took the next task when its first was done";
}

TEST_F(SimFleetTest, ADrainedInstanceEndsWhenItsTaskIsDoneAndAProtectedOneIsNotTerminated) {
  auto h = Make({OnDemand(2)}, {1});
  SimFleet& f = h->fleet;
  const std::string id = *f.Launch("od");
  EXPECT_EQ(f.Terminate(id).code(), StatusCode::kFailedPrecondition) << "its worker holds a task";
  ASSERT_TRUE(f.Drain(id).ok());
  EXPECT_EQ(Of(*f.Describe(), id)->state, InstanceState::kDraining);
  RunTo(f, kHour);
  auto all = *f.Describe();
  ASSERT_NE(Of(all, id), nullptr);
  EXPECT_EQ(Of(all, id)->state, InstanceState::kTerminated);
  EXPECT_EQ(Of(all, id)->ended_unix_millis, start_ + kHour);
  EXPECT_EQ(f.unfinished(), 0);
}

TEST_F(SimFleetTest, AnInterruptionLosesTheWorkSinceTheLastCheckpointAndTheTaskGoesFirst) {
  auto h = Make({Spot({1, 1, 0}, 1), OnDemand(1)}, {5, 5}, 0, /*checkpoint_hours=*/1.5);
  SimFleet& f = h->fleet;
  const std::string spot = *f.Launch("spot");
  RunTo(f, 2 * kHour + 120'000);  // reclaimed with 2 h 2 min done: back to 1.5 h
  EXPECT_NEAR(f.Work()->remaining_hours, 10 - 1.5, 1e-9);
  const std::string od = *f.Launch("od");
  RunTo(f, 2 * kHour + 120'000 + kHour);
  EXPECT_NEAR(f.Work()->remaining_hours, 10 - 2.5, 1e-9) << "the interrupted task went first";
  ASSERT_EQ(f.attempts().size(), 1u);
  EXPECT_TRUE(f.attempts()[0].interrupted);
  EXPECT_TRUE(f.attempts()[0].wasted);
  f.EndAll();
  ASSERT_EQ(f.attempts().size(), 2u);
  EXPECT_FALSE(f.attempts()[1].interrupted) << "ended by the run, not by the provider";
  ASSERT_EQ(f.timeline().size(), 2u);
  EXPECT_TRUE(f.timeline()[0].reclaimed);
}

// The task of each attempt, in the order they ended.
std::vector<int> RunOrder(const std::vector<SimAttempt>& attempts) {
  std::vector<int> out;
  for (const SimAttempt& at : attempts) out.push_back(at.task);
  return out;
}

// Runs the events until every task has finished (RunTo would wait for the events left then).
void RunToTheEnd(SimFleet& f, FakeClock& clock) {
  while (f.unfinished() > 0 && f.NextEventUnixMillis() != std::numeric_limits<int64_t>::max()) {
    clock.Advance(f.NextEventUnixMillis() - clock.NowUnixMillis());
    f.ApplyDueEvents();
    f.Dispatch();
  }
}

TEST_F(SimFleetTest, TasksStartInTheWorkloadsOrder) {
  Workload w;
  w.task_hours = {1, 2, 3, 4};
  struct Case {
    TaskOrder order;
    std::vector<double> predicted;
    std::vector<int> expected;
  };
  for (const Case& c : {
           Case{TaskOrder::kFifo, {}, {0, 1, 2, 3}},
           Case{TaskOrder::kFifo, {4, 3, 2, 1}, {0, 1, 2, 3}},  // predictions order nothing
           Case{TaskOrder::kLargestFirst, {}, {3, 2, 1, 0}},    // the true lengths
           Case{TaskOrder::kLargestFirst, {4, 1, 2, 3}, {0, 3, 2, 1}},
           Case{TaskOrder::kLargestFirst, {2, 2, 1, 2}, {0, 1, 3, 2}},  // ties as listed
       }) {
    w.order = c.order;
    w.predicted_hours = c.predicted;
    FakeClock clock(start_);
    Held h({OnDemand(1)}, w, {}, clock);
    ASSERT_TRUE(h.fleet.Launch("od").ok());
    RunToTheEnd(h.fleet, clock);
    EXPECT_EQ(h.fleet.unfinished(), 0);
    EXPECT_EQ(RunOrder(h.fleet.attempts()), c.expected)
        << TaskOrderName(c.order) << " with " << c.predicted.size() << " predictions";
  }
}

TEST_F(SimFleetTest, UnderLargestFirstAnInterruptedTaskStillGoesFirst) {
  Workload w;
  w.task_hours = {1, 5};
  w.order = TaskOrder::kLargestFirst;
  Held h({Spot({1, 0}, 1), OnDemand(1)}, w, {}, clock_);
  ASSERT_TRUE(h.fleet.Launch("spot").ok());  // takes the 5 h task; reclaimed at 1 h 2 min
  RunTo(h.fleet, kHour + 120'000);
  ASSERT_TRUE(h.fleet.Launch("od").ok());
  RunToTheEnd(h.fleet, clock_);
  EXPECT_EQ(h.fleet.unfinished(), 0);
  EXPECT_EQ(RunOrder(h.fleet.attempts()), (std::vector<int>{1, 1, 0}));
}

TEST_F(SimFleetTest, QuotesAndPriceHistoryFollowTheTraces) {
  MarketPool spot = Spot({2, 0, 5}, 4);
  spot.price = {kHour, {0.1, 0.2, 0.3}};
  auto h = Make({spot, OnDemand(2)}, {1});
  SimFleet& f = h->fleet;
  auto q = *f.Quotes();
  EXPECT_EQ(q[0].spare, 2);
  EXPECT_TRUE(q[0].can_launch);
  EXPECT_DOUBLE_EQ(q[0].usd_per_hour, 0.1);
  EXPECT_EQ(q[0].interruption_band, 1);
  EXPECT_EQ(q[1].spare, 2);
  EXPECT_EQ(q[1].interruption_band, kUnknownBand);
  RunTo(f, kHour);
  q = *f.Quotes();
  EXPECT_FALSE(q[0].can_launch);
  EXPECT_DOUBLE_EQ(q[0].usd_per_hour, 0.2);
  RunTo(f, 2 * kHour);
  EXPECT_EQ((*f.Quotes())[0].spare, 4) << "at most the pool's maximum";
  auto hist = f.PriceHistory("spot", start_ + kHour / 2, start_ + 2 * kHour);
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 2u);
  EXPECT_EQ((*hist)[0].from_unix_millis, start_);
  EXPECT_DOUBLE_EQ((*hist)[1].usd_per_hour, 0.2);
  EXPECT_EQ(f.PriceHistory("spot", 5, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.PriceHistory("x", 0, 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.PriceHistory("od", start_, start_ + kHour)->size(), 1u);
}

}  // namespace
}  // namespace spotbatch
