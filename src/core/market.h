// The spot market as the fleet manager and the simulator see it: pools with a price (constant
// or a series), a capacity over time and an interruption band. Pure values, no I/O; the
// loaders of the published data are in adapters/local/market_data.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/capacity_trace.h"

namespace spotbatch {

enum class MarketKind { kSpot, kOnDemand };

// Traces and prices are in milliseconds; policies and reports think in hours.
inline constexpr double kMillisPerHour = 3'600'000.0;

// The Spot Instance Advisor's interruption bands: the share of a pool's instances interrupted
// over the trailing month. kUnknownBand when no source says.
inline constexpr int kUnknownBand = -1;
inline constexpr int kBandCount = 5;
// "<5%", "5-10%", "10-15%", "15-20%", ">20%"; "unknown" otherwise.
const char* InterruptionBandLabel(int band);
// The share of instances a band says are interrupted: the middle of its range (2.5%, 7.5%,
// 12.5%, 17.5%), 25% for ">20%", and as ">20%" for a band no source gives (a pool nobody
// vouches for is taken to be flaky).
double BandShare(int band);
// Reclaims per instance-hour for a band: its share taken as the chance that an instance
// running `exposure_hours` is reclaimed in that time, -ln(1 - share) / exposure_hours. The
// advisor's window is a month (720 h), the mildest reading: it publishes no rate, so this is
// a model (sim/band_trace.h says more).
inline constexpr double kBandWindowHours = 720;
double BandReclaimsPerHour(int band, double exposure_hours = kBandWindowHours);

// $/h over time: one value per tick of `gap_millis`, repeating past its end like capacity
// traces; a single value (or gap 0) is a constant price.
struct PriceSeries {
  int64_t gap_millis = 0;
  std::vector<double> usd_per_hour;

  static PriceSeries Constant(double usd_per_hour) { return {0, {usd_per_hour}}; }
  double At(int64_t trace_millis) const {
    if (usd_per_hour.empty()) return 0;
    if (gap_millis <= 0 || usd_per_hour.size() == 1) return usd_per_hour.front();
    const int64_t tick = (trace_millis < 0 ? 0 : trace_millis) / gap_millis;
    return usd_per_hour[static_cast<size_t>(tick % static_cast<int64_t>(usd_per_hour.size()))];
  }
  double Mean() const;
  int64_t span_millis() const { return gap_millis * static_cast<int64_t>(usd_per_hour.size()); }
};

struct MarketPool {
  std::string name;  // unique within a market
  std::string provider = "aws";
  std::string region;
  std::string zone;
  std::string instance_type;
  int vcpus = 0;
  double memory_gib = 0;
  MarketKind market = MarketKind::kSpot;
  PriceSeries price;
  double on_demand_usd_per_hour = 0;  // what the same capacity costs on demand
  CapacityTrace capacity;             // no values: always room for max_instances
  int max_instances = 1;
  int interruption_band = kUnknownBand;

  bool spot() const { return market == MarketKind::kSpot; }
};

// What an hour of the same capacity costs on demand: the cheapest on-demand pool (its mean
// price), or without one the cheapest on-demand price a spot pool names; 0 when nothing says.
double CheapestOnDemandUsdPerHour(const std::vector<MarketPool>& pools);

}  // namespace spotbatch
