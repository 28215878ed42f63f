// Market: what capacity costs in each pool of the fleet, and whether there is any, now and
// over time.
//
// Embedded, the market replays the pools' capacity traces and the shipped price tables; on
// AWS it reads DescribeSpotPriceHistory, the Spot Instance Advisor feed, spot placement scores
// and on-demand prices; in simulation it replays traces on the virtual clock. What spotbatch
// observed itself (how often its own instances were reclaimed in a pool) is the fleet
// manager's to learn, not the market's to say. Times are of the fleet's clock (fleet.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

struct PricePoint {
  int64_t from_unix_millis = 0;  // in force from then until the next point
  double usd_per_hour = 0;
};

struct PoolQuote {
  std::string pool;
  bool spot = true;
  double usd_per_hour = 0;            // the price now
  double on_demand_usd_per_hour = 0;  // the same capacity on demand
  // Whether a launch now would get capacity, and how many more instances the pool would take
  // now; -1 when the source cannot count (EC2's placement scores rate 1 to 10).
  bool can_launch = true;
  int spare = -1;
  // The Spot Instance Advisor's band of interruptions over the trailing month: 0 "<5%",
  // 1 "5-10%", 2 "10-15%", 3 "15-20%", 4 ">20%"; -1 unknown (and for on-demand pools).
  int interruption_band = -1;
};

class Market {
 public:
  virtual ~Market() = default;
  // A quote for every pool of the fleet, in the fleet's pool order. kUnavailable on a passing
  // fault (decide on the last quotes).
  virtual Result<std::vector<PoolQuote>> Quotes() = 0;
  // The price of `pool` over [from, to): the points in force then, in time order, the first
  // at or before `from`. kNotFound for an unknown pool, kInvalidArgument when to < from,
  // kUnavailable on a passing fault.
  virtual Result<std::vector<PricePoint>> PriceHistory(std::string_view pool,
                                                       int64_t from_unix_millis,
                                                       int64_t to_unix_millis) = 0;
};

}  // namespace spotbatch
