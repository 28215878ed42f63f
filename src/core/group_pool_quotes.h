// Quotes of pools that span several instance types and zones, as an Auto Scaling group with a
// mixed-instances policy does: what the market on EC2 (adapters/aws/ec2_market.h) makes of
// the prices, placement scores, advisor bands and on-demand prices it has read. Pure: no I/O,
// no clock.
//
// A spot pool is quoted at the (type, zone) it would most likely launch into, the way Auto
// Scaling's price-capacity-optimized allocation chooses: among the pool's zones with the best
// placement score (every zone with a price when no score is known), the cheapest type. Its
// advisor band and on-demand price are that type's. A launch is taken to get capacity when
// some (type, zone) has a price and the best score reaches `min_placement_score`.
// An on-demand pool costs its cheapest type's on-demand price, in any zone.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spotbatch/market.h"

namespace spotbatch {

struct GroupPoolSpec {
  std::string name;
  bool spot = true;
  std::vector<std::string> instance_types;  // in the group's order of preference
  std::vector<std::string> zones;           // zone names; empty: every zone EC2 prices
  int max_instances = 1;
  // The pool's own on-demand price (the config's on_demand_price_per_hour); 0: its cheapest
  // type's in GroupMarketView::on_demand.
  double on_demand_usd_per_hour = 0;
};

struct ZoneAndType {
  std::string zone;
  std::string instance_type;
  auto operator<=>(const ZoneAndType&) const = default;
};

// What the market has read.
struct GroupMarketView {
  // The spot price of each (zone, type): points in time order, each in force until the next.
  std::map<ZoneAndType, std::vector<PricePoint>> spot_prices;
  // Per pool name: the placement score (1..10) of each of its zones that EC2 rated.
  std::map<std::string, std::map<std::string, int>> placement_scores;
  std::map<std::string, int> bands;         // instance type -> advisor band (market.h)
  std::map<std::string, double> on_demand;  // instance type -> $/h
};

struct GroupQuoteRules {
  int min_placement_score = 3;
};

struct GroupQuote {
  PoolQuote quote;
  // Where the quote's price is from ("" when nothing priced the pool).
  std::string instance_type;
  std::string zone;         // "" for on-demand pools
  int placement_score = 0;  // the best of the pool's zones; 0 when none is known
};

// The pool's quote at `now`. A spot pool without any price is quoted at its on-demand price
// with can_launch false.
GroupQuote QuoteGroupPool(const GroupPoolSpec& pool, const GroupMarketView& view,
                          int64_t now_unix_millis, const GroupQuoteRules& rules = {});

// The pool's price over [from, to) (from <= to), as Market::PriceHistory returns it: at each
// moment the cheapest spot price of its (type, zone)s, a point only where that changes, the
// first in force at `from` (or the first price after it when none was); an on-demand pool's
// one point at `from`. Empty when nothing priced the pool then.
std::vector<PricePoint> GroupPoolPriceHistory(const GroupPoolSpec& pool,
                                              const GroupMarketView& view, int64_t from_unix_millis,
                                              int64_t to_unix_millis);

}  // namespace spotbatch
