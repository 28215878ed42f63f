#include "apps/market_command.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/live_market.h"
#include "apps/simulate_command.h"
#include "core/pool_economics.h"

namespace spotbatch {

int MarketCommand(const Config& config, bool json) {
  if (config.pools.empty()) {
    std::fprintf(stderr, "spotbatch market: %s has no [[fleet.pool]] entries to rank\n",
                 config.file.c_str());
    return 1;
  }
  if (config.ec2_pools()) return LiveMarketCommand(config, json);
  const double changeover = config.simulate.changeover_hours;
  const std::vector<PoolEconomics> ranked = RankPools(MarketPoolsOf(config), changeover);
  if (json) {
    nlohmann::json out = {{"changeover_hours", changeover}, {"pools", nlohmann::json::array()}};
    for (const PoolEconomics& e : ranked) {
      out["pools"].push_back({{"name", e.name},
                              {"market", e.spot ? "spot" : "on-demand"},
                              {"usd_per_hour", e.usd_per_hour},
                              {"on_demand_usd_per_hour", e.on_demand_usd_per_hour},
                              {"savings", e.savings},
                              {"availability", e.availability},
                              {"reclaims_per_hour", e.reclaims_per_hour},
                              {"mean_stretch_hours", e.mean_stretch_hours},
                              {"useful", e.useful},
                              // JSON has no infinity: a pool that never does useful work has null.
                              {"usd_per_useful_hour", std::isfinite(e.usd_per_useful_hour)
                                                          ? nlohmann::json(e.usd_per_useful_hour)
                                                          : nlohmann::json(nullptr)},
                              {"interruption_band", InterruptionBandLabel(e.interruption_band)}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf(
      "pools by expected cost per useful hour (a reclaim wastes %.3g h of work)\n\n"
      "| rank | pool | market | $/h | savings | available | reclaims per day | "
      "mean stretch h | $ per useful hour |\n|---|---|---|---|---|---|---|---|---|\n",
      changeover);
  int rank = 0;
  for (const PoolEconomics& e : ranked) {
    char cost[32] = "never useful";
    if (std::isfinite(e.usd_per_useful_hour)) {
      std::snprintf(cost, sizeof cost, "%.4f", e.usd_per_useful_hour);
    }
    std::printf("| %d | %s | %s | %.4f | %.0f%% | %.1f%% | %.2f | %.1f | %s |\n", ++rank,
                e.name.c_str(), e.spot ? "spot" : "on-demand", e.usd_per_hour, 100 * e.savings,
                100 * e.availability, 24 * e.reclaims_per_hour, e.mean_stretch_hours, cost);
  }
  return 0;
}

}  // namespace spotbatch
