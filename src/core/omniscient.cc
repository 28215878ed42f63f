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

// Capacity one pool offers in one step of the bag's bound: instance-hours of room, the work
// each of those hours can do (below 1 where every instance there pays a changeover first)
// and the price.
struct Offer {
  int64_t step = 0;
  double hours = 0;
  double work_per_hour = 1;
  double usd_per_hour = 0;
  bool spot = true;
};

// True when every tick of `p`'s trace in [from, to) gives it all its room or none: then every
// instance in a stretch of room was launched in that stretch and ends with it.
bool AllOrNothing(const MarketPool& p, int64_t from, int64_t to) {
  if (p.capacity.values.empty() || p.capacity.binary) return true;
  const int64_t gap = p.capacity.gap_millis;
  for (int64_t t = std::max<int64_t>(0, from); t < to; t = (t / gap + 1) * gap) {
    const int room = p.capacity.CapacityAt(t, p.max_instances);
    if (room != 0 && room != p.max_instances) return false;
  }
  return true;
}

// The offers of an all-or-nothing pool over [start, end): each stretch of room, lengthened by
// the notice its instances work through, offers its room for its whole length L, and an
// instance there does at most L less one changeover c of work. Spreading that changeover
// over the stretch (work per hour (L - c) / L) never gives less work for the same
// instance-hours than a real use of the stretch: an instance running h <= L hours of it does
// h - c of work, and h (L - c) / L >= h - c.
void AddStretchOffers(const MarketPool& p, int64_t start, int64_t end, int64_t step, int64_t notice,
                      int64_t changeover, std::vector<Offer>* out) {
  auto add_stretch = [&](int64_t from, int64_t to) {
    to = std::min(to + notice, end);
    const int64_t length = to - from;
    if (length <= changeover) return;
    const double work_per_hour = static_cast<double>(length - changeover) / length;
    for (int64_t i = (from - start) / step; start + i * step < to; ++i) {
      const int64_t a = std::max(from, start + i * step);
      const int64_t b = std::min(to, start + (i + 1) * step);
      out->push_back({i, p.max_instances * static_cast<double>(b - a) / kMillisPerHour,
                      work_per_hour, p.price.At(a)});
    }
  };
  if (p.capacity.values.empty()) return add_stretch(start, end);
  const int64_t gap = p.capacity.gap_millis;
  int64_t open = -1;  // where the stretch in progress began; -1: none
  for (int64_t t = start; t < end; t = (t / gap + 1) * gap) {
    const bool room = p.capacity.CapacityAt(t, p.max_instances) > 0;
    if (room && open < 0) open = t;
    if (!room && open >= 0) {
      add_stretch(open, t);
      open = -1;
    }
  }
  if (open >= 0) add_stretch(open, end);
}

// The offers of every spot pool over `steps` steps from `start`, ordered by step.
std::vector<Offer> SpotOffers(const std::vector<MarketPool>& pools, int64_t start, int64_t steps,
                              int64_t step, int64_t notice, int64_t changeover) {
  const int64_t end = start + steps * step;
  std::vector<Offer> offers;
  for (const MarketPool& p : pools) {
    if (!p.spot()) continue;
    if (AllOrNothing(p, start, end)) {
      AddStretchOffers(p, start, end, step, notice, changeover, &offers);
      continue;
    }
    // Room between levels: an instance can outlive the stretch it was launched in (the newest
    // go first), so no changeover is charged, and a step counts its most room at any moment.
    for (int64_t i = 0; i < steps; ++i) {
      const int64_t from = start + i * step;
      const int room = RoomDuring(p, from - notice, from + step);
      if (room > 0) {
        offers.push_back(
            {i, room * static_cast<double>(step) / kMillisPerHour, 1, p.price.At(from)});
      }
    }
  }
  std::stable_sort(offers.begin(), offers.end(),
                   [](const Offer& a, const Offer& b) { return a.step < b.step; });
  return offers;
}

struct Taken {
  double cost = 0, work = 0, spot_hours = 0, on_demand_hours = 0;
  int64_t last_step = -1;
};

// Buys, step by step, the offers `wanted` accepts (and on demand without limit when
// `on_demand`), those that earn most at `value` an hour of work first, within the fleet's
// instance-hours left in each step (`room`, taken from), until `work` hours are done.
template <typename Wanted>
void Buy(const std::vector<Offer>& offers, double value, const Wanted& wanted, bool on_demand,
         double od_price, double work, std::vector<double>* room, std::vector<Offer>* scratch,
         Taken* t) {
  auto earns = [value](const Offer& o) { return value * o.work_per_hour - o.usd_per_hour; };
  size_t next = 0;
  const auto steps = static_cast<int64_t>(room->size());
  for (int64_t i = 0; i < steps && t->work < work; ++i) {
    double& left = (*room)[static_cast<size_t>(i)];
    scratch->clear();
    for (; next < offers.size() && offers[next].step == i; ++next) {
      if (wanted(offers[next])) scratch->push_back(offers[next]);
    }
    if (on_demand) scratch->push_back({i, left, 1, od_price, false});
    std::sort(scratch->begin(), scratch->end(),
              [&](const Offer& a, const Offer& b) { return earns(a) > earns(b); });
    for (const Offer& o : *scratch) {
      if (left <= 0 || t->work >= work) break;
      const double hours = std::min({left, o.hours, (work - t->work) / o.work_per_hour});
      left -= hours;
      t->cost += hours * o.usd_per_hour;
      t->work += hours * o.work_per_hour;
      (o.spot ? t->spot_hours : t->on_demand_hours) += hours;
      t->last_step = i;
    }
  }
}

}  // namespace

Result<OmniscientPlan> BoundBagOfTasksOffline(const std::vector<MarketPool>& pools,
                                              double work_hours, int instances,
                                              double deadline_hours, double changeover_hours,
                                              int64_t start_offset_millis, int64_t notice_millis) {
  if (!(work_hours > 0) || instances < 1 || deadline_hours < 0 || changeover_hours < 0) {
    return InvalidArgument(
        "omniscient: work hours and instances must be positive, deadline and changeover not "
        "negative");
  }
  const double od_price = CheapestOnDemand(pools);
  if (!std::isfinite(od_price)) return InvalidArgument("omniscient: needs an on-demand pool");
  const int64_t step = FinestGap(pools);
  const double step_hours = static_cast<double>(step) / kMillisPerHour;
  const double horizon = deadline_hours > 0 ? deadline_hours : 24 * 365;
  const auto steps = static_cast<int64_t>(std::floor(horizon / step_hours + 1e-9));
  const double fleet_hours_per_step = instances * step_hours;
  OmniscientPlan plan;
  plan.feasible = fleet_hours_per_step * steps >= work_hours * (1 - 1e-12);
  if (!plan.feasible) return plan;

  // The cheapest use of the offers that does the work is a linear program: a fractional
  // knapsack with the fleet's size as a limit in every step. For any value of an hour of
  // work, what TakeWorthwhile buys, less that value times the work it does beyond
  // `work_hours`, is a lower bound on it (weak duality); the best value, found by bisection
  // on the work bought, gives the program's optimum.
  const std::vector<Offer> offers =
      SpotOffers(pools, start_offset_millis, steps, step, notice_millis,
                 static_cast<int64_t>(std::llround(changeover_hours * kMillisPerHour)));
  std::vector<Offer> scratch;
  std::vector<double> room;
  auto earning = [](double value) {
    return [value](const Offer& o) { return value * o.work_per_hour > o.usd_per_hour; };
  };
  // What the fleet buys when an hour of work is worth `value`: every offer that earns more
  // than it costs, however much work that is; and the lower bound that gives.
  auto bound_at = [&](double value, double* work) {
    Taken t;
    room.assign(static_cast<size_t>(steps), fleet_hours_per_step);
    Buy(offers, value, earning(value), value > od_price, od_price, kInf, &room, &scratch, &t);
    *work = t.work;
    return t.cost - value * (t.work - work_hours);
  };
  double low = 0, high = 2 * od_price, work = 0, bound = 0;
  for (int i = 0; i < 64; ++i, high *= 2) {
    bound = std::max(bound, bound_at(high, &work));
    if (work >= work_hours) break;
  }
  for (int i = 0; i < 100 && high - low > 1e-12 * high; ++i) {
    const double mid = (low + high) / 2;
    bound = std::max(bound, bound_at(mid, &work));
    (work < work_hours ? low : high) = mid;
  }
  // A plan at the optimum: what earns at `low`, then what earns only at `high` (the optimum's
  // value lies between), earliest first, up to the work.
  Taken t;
  room.assign(static_cast<size_t>(steps), fleet_hours_per_step);
  Buy(offers, low, earning(low), low > od_price, od_price, kInf, &room, &scratch, &t);
  auto marginal = [&](const Offer& o) { return earning(high)(o) && !earning(low)(o); };
  Buy(offers, high, marginal, high > od_price && low <= od_price, od_price, work_hours, &room,
      &scratch, &t);
  plan.cost_usd = bound;
  plan.spot_hours = t.spot_hours;
  plan.on_demand_hours = t.on_demand_hours;
  plan.finish_hours = static_cast<double>(t.last_step + 1) * step_hours;
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
