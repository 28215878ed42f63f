#include "core/pool_economics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace spotbatch {
namespace {

MarketPool Pool(std::string name, double price, std::vector<int32_t> hourly, int max = 1) {
  MarketPool p;
  p.name = std::move(name);
  p.price = PriceSeries::Constant(price);
  p.on_demand_usd_per_hour = 2.0;
  p.capacity.gap_millis = 3'600'000;
  p.capacity.values = std::move(hourly);
  for (int32_t v : p.capacity.values) p.capacity.binary = p.capacity.binary && v <= 1;
  p.max_instances = max;
  return p;
}

TEST(PoolEconomics, ReclaimsMakeAnHourDearer) {
  // Pool a: room 3 hours of 6 in one stretch, one reclaim. Pool b: same share in three
  // stretches, three reclaims. Same price: b's useful hour costs more.
  const auto ranked =
      RankPools({Pool("b", 0.5, {1, 0, 1, 0, 1, 0}), Pool("a", 0.5, {1, 1, 1, 0, 0, 0})}, 0.25);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].name, "a");
  EXPECT_DOUBLE_EQ(ranked[0].availability, 0.5);
  EXPECT_DOUBLE_EQ(ranked[0].reclaims_per_hour, 1.0 / 3);
  EXPECT_DOUBLE_EQ(ranked[0].mean_stretch_hours, 3);
  EXPECT_DOUBLE_EQ(ranked[0].useful, 1 - 0.25 / 3);
  EXPECT_DOUBLE_EQ(ranked[0].usd_per_useful_hour, 0.5 / (1 - 0.25 / 3));
  EXPECT_DOUBLE_EQ(ranked[0].savings, 0.75);
  EXPECT_EQ(ranked[1].name, "b");
  EXPECT_DOUBLE_EQ(ranked[1].reclaims_per_hour, 1.0);  // 3 reclaims in 3 hours of room
  EXPECT_DOUBLE_EQ(ranked[1].mean_stretch_hours, 1);
}

TEST(PoolEconomics, CountTracesReclaimPerInstanceAndNeverUsefulPoolsGoLast) {
  MarketPool od;
  od.name = "od";
  od.market = MarketKind::kOnDemand;
  od.price = PriceSeries::Constant(2.0);
  const auto ranked =
      RankPools({Pool("never", 0.1, {0, 0, 0}), od, Pool("count", 0.5, {4, 2, 2, 4}, 4)}, 0.5);
  EXPECT_EQ(ranked[0].name, "count");
  // 12 instance-hours of capacity, 2 instances reclaimed.
  EXPECT_DOUBLE_EQ(ranked[0].reclaims_per_hour, 2.0 / 12);
  EXPECT_EQ(ranked[1].name, "od");
  EXPECT_DOUBLE_EQ(ranked[1].usd_per_useful_hour, 2.0);
  EXPECT_EQ(ranked[2].name, "never");
  EXPECT_TRUE(std::isinf(ranked[2].usd_per_useful_hour));
}

}  // namespace
}  // namespace spotbatch
