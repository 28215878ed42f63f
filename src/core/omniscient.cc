#include "core/omniscient.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spotbatch {
namespace {

constexpr double kMillisPerHour = 3'600'000.0;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Cell {
  double cost = kInf;
  int spot_steps = 0;
  int od_steps = 0;
};

}  // namespace

Result<OmniscientPlan> PlanDeadlineJobOffline(const std::vector<MarketPool>& pools,
                                              double job_hours, double deadline_hours,
                                              double changeover_hours,
                                              int64_t start_offset_millis) {
  if (!(job_hours > 0) || !(deadline_hours > 0) || changeover_hours < 0) {
    return InvalidArgument("omniscient: job, deadline and changeover hours must be positive");
  }
  double od_price = kInf;
  int64_t finest_gap = 0;
  for (const MarketPool& p : pools) {
    if (!p.spot()) od_price = std::min(od_price, p.price.Mean());
    if (p.spot() && !p.capacity.values.empty()) {
      finest_gap =
          finest_gap == 0 ? p.capacity.gap_millis : std::min(finest_gap, p.capacity.gap_millis);
    }
    if (p.spot() && p.price.gap_millis > 0 && p.price.usd_per_hour.size() > 1) {
      finest_gap = finest_gap == 0 ? p.price.gap_millis : std::min(finest_gap, p.price.gap_millis);
    }
  }
  if (!std::isfinite(od_price)) return InvalidArgument("omniscient: needs an on-demand pool");
  if (finest_gap == 0) finest_gap = 60'000;
  const auto changeover = static_cast<int64_t>(std::llround(changeover_hours * kMillisPerHour));
  // A step no longer than the finest tick, dividing the changeover exactly.
  const int64_t per = changeover > 0 ? (changeover + finest_gap - 1) / finest_gap : 1;
  const int64_t step = changeover > 0 ? changeover / per : finest_gap;
  const int cd = changeover > 0 ? static_cast<int>(per) : 0;
  const double step_hours = static_cast<double>(step) / kMillisPerHour;
  const int work_steps = std::max(1, static_cast<int>(std::floor(job_hours / step_hours + 1e-9)));
  const int steps = static_cast<int>(std::floor(deadline_hours / step_hours + 1e-9));

  // The cheapest spot price among pools with room at some moment of each step (kInf: none).
  std::vector<double> spot_price(static_cast<size_t>(steps), kInf);
  for (const MarketPool& p : pools) {
    if (!p.spot()) continue;
    for (int i = 0; i < steps; ++i) {
      const int64_t from = start_offset_millis + i * step;
      bool room = p.capacity.values.empty();
      if (!room) {
        const int64_t gap = p.capacity.gap_millis;
        for (int64_t t = from; t < from + step && !room; t = (t / gap + 1) * gap) {
          room = p.capacity.CapacityAt(t, p.max_instances) > 0;
        }
      }
      if (room) spot_price[i] = std::min(spot_price[i], p.price.At(from));
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
