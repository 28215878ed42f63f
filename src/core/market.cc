#include "core/market.h"

#include <cmath>

namespace spotbatch {

const char* InterruptionBandLabel(int band) {
  static constexpr const char* kLabels[kBandCount] = {"<5%", "5-10%", "10-15%", "15-20%", ">20%"};
  return band >= 0 && band < kBandCount ? kLabels[band] : "unknown";
}

double BandShare(int band) {
  if (band < 0 || band >= kBandCount) band = kBandCount - 1;
  return band == kBandCount - 1 ? 0.25 : 0.025 + 0.05 * band;
}

double BandReclaimsPerHour(int band, double exposure_hours) {
  return -std::log(1 - BandShare(band)) / exposure_hours;
}

double CheapestOnDemandUsdPerHour(const std::vector<MarketPool>& pools) {
  double pool = 0, named = 0;
  auto lower = [](double& best, double v) {
    if (v > 0 && (best == 0 || v < best)) best = v;
  };
  for (const MarketPool& p : pools)
    lower(p.spot() ? named : pool, p.spot() ? p.on_demand_usd_per_hour : p.price.Mean());
  return pool > 0 ? pool : named;
}

double PriceSeries::Mean() const {
  if (usd_per_hour.empty()) return 0;
  double sum = 0;
  for (double p : usd_per_hour) sum += p;
  return sum / static_cast<double>(usd_per_hour.size());
}

}  // namespace spotbatch
