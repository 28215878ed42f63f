// Loaders for the published spot-market data the project carries in data/ (see its README):
// the Spot Instance Advisor feed, on-demand price tables, the SpotLake snapshot, a
// DescribeSpotPriceHistory dump, the 2016 spot price series and auto-scaling-group size traces.
// (The JSON capacity traces are read by trace_file.h.)
//
// Each Parse* reads text already in memory and names `source` in its errors; each Load* reads
// a file and parses it. Input is untrusted: anything malformed is kInvalidArgument naming the
// file, the line (or JSON path) and what is wrong, and nothing is returned; a missing file is
// kNotFound; a device, a pipe or a file over 256 MiB is kInvalidArgument (data_file.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/capacity_trace.h"
#include "core/market.h"
#include "spotbatch/status.h"

namespace spotbatch {

// Spot Instance Advisor: spot_advisor[region][os][type] = {"s": savings %, "r": band}.
struct AdvisorEntry {
  std::string region;
  std::string os;  // "Linux" or "Windows"
  std::string instance_type;
  int savings_percent = 0;  // against on-demand; negative when spot cost more
  int band = kUnknownBand;
};
struct AdvisorInstanceType {
  int cores = 0;       // 1..100,000
  double ram_gib = 0;  // positive
};
struct SpotAdvisor {
  std::vector<std::string> band_labels;  // by band index, from "ranges"
  std::vector<AdvisorEntry> entries;     // sorted by region, os, type
  std::map<std::string, AdvisorInstanceType> instance_types;
};
Result<SpotAdvisor> ParseSpotAdvisor(std::string_view json, const std::string& source);
Result<SpotAdvisor> LoadSpotAdvisor(const std::string& path);

// On-demand price table:
// snapshot_generated_at,source_commit,region,instance_type,ondemand_usd_per_hour
struct OnDemandPrice {
  std::string snapshot;  // as written: the file mixes date formats
  std::string region;
  std::string instance_type;
  double usd_per_hour = 0;
};
Result<std::vector<OnDemandPrice>> ParseOnDemandPrices(std::string_view csv,
                                                       const std::string& source);
Result<std::vector<OnDemandPrice>> LoadOnDemandPrices(const std::string& path);
// The newest snapshot's price of each type in `region` (snapshots compared as given order in
// the file: the last one listed for a type wins).
std::map<std::string, double> LatestOnDemandPrices(const std::vector<OnDemandPrice>& prices,
                                                   const std::string& region);

// SpotLake: SpotPrice,Savings,SPS,AZ,Region,InstanceType,IF,time
struct SpotLakePool {
  double spot_usd_per_hour = 0;
  int savings_percent = 0;
  int placement_score = 0;  // SPS, 1..10 (higher: more likely to get capacity)
  std::string zone_id;      // e.g. use1-az4
  std::string region;
  std::string instance_type;
  int band = kUnknownBand;  // from IF: 3.0 -> 0 (<5%), 2.5 -> 1, ... 1.0 -> 4 (>20%)
  std::string time;
};
Result<std::vector<SpotLakePool>> ParseSpotLake(std::string_view csv, const std::string& source);
Result<std::vector<SpotLakePool>> LoadSpotLake(const std::string& path);

// DescribeSpotPriceHistory dump, tab-separated, no header:
// az_id, instance_type, product_description, usd_per_hour, timestamp (ISO 8601)
struct SpotPriceRecord {
  std::string zone_id;
  std::string instance_type;
  std::string product;  // "Linux/UNIX", "Windows", ...
  double usd_per_hour = 0;
  int64_t unix_millis = 0;
};
Result<std::vector<SpotPriceRecord>> ParseSpotPriceDump(std::string_view tsv,
                                                        const std::string& source);
Result<std::vector<SpotPriceRecord>> LoadSpotPriceDump(const std::string& path);

// The 2016 series: a first line "x", then one price ($/h) per line, one per `gap_seconds`.
Result<PriceSeries> ParsePriceSeries(std::string_view text, const std::string& source,
                                     int64_t gap_seconds = 300);
Result<PriceSeries> LoadPriceSeries(const std::string& path, int64_t gap_seconds = 300);

// Auto-scaling-group size: "t,n" lines, a step function of live instances from time t on, t
// non-decreasing in seconds (or hours, `t_in_hours`). Sampled every `gap_seconds` into a
// capacity trace of instance counts (never binary).
Result<CapacityTrace> ParseAsgSizeTrace(std::string_view csv, const std::string& source,
                                        bool t_in_hours, int64_t gap_seconds = 60);
// Hours when the file name ends in "_scaled.csv" or is the multi-day "...-to-..." file whose
// times are hours (see data/README.md); seconds otherwise.
Result<CapacityTrace> LoadAsgSizeTrace(const std::string& path, int64_t gap_seconds = 60);

}  // namespace spotbatch
