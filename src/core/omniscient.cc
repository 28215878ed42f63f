#include "core/omniscient.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spotbatch {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Cell {
  double cost = kInf;
  int spot_steps = 0;
  int od_steps = 0;
};

// The most instances `p` has room for at any moment of trace time [from, to).
int RoomDuring(const MarketPool& p, int64_t from, int64_t to) {
  if (p.capacity.values.empty()) return p.max_instances;
  const int64_t gap = p.capacity.gap_millis;
  int most = 0;
  for (int64_t t = std::max<int64_t>(0, from); t < to; t = (t / gap + 1) * gap) {
    most = std::max(most, p.capacity.CapacityAt(t, p.max_instances));
  }
  return most;
}

// The finest tick of any spot pool's capacity or price (60 s without any).
int64_t FinestGap(const std::vector<MarketPool>& pools) {
  int64_t finest = 0;
  auto take = [&](int64_t g) { finest = finest == 0 ? g : std::min(finest, g); };
  for (const MarketPool& p : pools) {
    if (!p.spot()) continue;
    if (!p.capacity.values.empty()) take(p.capacity.gap_millis);
    if (p.price.gap_millis > 0 && p.price.usd_per_hour.size() > 1) take(p.price.gap_millis);
  }
  return finest == 0 ? 60'000 : finest;
}

// The price every deadline falls back to; infinite without an on-demand pool.
double CheapestOnDemand(const std::vector<MarketPool>& pools) {
  const bool any =
      std::any_of(pools.begin(), pools.end(), [](const MarketPool& p) { return !p.spot(); });
  return any ? CheapestOnDemandUsdPerHour(pools) : kInf;
}

}  // namespace

Result<OmniscientPlan> BoundBagOfTasksOffline(const std::vector<MarketPool>& pools,
                                              double work_hours, int instances,
                                              double deadline_hours, int64_t start_offset_millis,
                                              int64_t notice_millis) {
  if (!(work_hours > 0) || instances < 1 || deadline_hours < 0) {
    return InvalidArgument("omniscient: work hours, instances and deadline must be positive");
  }
  const double od_price = CheapestOnDemand(pools);
  if (!std::isfinite(od_price)) return InvalidArgument("omniscient: needs an on-demand pool");
  const int64_t step = FinestGap(pools);
  const double step_hours = static_cast<double>(step) / kMillisPerHour;
  const double horizon = deadline_hours > 0 ? deadline_hours : 24 * 365;
  const auto steps = static_cast<int64_t>(std::floor(horizon / step_hours + 1e-9));
  OmniscientPlan plan;
  double left = work_hours, fleet_hours_used = 0;
  std::vector<std::pair<double, int>> offers;  // (price, instances) per spot pool this step
  for (int64_t i = 0; i < steps && left > 1e-12; ++i) {
    const int64_t from = start_offset_millis + i * step;
    offers.clear();
    for (const MarketPool& p : pools) {
      if (!p.spot()) continue;
      const int room = RoomDuring(p, from - notice_millis, from + step);
      if (room > 0) offers.push_back({p.price.At(from), room});
    }
    std::sort(offers.begin(), offers.end());
    int fleet = instances;
    for (const auto& [price, room] : offers) {
      const int n = std::min(room, fleet);
      fleet -= n;
      const double hours = std::min(left, n * step_hours);
      left -= hours;
      fleet_hours_used += hours;
      plan.spot_hours += hours;
      plan.cost_usd += price * hours;
      if (left <= 1e-12 || fleet == 0) break;
    }
    plan.finish_hours = static_cast<double>(i + 1) * step_hours;
  }
  // The rest on demand, in the fleet's time the spot did not take.
  const double fleet_hours = instances * horizon;
  plan.feasible = left <= 1e-12 || (deadline_hours > 0 && fleet_hours - fleet_hours_used >= left);
  if (deadline_hours <= 0 && left > 1e-12) plan.feasible = true;  // on demand after the year
  plan.on_demand_hours = std::max(0.0, left);
  plan.cost_usd += plan.on_demand_hours * od_price;
  if (plan.on_demand_hours > 0) plan.finish_hours = deadline_hours > 0 ? deadline_hours : horizon;
  return plan;
}

Result<OmniscientPlan> PlanDeadlineJobOffline(const std::vector<MarketPool>& pools,
                                              double job_hours, double deadline_hours,
                                              double changeover_hours, int64_t start_offset_millis,
                                              int64_t notice_millis) {
  if (!(job_hours > 0) || !(deadline_hours > 0) || changeover_hours < 0) {
    return InvalidArgument("omniscient: job, deadline and changeover hours must be positive");
  }
  const double od_price = CheapestOnDemand(pools);
  if (!std::isfinite(od_price)) return InvalidArgument("omniscient: needs an on-demand pool");
  const int64_t finest_gap = FinestGap(pools);
  const auto changeover = static_cast<int64_t>(std::llround(changeover_hours * kMillisPerHour));
  // A step no longer than the finest tick, dividing the changeover exactly.
  const int64_t per = changeover > 0 ? (changeover + finest_gap - 1) / finest_gap : 1;
  const int64_t step = changeover > 0 ? changeover / per : finest_gap;
  const int cd = changeover > 0 ? static_cast<int>(per) : 0;
  const double step_hours = static_cast<double>(step) / kMillisPerHour;
  const int work_steps = std::max(1, static_cast<int>(std::floor(job_hours / step_hours + 1e-9)));
  const int steps = static_cast<int>(std::floor(deadline_hours / step_hours + 1e-9));

  // The cheapest spot price among pools with room at some moment of each step, or at most a
  // notice before it (kInf: none).
  std::vector<double> spot_price(static_cast<size_t>(steps), kInf);
  for (const MarketPool& p : pools) {
    if (!p.spot()) continue;
    for (int i = 0; i < steps; ++i) {
      const int64_t from = start_offset_millis + i * step;
      if (RoomDuring(p, from - notice_millis, from + step) > 0) {
        spot_price[i] = std::min(spot_price[i], p.price.At(from));
      }
    }
  }

  // Modes: 0 idle; 1 + c on spot with c changeover steps left; 2 + cd + c on demand.
  const int modes = 3 + 2 * cd;
  auto spot_mode = [&](int c) { return 1 + c; };
  auto od_mode = [&](int c) { return 2 + cd + c; };
  const size_t width = static_cast<size_t>(modes);
  std::vector<Cell> now(static_cast<size_t>(work_steps) * width), next(now.size());
  now[0] = {0, 0, 0};  // no progress, idle
  Cell best;
  double best_finish = 0;
  for (int i = 0; i < steps; ++i) {
    std::fill(next.begin(), next.end(), Cell{});
    auto relax = [&](int k, int mode, const Cell& c, double add, int spot, int od) {
      Cell v{c.cost + add, c.spot_steps + spot, c.od_steps + od};
      if (k >= work_steps) {
        if (v.cost < best.cost) {
          best = v;
          best_finish = (i + 1) * step_hours;
        }
        return;
      }
      Cell& slot = next[static_cast<size_t>(k) * width + static_cast<size_t>(mode)];
      if (v.cost < slot.cost) slot = v;
    };
    for (int k = 0; k < work_steps; ++k) {
      for (int m = 0; m < modes; ++m) {
        const Cell& c = now[static_cast<size_t>(k) * width + static_cast<size_t>(m)];
        if (!std::isfinite(c.cost) || c.cost >= best.cost) continue;
        relax(k, 0, c, 0, 0, 0);  // idle
        const bool was_spot = m >= 1 && m <= 1 + cd;
        const bool was_od = m >= 2 + cd;
        const int left = was_spot ? m - 1 : was_od ? m - 2 - cd : -1;
        if (std::isfinite(spot_price[i])) {
          const double add = spot_price[i] * step_hours;
          if (was_spot && left > 0) {
            relax(k, spot_mode(left - 1), c, add, 1, 0);
          } else if (was_spot || cd == 0) {
            relax(k + 1, spot_mode(0), c, add, 1, 0);
          } else {
            relax(k, spot_mode(cd - 1), c, add, 1, 0);
          }
        }
        const double add = od_price * step_hours;
        if (was_od && left > 0) {
          relax(k, od_mode(left - 1), c, add, 0, 1);
        } else if (was_od || cd == 0) {
          relax(k + 1, od_mode(0), c, add, 0, 1);
        } else {
          relax(k, od_mode(cd - 1), c, add, 0, 1);
        }
      }
    }
    now.swap(next);
  }
  OmniscientPlan plan;
  plan.feasible = std::isfinite(best.cost);
  if (plan.feasible) {
    plan.cost_usd = best.cost;
    plan.spot_hours = best.spot_steps * step_hours;
    plan.on_demand_hours = best.od_steps * step_hours;
    plan.finish_hours = best_finish;
  }
  return plan;
}

}  // namespace spotbatch
