// The on-demand price table spotbatch ships: Linux on-demand dollars per hour by region and
// instance type (data/market/ondemand_linux.csv, compiled into the program at build time, so
// that no data folder is read at run time; see data/README.md for its source). A pool whose
// config gives no on-demand price gets its type's price from here.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace spotbatch {

struct OnDemandRate {
  std::string_view region;
  std::string_view instance_type;
  double usd_per_hour = 0;
};

// The region a pool's price is looked up in: the shipped table covers only us-east-1 (its
// source has no other region), and a config has no region key for local pools yet.
inline constexpr std::string_view kDefaultPriceRegion = "us-east-1";

// Every row of the shipped table, as listed in the CSV (defined in the generated source).
std::span<const OnDemandRate> ShippedOnDemandRates();

// The on-demand price of `instance_type` in `region`; nullopt when the table does not list it.
std::optional<double> ShippedOnDemandPrice(std::string_view instance_type,
                                           std::string_view region = kDefaultPriceRegion);

}  // namespace spotbatch
