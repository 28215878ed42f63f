#include "core/deadline_policies.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace spotbatch {
namespace {

// The slack below which only on-demand capacity can still make the deadline: one changeover
// to start it and one more for the time between decisions and for rounding. Starting anything
// but the spot instance already running eats slack (a changeover), so the net applies
// whenever the job is not on running spot. Once it fires the job stays on demand (`committed`).
bool SafetyNet(const DeadlineSituation& s, bool& committed) {
  committed = committed || (!s.on_spot && s.time_left - s.work_left < 2 * s.changeover);
  return committed;
}

class OnDemandPolicy final : public SingleInstancePolicy {
 public:
  std::string_view name() const override { return "on-demand"; }

 protected:
  Placement Choose(const DeadlineSituation&, const Observation&) override {
    return Placement::kOnDemand;
  }
};

class GreedyPolicy final : public SingleInstancePolicy {
 public:
  std::string_view name() const override { return "greedy"; }

 protected:
  Placement Choose(const DeadlineSituation& s, const Observation&) override {
    if (SafetyNet(s, committed_)) return Placement::kOnDemand;
    return s.spot_available ? Placement::kSpot : Placement::kNone;
  }

 private:
  bool committed_ = false;
};

// The rules of Uniform Progress, after the safety net.
Placement UniformProgress(const DeadlineSituation& s, bool& committed) {
  if (SafetyNet(s, committed)) return Placement::kOnDemand;
  const double progress = s.total_work - s.work_left;
  auto expected = [&](double t) { return s.total_work * std::min(1.0, t / s.deadline); };
  // Hysteresis: once on demand, stay until ahead of where the line will be 2d later.
  if (s.on_demand && progress < expected(s.elapsed + 2 * s.changeover)) {
    return Placement::kOnDemand;
  }
  if (s.spot_available) return Placement::kSpot;                    // taking risks
  if (progress < expected(s.elapsed)) return Placement::kOnDemand;  // uniform progress
  return Placement::kNone;
}

class UniformProgressPolicy final : public SingleInstancePolicy {
 public:
  std::string_view name() const override { return "uniform-progress"; }

 protected:
  Placement Choose(const DeadlineSituation& s, const Observation&) override {
    return UniformProgress(s, committed_);
  }

 private:
  bool committed_ = false;
};

// The progress spotbatch keeps up with: Uniform Progress's line, started late by the slack it
// may wait in for free. Uniform Progress rations all of the slack evenly, so with a lot of it
// it buys on demand for outages the slack could have waited out (greedy, which waits until
// the safety net, was up to 17% cheaper at 100% slack); with little, every hour of it is
// needed later, for changeovers and longer outages. So the free part is half of the slack at
// most, and its share of the work below that: with slack S and work W, S * min(1/2, S / W)
// (5% slack: a twentieth of it; 50% or more: half). Measured on the nine one-zone traces at
// 5-100% slack (bench/SIMULATE.md, section 2b); a fixed half cost up to 3% more at 10% slack.
double Line(const DeadlineSituation& s) {
  const double slack = std::max(0.0, s.deadline - s.total_work);
  const double free = s.total_work > 0 ? slack * std::min(0.5, slack / s.total_work) : 0;
  if (s.elapsed <= free) return 0;
  return s.total_work * std::min(1.0, (s.elapsed - free) / (s.deadline - free));
}

// Uniform Progress's line without its idle spells, over every spot pool it is given. Once on
// demand the job never goes idle: leaving on-demand capacity for nothing only buys another
// changeover when the job falls behind again (UP pays it over and over while spot is scarce).
// It leaves on demand for spot as soon as spot has room and the job is on or ahead of the
// line; a margin there (UP's hysteresis) measured dearer on the published traces
// (docs/simulator.md). Among spot pools with room it picks the one that has cost least per
// useful hour so far: a pool reclaimed often loses a changeover each time.
class SpotbatchDeadlinePolicy final : public SingleInstancePolicy {
 public:
  std::string_view name() const override { return "spotbatch"; }

 protected:
  Placement Choose(const DeadlineSituation& s, const Observation&) override {
    if (SafetyNet(s, committed_)) return Placement::kOnDemand;
    const double progress = s.total_work - s.work_left;
    const bool behind = progress < Line(s);
    if (s.on_demand && behind) return Placement::kOnDemand;
    if (s.spot_available) return Placement::kSpot;
    if (s.on_demand || behind) return Placement::kOnDemand;
    return Placement::kNone;
  }

  int PickSpotPool(const Observation& o) override {
    // The launchable pool with the lowest price per hour that is expected to be useful: each
    // reclaim costs a changeover, so a pool reclaimed often is dearer than its price.
    int best = -1;
    double best_cost = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < o.pools.size(); ++i) {
      const PoolView& p = o.pools[i];
      if (!p.spot || !p.can_launch) continue;
      // One pseudo-hour without a reclaim as the prior: unseen pools are not feared.
      const double reclaims_per_hour = p.interruptions / (p.instance_hours + 1.0);
      const double useful = std::max(0.05, 1.0 - reclaims_per_hour * o.work.changeover_hours);
      const double cost = p.usd_per_hour / useful;
      if (cost < best_cost) {
        best_cost = cost;
        best = static_cast<int>(i);
      }
    }
    return best;
  }

 private:
  bool committed_ = false;
};

}  // namespace

int SingleInstancePolicy::PickSpotPool(const Observation& o) {
  int best = -1;
  for (size_t i = 0; i < o.pools.size(); ++i) {
    const PoolView& p = o.pools[i];
    if (!p.spot || !p.can_launch) continue;
    if (best < 0 || p.usd_per_hour < o.pools[best].usd_per_hour) best = static_cast<int>(i);
  }
  return best;
}

std::vector<FleetAction> SingleInstancePolicy::Decide(const Observation& o) {
  std::vector<FleetAction> actions;
  auto terminate_all_but = [&](int64_t keep, bool keep_noticed) {
    for (const InstanceView& in : o.instances) {
      if (in.id == keep || (keep_noticed && in.noticed)) continue;
      actions.push_back({FleetAction::Kind::kTerminate, -1, in.id});
    }
  };
  if (o.work.tasks_left == 0) {
    terminate_all_but(-1, false);
    return actions;
  }
  DeadlineSituation s;
  s.elapsed = static_cast<double>(o.now_millis) / kMillisPerHour;
  s.deadline = static_cast<double>(o.work.deadline_millis) / kMillisPerHour;
  s.time_left = s.deadline - s.elapsed;
  s.work_left = o.work.remaining_hours;
  s.total_work = o.work.total_hours;
  s.changeover = o.work.changeover_hours;
  const InstanceView* current = nullptr;  // the instance without a notice, if any
  for (const InstanceView& in : o.instances) {
    if (!in.noticed) current = &in;
  }
  if (current != nullptr) {
    s.on_spot = o.pools[current->pool].spot;
    s.on_demand = !s.on_spot;
  }
  s.spot_available = s.on_spot;
  for (const PoolView& p : o.pools) s.spot_available = s.spot_available || (p.spot && p.can_launch);

  switch (Choose(s, o)) {
    case Placement::kNone:
      // An instance with a notice keeps working until it is reclaimed: free progress.
      terminate_all_but(-1, /*keep_noticed=*/true);
      break;
    case Placement::kSpot: {
      if (s.on_spot) {
        terminate_all_but(current->id, /*keep_noticed=*/false);
        break;
      }
      const int pool = PickSpotPool(o);
      if (pool < 0) {
        terminate_all_but(-1, true);
        break;
      }
      terminate_all_but(-1, false);
      actions.push_back({FleetAction::Kind::kLaunch, pool, -1});
      break;
    }
    case Placement::kOnDemand: {
      if (s.on_demand) {
        terminate_all_but(current->id, /*keep_noticed=*/false);
        break;
      }
      const int pool = CheapestOnDemandPool(o);
      terminate_all_but(-1, false);
      if (pool >= 0) actions.push_back({FleetAction::Kind::kLaunch, pool, -1});
      break;
    }
  }
  return actions;
}

std::unique_ptr<FleetPolicy> NewOnDemandPolicy() { return std::make_unique<OnDemandPolicy>(); }
std::unique_ptr<FleetPolicy> NewGreedyPolicy() { return std::make_unique<GreedyPolicy>(); }
std::unique_ptr<FleetPolicy> NewUniformProgressPolicy() {
  return std::make_unique<UniformProgressPolicy>();
}
std::unique_ptr<FleetPolicy> NewSpotbatchDeadlinePolicy() {
  return std::make_unique<SpotbatchDeadlinePolicy>();
}

}  // namespace spotbatch
