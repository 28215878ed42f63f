#include "core/pool_economics.h"

#include <algorithm>
#include <limits>

namespace spotbatch {
namespace {

PoolEconomics Evaluate(const MarketPool& p, double changeover_hours) {
  PoolEconomics e;
  e.name = p.name;
  e.spot = p.spot();
  e.usd_per_hour = p.price.Mean();
  e.on_demand_usd_per_hour =
      p.on_demand_usd_per_hour > 0 ? p.on_demand_usd_per_hour : e.usd_per_hour;
  e.savings = e.on_demand_usd_per_hour > 0 ? 1 - e.usd_per_hour / e.on_demand_usd_per_hour : 0;
  e.interruption_band = p.interruption_band;
  const CapacityTrace& t = p.capacity;
  if (e.spot && !t.values.empty() && t.gap_millis > 0) {
    const double tick_hours = static_cast<double>(t.gap_millis) / kMillisPerHour;
    const int max = std::max(1, p.max_instances);
    auto room = [&](size_t i) { return t.CapacityAt(static_cast<int64_t>(i) * t.gap_millis, max); };
    double capacity_hours = 0, reclaims = 0, available_ticks = 0;
    int stretches = 0;
    for (size_t i = 0; i < t.values.size(); ++i) {
      const int now = room(i);
      capacity_hours += now * tick_hours;
      available_ticks += now > 0;
      if (i == 0) {
        stretches += now > 0;
        continue;
      }
      const int before = room(i - 1);
      reclaims += std::max(0, before - now);
      stretches += before == 0 && now > 0;
    }
    e.availability = available_ticks / static_cast<double>(t.values.size());
    e.reclaims_per_hour = capacity_hours > 0 ? reclaims / capacity_hours : 0;
    e.mean_stretch_hours = stretches > 0 ? available_ticks * tick_hours / stretches : 0;
  } else {
    e.mean_stretch_hours =
        t.values.empty() ? 0 : static_cast<double>(t.span_millis()) / kMillisPerHour;
  }
  e.useful = e.availability > 0 ? std::max(0.0, 1 - e.reclaims_per_hour * changeover_hours) : 0;
  e.usd_per_useful_hour =
      e.useful > 0 ? e.usd_per_hour / e.useful : std::numeric_limits<double>::infinity();
  return e;
}

}  // namespace

std::vector<PoolEconomics> RankPools(const std::vector<MarketPool>& pools,
                                     double changeover_hours) {
  std::vector<PoolEconomics> out;
  out.reserve(pools.size());
  for (const MarketPool& p : pools) out.push_back(Evaluate(p, changeover_hours));
  std::stable_sort(out.begin(), out.end(), [](const PoolEconomics& a, const PoolEconomics& b) {
    return a.usd_per_useful_hour < b.usd_per_useful_hour;
  });
  return out;
}

}  // namespace spotbatch
