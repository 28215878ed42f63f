// The bag of tasks' bound (BoundBagOfTasksOffline); the deadline job's dynamic program is
// tested with the simulator it bounds (tests/sim/simulator_test.cc).
#include "core/omniscient.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;

MarketPool Spot(std::vector<int32_t> hourly, int max, double price = 0.5) {
  MarketPool p;
  p.name = "spot";
  p.price = PriceSeries::Constant(price);
  p.on_demand_usd_per_hour = 2;
  p.capacity.gap_millis = kHour;
  p.capacity.values = std::move(hourly);
  p.max_instances = max;
  return p;
}

MarketPool OnDemand() {
  MarketPool p;
  p.name = "od";
  p.market = MarketKind::kOnDemand;
  p.price = PriceSeries::Constant(2);
  p.on_demand_usd_per_hour = 2;
  return p;
}

// Room for `max` in the first `hours` hours of a day, none after.
std::vector<int32_t> FirstHours(int hours) {
  std::vector<int32_t> v(24, 0);
  for (int h = 0; h < hours; ++h) v[static_cast<size_t>(h)] = 1;
  return v;
}

TEST(BagOfTasksBound, SpotWhileItLastsThenOnDemand) {
  // Spot for an hour with room for the fleet's 10: 10 of the 25 hours of work on spot.
  auto bound = BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 25, 10, 5, 0, 0);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  EXPECT_TRUE(bound->feasible);
  EXPECT_NEAR(bound->spot_hours, 10, 1e-6);
  EXPECT_NEAR(bound->on_demand_hours, 15, 1e-6);
  EXPECT_NEAR(bound->cost_usd, 10 * 0.5 + 15 * 2, 1e-6);
  // The fleet cannot do 60 hours in 5 hours on 10 instances.
  EXPECT_FALSE(
      BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 60, 10, 5, 0, 0)->feasible);
  // Without a deadline it waits for spot: here, a day later when the trace repeats.
  auto waiting = BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 25, 10, 0, 0, 0);
  EXPECT_NEAR(waiting->cost_usd, 25 * 0.5, 1e-6);
  EXPECT_FALSE(BoundBagOfTasksOffline({Spot(FirstHours(1), 10)}, 25, 10, 5, 0, 0).ok())
      << "no on demand";
  EXPECT_FALSE(BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 25, 10, 5, -1, 0).ok())
      << "negative changeover";
}

TEST(BagOfTasksBound, EveryInstanceInAStretchPaysItsChangeover) {
  // One hour of room for 10; each instance works 0.75 h of it after a 0.25 h changeover but
  // is paid for the whole hour.
  auto bound = BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 25, 10, 5, 0.25, 0);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  EXPECT_NEAR(bound->spot_hours, 10, 1e-6);
  EXPECT_NEAR(bound->on_demand_hours, 25 - 7.5, 1e-6);
  EXPECT_NEAR(bound->cost_usd, 10 * 0.5 + 17.5 * 2, 1e-6);
  // A stretch no longer than the changeover does no work: all on demand.
  auto useless = BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 25, 10, 5, 1, 0);
  EXPECT_NEAR(useless->spot_hours, 0, 1e-6);
  EXPECT_NEAR(useless->cost_usd, 25 * 2, 1e-6);
}

TEST(BagOfTasksBound, NoticedInstancesWorkThroughTheirNotice) {
  // Room for 10 in the first hour, reclaimed half an hour after it ends: a 1.5 h stretch,
  // 1.25 h of work on each instance after a 0.25 h changeover.
  auto bound =
      BoundBagOfTasksOffline({Spot(FirstHours(1), 10), OnDemand()}, 25, 10, 5, 0.25, 0, kHour / 2);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  EXPECT_NEAR(bound->spot_hours, 15, 1e-6);
  EXPECT_NEAR(bound->cost_usd, 15 * 0.5 + (25 - 12.5) * 2, 1e-6);
}

TEST(BagOfTasksBound, WaitsForCheaperSpotWhenTheDeadlineAllows) {
  // Dear spot in the first hour, cheap spot in the next two, a fleet of 10 and 20 hours of
  // work by hour 3: the cheapest plan skips the first hour (taking spot in time order would
  // cost 10 * 1.5 + 10 * 0.5).
  std::vector<int32_t> later = {0, 1, 1};
  later.resize(24, 0);
  auto bound = BoundBagOfTasksOffline(
      {Spot(FirstHours(1), 10, 1.5), Spot(later, 10, 0.5), OnDemand()}, 20, 10, 3, 0, 0);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  EXPECT_NEAR(bound->cost_usd, 20 * 0.5, 1e-6);
  EXPECT_NEAR(bound->finish_hours, 3, 1e-9);
}

TEST(BagOfTasksBound, TheFleetsSizeLimitsEveryStep) {
  // Room for 10 on spot all the time but a fleet of 4: 8 instance-hours by hour 2, spot and
  // on demand together, so 12 hours of work cannot be done and 8 can, all on spot.
  auto tight =
      BoundBagOfTasksOffline({Spot(std::vector<int32_t>(24, 1), 10), OnDemand()}, 12, 4, 2, 0, 0);
  ASSERT_TRUE(tight.ok());
  EXPECT_FALSE(tight->feasible);
  auto enough =
      BoundBagOfTasksOffline({Spot(std::vector<int32_t>(24, 1), 10), OnDemand()}, 8, 4, 2, 0, 0);
  EXPECT_TRUE(enough->feasible);
  EXPECT_NEAR(enough->cost_usd, 8 * 0.5, 1e-6);
}

TEST(BagOfTasksBound, RoomBetweenLevelsChargesNoChangeover) {
  // Room for 5 then 10 (not all or nothing): an instance launched in the first hour may work
  // on in the second, so no stretch can be charged a changeover.
  MarketPool levels = Spot({5, 10, 0}, 10);
  levels.capacity.binary = false;
  levels.capacity.values.resize(24, 0);
  auto bound = BoundBagOfTasksOffline({levels, OnDemand()}, 20, 10, 3, 0.25, 0);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  EXPECT_NEAR(bound->spot_hours, 15, 1e-6);
  EXPECT_NEAR(bound->cost_usd, 15 * 0.5 + 5 * 2, 1e-6);
}

}  // namespace
}  // namespace spotbatch
