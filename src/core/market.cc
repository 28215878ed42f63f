#include "core/market.h"

namespace spotbatch {

const char* InterruptionBandLabel(int band) {
  static constexpr const char* kLabels[kBandCount] = {"<5%", "5-10%", "10-15%", "15-20%", ">20%"};
  return band >= 0 && band < kBandCount ? kLabels[band] : "unknown";
}

double PriceSeries::Mean() const {
  if (usd_per_hour.empty()) return 0;
  double sum = 0;
  for (double p : usd_per_hour) sum += p;
  return sum / static_cast<double>(usd_per_hour.size());
}

}  // namespace spotbatch
