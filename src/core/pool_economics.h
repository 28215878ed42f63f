// What an hour of a pool is worth: its price, how often it has room, how often it takes an
// instance back, and from those the expected cost of an hour of useful work. `spotbatch market`
// ranks the config's pools by it.
#pragma once

#include <string>
#include <vector>

#include "core/market.h"

namespace spotbatch {

struct PoolEconomics {
  std::string name;
  bool spot = true;
  double usd_per_hour = 0;  // mean over the price series
  double on_demand_usd_per_hour = 0;
  double savings = 0;       // 1 - price / on-demand price (negative: dearer than on demand)
  double availability = 1;  // share of the trace's time with room for at least one instance
  // Instances reclaimed per instance-hour of capacity (a drop of capacity by k is k reclaims).
  double reclaims_per_hour = 0;
  double mean_stretch_hours = 0;   // how long room lasted once there (0: never; no trace: span)
  double useful = 1;               // share of a paid hour that does work: 1 - reclaims x changeover
  double usd_per_useful_hour = 0;  // price / useful (infinite when nothing is useful)
  int interruption_band = kUnknownBand;
};

// Every pool, cheapest expected useful hour first (ties: the order given). `changeover_hours`
// is what each reclaim wastes: the restart of the work elsewhere.
std::vector<PoolEconomics> RankPools(const std::vector<MarketPool>& pools, double changeover_hours);

}  // namespace spotbatch
