#include "core/group_pool_quotes.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "core/market.h"

namespace spotbatch {
namespace {

using Points = std::vector<PricePoint>;

// The point in force at `t`: the last one from at or before it.
const PricePoint* InForce(const Points& points, int64_t t) {
  auto it = std::upper_bound(points.begin(), points.end(), t,
                             [](int64_t v, const PricePoint& p) { return v < p.from_unix_millis; });
  return it == points.begin() ? nullptr : &*std::prev(it);
}

struct Candidate {
  const std::string* zone;
  const std::string* instance_type;
  const Points* points;
};

// Every (zone, type) of the pool that has a price series, types in the pool's order.
std::vector<Candidate> Candidates(const GroupPoolSpec& pool, const GroupMarketView& view) {
  std::vector<Candidate> out;
  for (const std::string& type : pool.instance_types) {
    for (const auto& [key, points] : view.spot_prices) {
      if (key.instance_type != type || points.empty()) continue;
      if (!pool.zones.empty() &&
          std::find(pool.zones.begin(), pool.zones.end(), key.zone) == pool.zones.end()) {
        continue;
      }
      out.push_back({&key.zone, &key.instance_type, &points});
    }
  }
  return out;
}

double OnDemandOf(const std::string& type, const GroupMarketView& view) {
  auto it = view.on_demand.find(type);
  return it == view.on_demand.end() ? 0 : it->second;
}

// The cheapest on-demand type of the pool: its name (empty: none known) and price, which is
// the pool's own when it has one.
std::pair<std::string, double> CheapestOnDemand(const GroupPoolSpec& pool,
                                                const GroupMarketView& view) {
  std::pair<std::string, double> best{"", 0};
  for (const std::string& type : pool.instance_types) {
    const double usd = OnDemandOf(type, view);
    if (usd > 0 && (best.first.empty() || usd < best.second)) best = {type, usd};
  }
  if (pool.on_demand_usd_per_hour > 0) {
    if (best.first.empty()) best.first = pool.instance_types.empty() ? "" : pool.instance_types[0];
    best.second = pool.on_demand_usd_per_hour;
  }
  return best;
}

}  // namespace

GroupQuote QuoteGroupPool(const GroupPoolSpec& pool, const GroupMarketView& view,
                          int64_t now_unix_millis, const GroupQuoteRules& rules) {
  GroupQuote out;
  out.quote.pool = pool.name;
  out.quote.spot = pool.spot;
  const auto [od_type, od_usd] = CheapestOnDemand(pool, view);
  if (!pool.spot) {
    out.instance_type = od_type;
    out.quote.usd_per_hour = od_usd;
    out.quote.on_demand_usd_per_hour = od_usd;
    out.quote.can_launch = !od_type.empty();
    return out;
  }
  const std::map<std::string, int>* scores = nullptr;
  if (auto it = view.placement_scores.find(pool.name); it != view.placement_scores.end()) {
    scores = &it->second;
  }
  auto score_of = [&](const std::string& zone) {
    if (scores == nullptr) return 0;
    auto it = scores->find(zone);
    return it == scores->end() ? 0 : it->second;
  };
  // The best score among the zones that have a price now: the zones a launch would go to.
  struct Priced {
    Candidate c;
    double usd;
  };
  std::vector<Priced> priced;
  for (const Candidate& c : Candidates(pool, view)) {
    if (const PricePoint* p = InForce(*c.points, now_unix_millis))
      priced.push_back({c, p->usd_per_hour});
  }
  int best_score = 0;
  for (const Priced& p : priced) best_score = std::max(best_score, score_of(*p.c.zone));
  const Priced* chosen = nullptr;
  for (const Priced& p : priced) {
    if (score_of(*p.c.zone) != best_score) continue;
    if (chosen == nullptr || p.usd < chosen->usd) chosen = &p;
  }
  out.placement_score = best_score;
  if (chosen == nullptr) {
    out.quote.usd_per_hour = od_usd;
    out.quote.on_demand_usd_per_hour = od_usd;
    out.quote.can_launch = false;
    return out;
  }
  out.instance_type = *chosen->c.instance_type;
  out.zone = *chosen->c.zone;
  out.quote.usd_per_hour = chosen->usd;
  const double od = OnDemandOf(out.instance_type, view);
  out.quote.on_demand_usd_per_hour = pool.on_demand_usd_per_hour > 0 || od <= 0 ? od_usd : od;
  auto band = view.bands.find(out.instance_type);
  out.quote.interruption_band = band == view.bands.end() ? kUnknownBand : band->second;
  out.quote.can_launch = best_score == 0 || best_score >= rules.min_placement_score;
  return out;
}

std::vector<PricePoint> GroupPoolPriceHistory(const GroupPoolSpec& pool,
                                              const GroupMarketView& view, int64_t from_unix_millis,
                                              int64_t to_unix_millis) {
  std::vector<PricePoint> out;
  if (!pool.spot) {
    const double od = CheapestOnDemand(pool, view).second;
    if (od > 0) out.push_back({from_unix_millis, od});
    return out;
  }
  const std::vector<Candidate> candidates = Candidates(pool, view);
  // The moments the cheapest price may change: `from` itself, then every change before `to`.
  std::set<int64_t> moments{from_unix_millis};
  int64_t first_in_force = std::numeric_limits<int64_t>::min();
  for (const Candidate& c : candidates) {
    for (const PricePoint& p : *c.points) {
      if (p.from_unix_millis > from_unix_millis && p.from_unix_millis < to_unix_millis) {
        moments.insert(p.from_unix_millis);
      }
    }
    if (const PricePoint* p = InForce(*c.points, from_unix_millis)) {
      first_in_force = std::max(first_in_force, p->from_unix_millis);
    }
  }
  for (int64_t t : moments) {
    std::optional<double> cheapest;
    for (const Candidate& c : candidates) {
      if (const PricePoint* p = InForce(*c.points, t)) {
        if (!cheapest || p->usd_per_hour < *cheapest) cheapest = p->usd_per_hour;
      }
    }
    if (!cheapest || (!out.empty() && out.back().usd_per_hour == *cheapest)) continue;
    // The first point keeps the time since which it was in force.
    const int64_t since = out.empty() && t == from_unix_millis ? first_in_force : t;
    out.push_back({since, *cheapest});
  }
  return out;
}

}  // namespace spotbatch
