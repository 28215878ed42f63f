#include "differing_pools.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "adapters/local/market_data.h"
#include "bag_of_tasks.h"
#include "core/on_demand_prices.h"
#include "sim/band_trace.h"

namespace spotbatch {
namespace {

// The families: in us-east-1 (the only region of the shipped on-demand table), the 2xlarge
// size (8 vCPUs) of the x86 types of the 5th generation on of the compute, general-purpose and
// memory classes (c, m, r), one family per class, as an EC2 Fleet request diversifying over
// sibling types of one size would list them. Graviton types (a "g" among the letters after the
// generation) run other binaries and are left out. A family's pools are its (type, zone)
// pairs within 25% of its cheapest spot price: a request lists the types worth their price.
constexpr const char* kRegion = "us-east-1";
constexpr const char* kSize = "2xlarge";
constexpr double kWithinCheapest = 1.25;
constexpr int kMaxScore = 3;  // the snapshot's placement scores run from 1 to 3
constexpr int kPerPool = 8;   // room at the highest score, as section 3's pools

struct Family {
  std::string name;                 // "c*.2xlarge"
  std::vector<SpotLakePool> pools;  // cheapest first (the snapshot's order among equals)
};

std::vector<Family> SelectFamilies(const std::vector<SpotLakePool>& lake) {
  static const std::regex kType("([cmr])([5-9])([a-z]*)\\.([a-z0-9]+)");
  std::map<std::string, Family> by_class;
  for (const SpotLakePool& p : lake) {
    std::smatch m;
    if (p.region != kRegion || !std::regex_match(p.instance_type, m, kType)) continue;
    if (m[4] != kSize || m[3].str().find('g') != std::string::npos) continue;
    if (!ShippedOnDemandPrice(p.instance_type, kRegion)) continue;
    Family& f = by_class[m[1]];
    f.name = m[1].str() + "*." + kSize;
    f.pools.push_back(p);
  }
  std::vector<Family> out;
  for (auto& [cls, f] : by_class) {
    std::stable_sort(f.pools.begin(), f.pools.end(), [](const auto& a, const auto& b) {
      return a.spot_usd_per_hour < b.spot_usd_per_hour;
    });
    const double limit = f.pools.front().spot_usd_per_hour * kWithinCheapest;
    std::erase_if(f.pools, [&](const SpotLakePool& p) { return p.spot_usd_per_hour > limit; });
    out.push_back(std::move(f));
  }
  return out;
}

// The family's spot pools, each with a trace from its band (seeded by its place in the
// family, the same in every reading), and an on-demand pool of its cheapest type on demand.
std::vector<MarketPool> FamilyMarket(const Family& f, const BandTraceModel& model, uint64_t seed) {
  std::vector<MarketPool> pools;
  MarketPool od;
  od.market = MarketKind::kOnDemand;
  od.max_instances = kInstances;
  od.on_demand_usd_per_hour = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < f.pools.size(); ++i) {
    const SpotLakePool& s = f.pools[i];
    MarketPool p;
    p.name = s.instance_type + " " + s.zone_id;
    p.region = s.region;
    p.zone = s.zone_id;
    p.instance_type = s.instance_type;
    p.price = PriceSeries::Constant(s.spot_usd_per_hour);
    p.on_demand_usd_per_hour = *ShippedOnDemandPrice(s.instance_type, kRegion);
    p.interruption_band = s.band;
    p.max_instances = RoomForPlacementScore(s.placement_score, kMaxScore, kPerPool);
    p.capacity = BandCapacityTrace(BandReclaimsPerHour(s.band, model.exposure_hours),
                                   p.max_instances, model, seed + i);
    if (p.on_demand_usd_per_hour < od.on_demand_usd_per_hour) {
      od.name = "on-demand " + s.instance_type;
      od.instance_type = s.instance_type;
      od.on_demand_usd_per_hour = p.on_demand_usd_per_hour;
    }
    pools.push_back(std::move(p));
  }
  od.price = PriceSeries::Constant(od.on_demand_usd_per_hour);
  pools.push_back(std::move(od));
  return pools;
}

// The advisor's band of each us-east-1 Linux type in one feed.
std::map<std::string, int> AdvisorBands(const std::string& data, const char* date) {
  auto a = LoadSpotAdvisor(data + "/market/spot-advisor/" + date + "/spot-advisor-data.json");
  if (!a.ok()) {
    std::fprintf(stderr, "%s\n", a.status().ToString().c_str());
    std::exit(1);
  }
  std::map<std::string, int> out;
  for (const AdvisorEntry& e : a->entries) {
    if (e.region == kRegion && e.os == "Linux") out[e.instance_type] = e.band;
  }
  return out;
}

const char* Band(const std::map<std::string, int>& bands, const std::string& type) {
  auto it = bands.find(type);
  return InterruptionBandLabel(it == bands.end() ? kUnknownBand : it->second);
}

void PoolsTable(const std::string& data, const std::vector<Family>& families) {
  const auto advisor_2021 = AdvisorBands(data, "2021-02-10");
  const auto advisor_2025 = AdvisorBands(data, "2025-06-28");
  std::printf(
      "| family | type | band (SpotLake) | Spot Advisor 2021 / 2025 | on-demand $/h | spot $/h "
      "by zone (placement score) |\n|---|---|---|---|---|---|\n");
  for (const Family& f : families) {
    std::vector<std::string> types;  // in the order of their cheapest pool
    for (const SpotLakePool& p : f.pools) {
      if (std::find(types.begin(), types.end(), p.instance_type) == types.end()) {
        types.push_back(p.instance_type);
      }
    }
    for (const std::string& type : types) {
      std::string zones;
      int band = kUnknownBand;
      for (const SpotLakePool& p : f.pools) {
        if (p.instance_type != type) continue;
        char cell[64];
        std::snprintf(cell, sizeof cell, "%s%s %.4f (%d)", zones.empty() ? "" : ", ",
                      p.zone_id.c_str(), p.spot_usd_per_hour, p.placement_score);
        zones += cell;
        band = p.band;
      }
      std::printf("| %s | %s | %s | %s / %s | %.4f | %s |\n", f.name.c_str(), type.c_str(),
                  InterruptionBandLabel(band), Band(advisor_2021, type), Band(advisor_2025, type),
                  *ShippedOnDemandPrice(type, kRegion), zones.c_str());
    }
  }
  std::printf("\n");
}

}  // namespace

void DifferingPoolsTable(const std::string& data, int runs) {
  auto lake = LoadSpotLake(data + "/market/spotlake_2022-07-12.csv");
  if (!lake.ok()) {
    std::fprintf(stderr, "%s\n", lake.status().ToString().c_str());
    std::exit(1);
  }
  const std::vector<Family> families = SelectFamilies(*lake);
  BandTraceModel month;  // the defaults: exposure a month, outages of an hour
  BandTraceModel day = month;
  day.exposure_hours = 24;
  std::printf(
      "## 3b. Pools that differ: prices and interruption rates from SpotLake and the Spot "
      "Advisor\n\n"
      "The bag of tasks of section 3 (%d tasks of 1 h, cv 0.5, a fleet of %d, a 150 h "
      "deadline, 0.05 h changeover, a 120 s notice) on real pools of the SpotLake snapshot of "
      "2022-07-12, chosen by a rule (bench/differing_pools.cc): in %s, the %s size of the x86 "
      "types of the 5th generation on of each of the classes c, m and r (one family each, as "
      "an EC2 Fleet request diversifying over sibling types would list them), the pools (type "
      "and zone) within %.0f%% of the family's cheapest spot price. Each pool has its snapshot "
      "price, its type's on-demand price (the shipped table) and its type's interruption band "
      "(SpotLake's IF; the advisor's bands of the same types at two other dates beside it); "
      "the on-demand pool is the family's cheapest type on demand.\n\n",
      kTasks, kInstances, kRegion, kSize, 100 * (kWithinCheapest - 1));
  PoolsTable(data, families);
  std::printf(
      "Capacity over time is a model (src/sim/band_trace.h), seeded per pool: room for %d "
      "instances at placement score %d (fewer at lower scores), all taken back at once at "
      "exponential times, then none for an exponential outage of %.0f h on average. A band's "
      "share (its middle; 25%% for >20%%) becomes a rate by taking it as the chance that an "
      "instance running for the exposure is reclaimed in it, -ln(1 - share) / exposure: read "
      "over a month (720 h, the advisor's window and the mildest reading) and over a day (24 "
      "h: instances that live a day and still show the month's share). Reclaims per 1000 "
      "instance-hours:",
      kPerPool, kMaxScore, month.mean_outage_hours);
  for (int band = 0; band < kBandCount; ++band) {
    std::printf("%s %s %.2f (month) / %.1f (day)", band ? ";" : "", InterruptionBandLabel(band),
                1000 * BandReclaimsPerHour(band, month.exposure_hours),
                1000 * BandReclaimsPerHour(band, day.exposure_hours));
  }
  std::printf(
      ". Progress either survives an interruption or is lost with it. Cells: cost in $ "
      "(on-demand hours / spot hours, instances reclaimed), runs that missed the deadline; %d "
      "runs.\n\n",
      runs);
  const std::vector<std::string>& all = KnownPolicies(WorkloadKind::kBagOfTasks);
  std::printf("| family | band read over | progress |");
  for (const std::string& p : all) std::printf(" %s |", p.c_str());
  std::printf(" spotbatch vs price-capacity-optimized |\n|---|---|---|");
  for (size_t i = 0; i <= all.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (size_t fi = 0; fi < families.size(); ++fi) {
    for (const BandTraceModel* model : {&month, &day}) {
      const std::vector<MarketPool> pools = FamilyMarket(families[fi], *model, 100 * (fi + 1));
      for (bool lost : {false, true}) {
        Scenario s = BagOfTasksOn(pools, 0.5, 150, all, runs);
        if (lost) s.work.checkpoint_hours = 1000;  // no checkpoint within any task
        const std::vector<PolicySummary> results = MustRun(s);
        std::printf("| %s | a %s | %s |", families[fi].name.c_str(),
                    model == &month ? "month" : "day", lost ? "lost" : "kept");
        for (const PolicySummary& r : results) {
          const int missed = Missed(r);
          std::printf(" %.0f (%.0f / %.0f, %.0f)%s |", r.cost_usd, r.on_demand_hours, r.spot_hours,
                      r.interruptions,
                      missed > 0 ? (" **" + std::to_string(missed) + " missed**").c_str() : "");
        }
        std::printf(" %+.1f%% |\n",
                    100 * (Summary(results, "spotbatch").cost_usd /
                               Summary(results, "price-capacity-optimized").cost_usd -
                           1));
      }
    }
  }
  std::printf("\nWhat it says: docs/simulator.md, \"What the data says\" (pools that differ).\n\n");
}

}  // namespace spotbatch
