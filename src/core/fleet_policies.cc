#include "core/fleet_policies.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spotbatch {
namespace {

// Sizes the fleet: on-demand instances for what the deadline needs, spot for the rest, each
// spot launch where the subclass says.
class FleetSizingPolicy : public FleetPolicy {
 public:
  explicit FleetSizingPolicy(int instances) : instances_(std::max(1, instances)) {}
  std::vector<FleetAction> Decide(const Observation& o) final;

 protected:
  // The spot pool for the next launch, among pools with room left after `placed` launches of
  // this decision (placed[i] in pool i); -1 for none.
  virtual int NextSpotPool(const Observation& o, const std::vector<int>& placed) = 0;
  // Two changeovers, and the longest task seen so far (at least two mean tasks): tasks do
  // not split across instances, so the last ones end up to a task after the work would on a
  // perfectly shared fleet.
  virtual double DeadlineMargin(const Observation& o) {
    return 2 * o.work.changeover_hours +
           std::max(2 * o.work.mean_task_hours, o.work.longest_done_task_hours);
  }
  // On-demand instances to run now; by default what the deadline needs besides the spot ones.
  virtual int OnDemandTarget(const Observation& o, int spot, int target) {
    return std::min(target, DeadlineTopUp(o, spot, DeadlineMargin(o)));
  }
  // Whether spot with room displaces on-demand instances beyond what the deadline needs (they
  // drain), instead of only filling the fleet beside them.
  virtual bool SpotReplacesOnDemand() const { return false; }
  static int Room(const Observation& o, const std::vector<int>& placed, size_t i) {
    const PoolView& p = o.pools[i];
    return p.spot ? p.spare - placed[i] : 0;
  }
  // The spot pool with room that has the lowest `cost(i)` (the first of equals; an infinite
  // cost rules a pool out); -1 when none qualifies.
  template <typename Cost>
  static int Lowest(const Observation& o, const std::vector<int>& placed, Cost cost) {
    int best = -1;
    double best_cost = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < o.pools.size(); ++i) {
      if (Room(o, placed, i) <= 0) continue;
      const double c = cost(i);
      if (c < best_cost) {
        best_cost = c;
        best = static_cast<int>(i);
      }
    }
    return best;
  }
  const int instances_;
};

std::vector<FleetAction> FleetSizingPolicy::Decide(const Observation& o) {
  std::vector<FleetAction> actions;
  // Instances that count: not noticed (going anyway, working until reclaimed) nor draining.
  std::vector<const InstanceView*> od, spot;
  for (const InstanceView& in : o.instances) {
    if (in.noticed || in.draining) continue;
    (o.pools[in.pool].spot ? spot : od).push_back(&in);
  }
  const int have_od = static_cast<int>(od.size()), have_spot = static_cast<int>(spot.size());
  const int target = std::min(instances_, o.work.tasks_left);
  // Spot first: where it would go now; then on demand for what the deadline needs beyond it.
  std::vector<int> placed(o.pools.size(), 0);
  std::vector<int> launches;
  const int spot_cap = SpotReplacesOnDemand() ? target : target - have_od;
  for (int i = have_spot; i < spot_cap; ++i) {
    const int pool = NextSpotPool(o, placed);
    if (pool < 0) break;
    ++placed[pool];
    launches.push_back(pool);
  }
  const int spot_soon = have_spot + static_cast<int>(launches.size());
  const int od_target = std::min(target, OnDemandTarget(o, spot_soon, target));
  const int spot_target =
      target - (SpotReplacesOnDemand() ? od_target : std::max(have_od, od_target));
  launches.resize(static_cast<size_t>(
      std::clamp(spot_target - have_spot, 0, static_cast<int>(launches.size()))));
  for (int pool : launches) actions.push_back({FleetAction::Kind::kLaunch, pool, -1});
  // Scale in without killing work: idle instances go, busy ones drain; newest first.
  auto shed = [&](std::vector<const InstanceView*>& group, int excess) {
    std::stable_sort(group.begin(), group.end(), [](const InstanceView* a, const InstanceView* b) {
      return a->busy != b->busy ? !a->busy : a->id > b->id;
    });
    for (int i = 0; i < excess && i < static_cast<int>(group.size()); ++i) {
      actions.push_back({group[i]->busy ? FleetAction::Kind::kDrain : FleetAction::Kind::kTerminate,
                         -1, group[i]->id});
    }
  };
  if (have_od > od_target) shed(od, have_od - od_target);
  if (have_spot > spot_target) shed(spot, have_spot - std::max(0, spot_target));
  const int cheapest_od = CheapestOnDemandPool(o);
  for (int i = have_od; i < od_target && cheapest_od >= 0; ++i) {
    actions.push_back({FleetAction::Kind::kLaunch, cheapest_od, -1});
  }
  return actions;
}

class OnDemandFleetPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "on-demand"; }

 protected:
  int NextSpotPool(const Observation&, const std::vector<int>&) override { return -1; }
  int OnDemandTarget(const Observation&, int, int target) override { return target; }
};

class CheapestPoolPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "cheapest-pool"; }

 protected:
  int NextSpotPool(const Observation& o, const std::vector<int>& placed) override {
    if (pool_ < 0) {  // chosen once, at the first decision
      for (size_t i = 0; i < o.pools.size(); ++i) {
        if (o.pools[i].spot &&
            (pool_ < 0 || o.pools[i].usd_per_hour < o.pools[pool_].usd_per_hour)) {
          pool_ = static_cast<int>(i);
        }
      }
    }
    return pool_ >= 0 && Room(o, placed, static_cast<size_t>(pool_)) > 0 ? pool_ : -1;
  }

 private:
  int pool_ = -1;
};

class DiversifiedPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "diversified"; }

 protected:
  int NextSpotPool(const Observation& o, const std::vector<int>& placed) override {
    return Lowest(o, placed, [&](size_t i) { return o.pools[i].running + placed[i]; });
  }
};

class GreedyFleetPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "greedy"; }

 protected:
  int NextSpotPool(const Observation& o, const std::vector<int>& placed) override {
    return Lowest(o, placed, [&](size_t i) { return o.pools[i].usd_per_hour; });
  }
};

class CapacityOptimizedPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "capacity-optimized"; }

 protected:
  int NextSpotPool(const Observation& o, const std::vector<int>& placed) override {
    return Lowest(o, placed, [&](size_t i) { return -Room(o, placed, i); });
  }
};

class PriceCapacityOptimizedPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "price-capacity-optimized"; }

 protected:
  int NextSpotPool(const Observation& o, const std::vector<int>& placed) override {
    int most = 0;
    for (size_t i = 0; i < o.pools.size(); ++i) most = std::max(most, Room(o, placed, i));
    return Lowest(o, placed, [&](size_t i) {
      return 2 * Room(o, placed, i) < most ? std::numeric_limits<double>::infinity()
                                           : o.pools[i].usd_per_hour;
    });
  }
};

class SpotbatchFleetPolicy final : public FleetSizingPolicy {
 public:
  using FleetSizingPolicy::FleetSizingPolicy;
  std::string_view name() const override { return "spotbatch"; }

 protected:
  int NextSpotPool(const Observation& o, const std::vector<int>& placed) override {
    const double ahead = HoursAhead(o, instances_);
    const std::vector<int> noticed = NoticedPerPool(o);
    return Lowest(o, placed, [&](size_t i) {
      return UsefulHourCost(o.pools[i], placed[i], instances_, o.work.changeover_hours, ahead,
                            noticed[i]);
    });
  }

  // On demand only once the deadline needs it (DeadlinePacer), and then displacing nothing
  // spot could do: spot with room replaces the on-demand instances beyond that.
  int OnDemandTarget(const Observation& o, int spot, int target) override {
    return std::min(target, pacer_.OnDemand(o, spot, std::min(instances_, o.work.tasks_left)));
  }
  double DeadlineMargin(const Observation& o) override { return pacer_.MarginHours(o); }
  bool SpotReplacesOnDemand() const override { return true; }

 private:
  DeadlinePacer pacer_;
};

}  // namespace

int DeadlineTopUp(const Observation& o, int spot_running, double margin_hours) {
  if (o.work.deadline_millis <= 0) return 0;
  const double left = static_cast<double>(o.work.deadline_millis - o.now_millis) / kMillisPerHour;
  const double usable = left - o.work.changeover_hours - margin_hours;
  if (!(usable > 0)) return std::numeric_limits<int>::max() / 2;  // everything, now
  const double needed = std::ceil(o.work.remaining_hours / usable - 1e-9);
  return std::max(0, static_cast<int>(std::min(needed, 1e9)) - spot_running);
}

double WorkLeftHours(const Observation& o) {
  const WorkView& w = o.work;
  if (w.remaining_hours > 0 || w.tasks_left <= 0) return w.remaining_hours;
  double mean = w.mean_done_task_hours > 0 ? w.mean_done_task_hours : w.mean_task_hours;
  if (!(mean > 0)) {
    mean = std::max(0.0, static_cast<double>(o.now_millis) / kMillisPerHour - w.changeover_hours);
  }
  return w.tasks_left * mean;
}

namespace {

// About how many standard deviations above the mean the largest of n normal draws lies: the
// expected maximum's asymptotic form, low for a handful of draws (0.26 for 2, against 0.56),
// where the tail matters least.
double NormalMaxZ(double n) {
  if (n < 2) return 0;
  const double a = std::sqrt(2 * std::log(n));
  return a - (std::log(std::log(n)) + std::log(4 * M_PI)) / (2 * a);
}

}  // namespace

double ExpectedLongestTaskHours(double mean, double longest, int done, double left) {
  if (!(mean > 0) || done <= 0) return 0;
  if (!(left > 0)) return 0;
  // A lognormal of mean m and log-spread s has its largest of n draws near
  // m * exp(s * z(n) - s^2 / 2): solve for s from the longest seen so far.
  const double zn = NormalMaxZ(done);
  const double ratio = std::log(std::max(longest, mean) / mean);
  double sigma = zn;
  if (zn > 0 && zn * zn >= 2 * ratio) sigma = zn - std::sqrt(zn * zn - 2 * ratio);
  if (zn <= 0) sigma = 1;  // one task seen: a heavy tail until shown otherwise
  const double expected = mean * std::exp(sigma * NormalMaxZ(left) - sigma * sigma / 2);
  return std::max(mean, expected);
}

// The tail to plan for: the longest of four times the tasks left, a length that the longest of
// them exceeds about one time in five (the expected longest of them alone was exceeded by a
// task drawn third from last in 20 runs of 2000 tasks of cv 1.0, missing the deadline by an
// hour; docs/simulator.md).
constexpr double kTailDraws = 4;

double DeadlinePacer::MarginHours(const Observation& o) {
  const WorkView& w = o.work;
  most_tasks_left_ = std::max(most_tasks_left_, w.tasks_left);
  const double mean = w.mean_done_task_hours > 0 ? w.mean_done_task_hours : w.mean_task_hours;
  if (w.longest_first) {
    // The tasks left are the shortest predicted: a tail fitted to the finished ones, the
    // longest, planned for tasks long done (it cost 5-24% more on bench/SIMULATE.md section
    // 4). Two mean tasks of those left cover the last ones, a prediction off by half
    // included; live, where the work left is not known, the mean finished so far stands in
    // (larger: the margin errs long).
    const double left_mean =
        w.remaining_hours > 0 && w.tasks_left > 0 ? w.remaining_hours / w.tasks_left : mean;
    return 2 * w.changeover_hours + 2 * std::max(left_mean, 0.0);
  }
  const double tail =
      ExpectedLongestTaskHours(w.mean_done_task_hours, w.longest_done_task_hours,
                               most_tasks_left_ - w.tasks_left, kTailDraws * w.tasks_left);
  return 2 * w.changeover_hours + std::max({2 * mean, tail, 0.0});
}

int DeadlinePacer::OnDemand(const Observation& o, int spot, int fleet) {
  if (o.work.deadline_millis <= 0) return 0;
  const double left = static_cast<double>(o.work.deadline_millis - o.now_millis) / kMillisPerHour;
  const double usable = left - o.work.changeover_hours - MarginHours(o);
  // Too late for the plan: the whole fleet, keeping the spot instances that work.
  if (!(usable > 0)) return std::max(0, fleet - spot);
  const double rate = WorkLeftHours(o) / usable;  // instances the work needs from now on
  committed_ = committed_ || rate >= commit_share_ * std::max(1, fleet);
  if (!committed_) return 0;
  return std::max(0, static_cast<int>(std::min(1e9, std::ceil(rate - 1e-9))) - spot);
}

double UsefulHourCost(const PoolView& p, int placed, int fleet, double changeover_hours,
                      double hours_ahead, int noticed) {
  // Each reclaim wastes a changeover; one pseudo-hour at the band's rate is the prior.
  const double reclaims_per_hour =
      (p.interruptions + noticed + BandReclaimsPerHour(p.interruption_band)) /
      (p.instance_hours + 1.0);
  const double useful = std::max(0.05, 1.0 - reclaims_per_hour * changeover_hours);
  // Instances in one pool go together when it runs out: spread as the prices allow, as far as
  // the pool is likely to run out before the work is done. (A fixed premium for the share
  // spread the fleet over dearer pools that were as unlikely to go: bench/SIMULATE.md 3b.)
  const double share = static_cast<double>(p.running + placed) / std::max(1, fleet);
  // A pool taking an instance back now is at risk whatever is ahead.
  const double at_risk =
      noticed > 0 ? 1.0 : 1.0 - std::exp(-reclaims_per_hour * std::max(0.0, hours_ahead));
  return p.usd_per_hour / useful * (1.0 + share * at_risk);
}

std::vector<int> NoticedPerPool(const Observation& o) {
  std::vector<int> out(o.pools.size(), 0);
  for (const InstanceView& in : o.instances) {
    if (in.noticed && in.pool >= 0 && in.pool < static_cast<int>(out.size())) ++out[in.pool];
  }
  return out;
}

double HoursAhead(const Observation& o, int fleet) {
  return WorkLeftHours(o) / std::max(1, std::min(fleet, o.work.tasks_left));
}

std::unique_ptr<FleetPolicy> NewOnDemandFleetPolicy(int instances) {
  return std::make_unique<OnDemandFleetPolicy>(instances);
}
std::unique_ptr<FleetPolicy> NewCheapestPoolPolicy(int instances) {
  return std::make_unique<CheapestPoolPolicy>(instances);
}
std::unique_ptr<FleetPolicy> NewDiversifiedPolicy(int instances) {
  return std::make_unique<DiversifiedPolicy>(instances);
}
std::unique_ptr<FleetPolicy> NewGreedyFleetPolicy(int instances) {
  return std::make_unique<GreedyFleetPolicy>(instances);
}
std::unique_ptr<FleetPolicy> NewCapacityOptimizedPolicy(int instances) {
  return std::make_unique<CapacityOptimizedPolicy>(instances);
}
std::unique_ptr<FleetPolicy> NewPriceCapacityOptimizedPolicy(int instances) {
  return std::make_unique<PriceCapacityOptimizedPolicy>(instances);
}
std::unique_ptr<FleetPolicy> NewSpotbatchFleetPolicy(int instances) {
  return std::make_unique<SpotbatchFleetPolicy>(instances);
}

}  // namespace spotbatch
