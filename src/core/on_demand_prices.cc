#include "core/on_demand_prices.h"

namespace spotbatch {

std::optional<double> ShippedOnDemandPrice(std::string_view instance_type,
                                           std::string_view region) {
  // A linear scan: it runs once per pool when a config is loaded, over about 1,400 rows, and
  // it does not depend on the CSV being sorted.
  for (const OnDemandRate& r : ShippedOnDemandRates()) {
    if (r.instance_type == instance_type && r.region == region) return r.usd_per_hour;
  }
  return std::nullopt;
}

}  // namespace spotbatch
