#include "core/group_pool_quotes.h"

#include <gtest/gtest.h>

#include "core/market.h"

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;

// Prices of three types in three zones; c5a is the cheapest in 1a, m5 in 1b.
GroupMarketView View() {
  GroupMarketView v;
  v.spot_prices[{"us-east-1a", "c5.xlarge"}] = {{0, 0.080}, {2 * kHour, 0.090}};
  v.spot_prices[{"us-east-1a", "c5a.xlarge"}] = {{0, 0.070}};
  v.spot_prices[{"us-east-1b", "m5.xlarge"}] = {{kHour, 0.060}, {3 * kHour, 0.085}};
  v.spot_prices[{"us-east-1c", "c5.xlarge"}] = {{0, 0.050}};  // a zone the pool leaves out
  v.bands = {{"c5.xlarge", 1}, {"c5a.xlarge", 0}, {"m5.xlarge", 2}};
  v.on_demand = {{"c5.xlarge", 0.17}, {"c5a.xlarge", 0.154}, {"m5.xlarge", 0.192}};
  return v;
}

GroupPoolSpec Pool(bool spot = true) {
  return {.name = "spot-c5",
          .spot = spot,
          .instance_types = {"c5.xlarge", "c5a.xlarge", "m5.xlarge"},
          .zones = {"us-east-1a", "us-east-1b"},
          .max_instances = 10};
}

TEST(QuoteGroupPool, WithoutScoresTakesTheCheapestTypeAndZoneOfThePool) {
  const GroupMarketView view = View();
  // At 30 min m5 has no price yet: c5a in 1a is the cheapest (1c is not the pool's).
  GroupQuote q = QuoteGroupPool(Pool(), view, kHour / 2);
  EXPECT_EQ(q.quote.pool, "spot-c5");
  EXPECT_TRUE(q.quote.spot);
  EXPECT_EQ(q.instance_type, "c5a.xlarge");
  EXPECT_EQ(q.zone, "us-east-1a");
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.070);
  EXPECT_DOUBLE_EQ(q.quote.on_demand_usd_per_hour, 0.154);
  EXPECT_EQ(q.quote.interruption_band, 0);
  EXPECT_TRUE(q.quote.can_launch);
  EXPECT_EQ(q.quote.spare, -1);
  // From 1 h m5 in 1b undercuts it, until its price rises at 3 h.
  q = QuoteGroupPool(Pool(), view, kHour);
  EXPECT_EQ(q.instance_type, "m5.xlarge");
  EXPECT_EQ(q.zone, "us-east-1b");
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.060);
  EXPECT_EQ(q.quote.interruption_band, 2);
  EXPECT_DOUBLE_EQ(q.quote.on_demand_usd_per_hour, 0.192);
  q = QuoteGroupPool(Pool(), view, 3 * kHour);
  EXPECT_EQ(q.instance_type, "c5a.xlarge");
}

TEST(QuoteGroupPool, PrefersTheZonesWithTheBestPlacementScore) {
  GroupMarketView view = View();
  // 1b is the cheapest at 1 h, but 1a is likelier to have capacity.
  view.placement_scores["spot-c5"] = {{"us-east-1a", 7}, {"us-east-1b", 3}};
  GroupQuote q = QuoteGroupPool(Pool(), view, kHour);
  EXPECT_EQ(q.zone, "us-east-1a");
  EXPECT_EQ(q.instance_type, "c5a.xlarge");
  EXPECT_EQ(q.placement_score, 7);
  EXPECT_TRUE(q.quote.can_launch);
  // Scores of another pool do not count.
  view.placement_scores.clear();
  view.placement_scores["other"] = {{"us-east-1a", 9}};
  EXPECT_EQ(QuoteGroupPool(Pool(), view, kHour).zone, "us-east-1b");
}

TEST(QuoteGroupPool, ALowBestScoreMeansALaunchWouldNotGetCapacity) {
  GroupMarketView view = View();
  view.placement_scores["spot-c5"] = {{"us-east-1a", 2}, {"us-east-1b", 1}};
  GroupQuote q = QuoteGroupPool(Pool(), view, kHour, {.min_placement_score = 3});
  EXPECT_FALSE(q.quote.can_launch);
  EXPECT_EQ(q.placement_score, 2);
  EXPECT_TRUE(QuoteGroupPool(Pool(), view, kHour, {.min_placement_score = 2}).quote.can_launch);
}

TEST(QuoteGroupPool, APoolWithoutAnyPriceCannotLaunchAndCostsOnDemand) {
  GroupMarketView view = View();
  GroupPoolSpec pool = Pool();
  pool.zones = {"us-east-1d"};
  GroupQuote q = QuoteGroupPool(pool, view, kHour);
  EXPECT_FALSE(q.quote.can_launch);
  EXPECT_EQ(q.instance_type, "");
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.154);  // the cheapest type on demand
  EXPECT_EQ(q.quote.interruption_band, kUnknownBand);
  // Before any price was in force, likewise.
  EXPECT_FALSE(QuoteGroupPool(Pool(), view, -1).quote.can_launch);
}

TEST(QuoteGroupPool, AnEmptyZoneListMeansEveryZoneThatHasAPrice) {
  GroupPoolSpec pool = Pool();
  pool.zones.clear();
  GroupQuote q = QuoteGroupPool(pool, View(), kHour / 2);
  EXPECT_EQ(q.zone, "us-east-1c");
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.050);
}

TEST(QuoteGroupPool, AnOnDemandPoolCostsItsCheapestTypeOnDemand) {
  GroupQuote q = QuoteGroupPool(Pool(false), View(), kHour);
  EXPECT_FALSE(q.quote.spot);
  EXPECT_EQ(q.instance_type, "c5a.xlarge");
  EXPECT_EQ(q.zone, "");
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.154);
  EXPECT_DOUBLE_EQ(q.quote.on_demand_usd_per_hour, 0.154);
  EXPECT_EQ(q.quote.interruption_band, kUnknownBand);
  EXPECT_TRUE(q.quote.can_launch);
  // A type the table does not price is passed over; none priced at all cannot launch.
  GroupMarketView view = View();
  view.on_demand.erase("c5a.xlarge");
  EXPECT_EQ(QuoteGroupPool(Pool(false), view, kHour).instance_type, "c5.xlarge");
  view.on_demand.clear();
  EXPECT_FALSE(QuoteGroupPool(Pool(false), view, kHour).quote.can_launch);
}

// A config's on_demand_price_per_hour (a negotiated rate, a region the table lacks) is the
// pool's on-demand price, whatever the table says of its types.
TEST(QuoteGroupPool, APoolsOwnOnDemandPriceOutranksTheTable) {
  GroupPoolSpec od = Pool(false);
  od.on_demand_usd_per_hour = 0.12;
  GroupQuote q = QuoteGroupPool(od, View(), kHour);
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.12);
  EXPECT_DOUBLE_EQ(q.quote.on_demand_usd_per_hour, 0.12);
  EXPECT_TRUE(q.quote.can_launch);
  GroupMarketView unpriced = View();
  unpriced.on_demand.clear();
  q = QuoteGroupPool(od, unpriced, kHour);
  EXPECT_TRUE(q.quote.can_launch) << "priced by the config alone";
  EXPECT_EQ(q.instance_type, "c5.xlarge");
  ASSERT_EQ(GroupPoolPriceHistory(od, unpriced, 0, kHour).size(), 1u);
  EXPECT_DOUBLE_EQ(GroupPoolPriceHistory(od, unpriced, 0, kHour)[0].usd_per_hour, 0.12);

  GroupPoolSpec spot = Pool();
  spot.on_demand_usd_per_hour = 0.12;
  q = QuoteGroupPool(spot, View(), kHour / 2);
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.070) << "the spot price is the market's";
  EXPECT_DOUBLE_EQ(q.quote.on_demand_usd_per_hour, 0.12) << "savings against the pool's own";
}

TEST(GroupPoolPriceHistory, IsTheCheapestPriceOfThePoolAtEachMoment) {
  const std::vector<PricePoint> h = GroupPoolPriceHistory(Pool(), View(), kHour / 2, 4 * kHour);
  // 0.070 (c5a 1a, in force since 0), 0.060 from 1 h (m5 1b), 0.070 again from 3 h. The c5
  // change at 2 h moves nothing and makes no point.
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].from_unix_millis, 0);
  EXPECT_DOUBLE_EQ(h[0].usd_per_hour, 0.070);
  EXPECT_EQ(h[1].from_unix_millis, kHour);
  EXPECT_DOUBLE_EQ(h[1].usd_per_hour, 0.060);
  EXPECT_EQ(h[2].from_unix_millis, 3 * kHour);
  EXPECT_DOUBLE_EQ(h[2].usd_per_hour, 0.070);
  // A change at `to` is outside [from, to).
  EXPECT_EQ(GroupPoolPriceHistory(Pool(), View(), kHour / 2, 3 * kHour).size(), 2u);
}

TEST(GroupPoolPriceHistory, StartsAtTheFirstPriceWhenNoneWasInForceAtFrom) {
  GroupPoolSpec pool = Pool();
  pool.instance_types = {"m5.xlarge"};
  const std::vector<PricePoint> h = GroupPoolPriceHistory(pool, View(), 0, 4 * kHour);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].from_unix_millis, kHour);
  EXPECT_DOUBLE_EQ(h[0].usd_per_hour, 0.060);
  EXPECT_EQ(h[1].from_unix_millis, 3 * kHour);
  pool.zones = {"us-east-1d"};
  EXPECT_TRUE(GroupPoolPriceHistory(pool, View(), 0, 4 * kHour).empty());
}

TEST(GroupPoolPriceHistory, AnOnDemandPoolHasOnePoint) {
  const std::vector<PricePoint> h = GroupPoolPriceHistory(Pool(false), View(), kHour, 2 * kHour);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].from_unix_millis, kHour);
  EXPECT_DOUBLE_EQ(h[0].usd_per_hour, 0.154);
}

}  // namespace
}  // namespace spotbatch
