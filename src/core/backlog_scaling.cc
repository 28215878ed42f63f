#include "core/backlog_scaling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "core/fleet_policies.h"

namespace spotbatch {
namespace {

class BacklogScalingPolicy final : public FleetPolicy {
 public:
  explicit BacklogScalingPolicy(const ScalingOptions& options) : options_(options) {}
  std::string_view name() const override { return "autoscale"; }
  std::vector<FleetAction> Decide(const Observation& o) override;

 private:
  // Tasks an instance may hold queued and running: the latency target in mean tasks.
  double TasksPerInstance(const Observation& o) const {
    const double mean_seconds = o.work.mean_done_task_hours * 3600;
    if (!(mean_seconds > 0)) return 1;
    return std::max(1.0, options_.latency_target_seconds / mean_seconds);
  }
  void Learn(const Observation& o);
  // The spot pool for the next launch given `placed` launches of this decision; -1 for none.
  int NextSpotPool(const Observation& o, const std::vector<int>& placed, int fleet) const;

  const ScalingOptions options_;
  // Every instance of the last decision -> since when it has been idle, or kBusy.
  static constexpr int64_t kBusy = -1;
  std::map<int64_t, int64_t> idle_since_;
  std::vector<int> interruptions_seen_;  // per pool, at the last decision
  std::vector<int64_t> last_reclaim_;    // per pool; -1: never
  int64_t last_on_demand_launch_ = std::numeric_limits<int64_t>::min() / 2;
  DeadlinePacer pacer_;
};

void BacklogScalingPolicy::Learn(const Observation& o) {
  if (interruptions_seen_.size() != o.pools.size()) {
    interruptions_seen_.assign(o.pools.size(), 0);
    last_reclaim_.assign(o.pools.size(), -1);
  }
  for (size_t i = 0; i < o.pools.size(); ++i) {
    if (o.pools[i].interruptions > interruptions_seen_[i]) last_reclaim_[i] = o.now_millis;
    interruptions_seen_[i] = o.pools[i].interruptions;
  }
  std::map<int64_t, int64_t> idle;
  for (const InstanceView& in : o.instances) {
    auto it = idle_since_.find(in.id);
    // Seen the first time idle: idle since its launch (it never was seen with a task).
    idle[in.id] = in.busy                   ? kBusy
                  : it == idle_since_.end() ? std::min(in.launched_millis, o.now_millis)
                  : it->second == kBusy     ? o.now_millis
                                            : it->second;
  }
  idle_since_.swap(idle);  // forgets instances that are gone
}

int BacklogScalingPolicy::NextSpotPool(const Observation& o, const std::vector<int>& placed,
                                       int fleet) const {
  int best = -1, best_quarantined = -1;
  double best_cost = std::numeric_limits<double>::infinity(), best_q_cost = best_cost;
  const double ahead = HoursAhead(o, fleet);
  const std::vector<int> noticed = NoticedPerPool(o);
  for (size_t i = 0; i < o.pools.size(); ++i) {
    const PoolView& p = o.pools[i];
    if (!p.spot || !p.can_launch || p.spare - placed[i] <= 0) continue;
    const double cost =
        UsefulHourCost(p, placed[i], fleet, o.work.changeover_hours, ahead, noticed[i]);
    const bool quarantined = last_reclaim_[i] >= 0 &&
                             o.now_millis - last_reclaim_[i] < options_.reclaim_quarantine_millis;
    if (quarantined ? cost < best_q_cost : cost < best_cost) {
      (quarantined ? best_q_cost : best_cost) = cost;
      (quarantined ? best_quarantined : best) = static_cast<int>(i);
    }
  }
  return best >= 0 ? best : best_quarantined;
}

std::vector<FleetAction> BacklogScalingPolicy::Decide(const Observation& o) {
  Learn(o);
  std::vector<FleetAction> actions;
  // Dearest pool first, then newest: the order instances leave in.
  auto dearer = [&o](const InstanceView* a, const InstanceView* b) {
    const double pa = o.pools[a->pool].usd_per_hour, pb = o.pools[b->pool].usd_per_hour;
    return pa != pb ? pa > pb : a->id > b->id;
  };
  // In service: instances that will keep working. Noticed ones go anyway (their replacement
  // launches now); recommended ones are drained and replaced.
  std::vector<const InstanceView*> spot, od;
  for (const InstanceView& in : o.instances) {
    const bool leaving =
        in.noticed || in.draining || (options_.replace_on_rebalance && in.rebalance);
    if (options_.replace_on_rebalance && in.rebalance && !in.noticed && !in.draining) {
      actions.push_back({FleetAction::Kind::kDrain, -1, in.id});
    }
    if (leaving) continue;
    (o.pools[in.pool].spot ? spot : od).push_back(&in);
  }
  const int have_spot = static_cast<int>(spot.size()), have_od = static_cast<int>(od.size());

  const double per = TasksPerInstance(o);
  const int backlog = o.work.tasks_queued + o.work.tasks_running;
  int target = backlog > 0 ? static_cast<int>(std::ceil(backlog / per - 1e-9)) : 0;
  int od_needed = std::max(options_.on_demand_base,
                           static_cast<int>(std::ceil(o.work.tasks_on_demand_only / per - 1e-9)));
  od_needed = std::min(od_needed, options_.max_instances);
  target = std::clamp(std::max(target, od_needed), 0, options_.max_instances);

  // Spot first: everything but the on-demand instances the fleet must keep, where it would go
  // now. On-demand instances beyond those stand in for spot that had no room.
  std::vector<int> placed(o.pools.size(), 0);
  std::vector<int> spot_launches;
  const int spot_wanted = target - od_needed - have_spot;
  for (int i = 0; i < spot_wanted; ++i) {
    const int pool = NextSpotPool(o, placed, target);
    if (pool < 0) break;
    ++placed[pool];
    spot_launches.push_back(pool);
  }
  // With a deadline, on-demand instances only once and as far as the deadline needs them
  // (DeadlinePacer): the deadline, not the latency target, says how soon the work must be
  // done, so on demand no longer stands in for spot that has no room.
  const bool deadline = o.work.deadline_millis > 0 && backlog > 0;
  int od_keep = od_needed;
  if (deadline) {
    const int spot_soon = have_spot + static_cast<int>(spot_launches.size());
    od_keep = std::max(od_keep, std::min(target, pacer_.OnDemand(o, spot_soon, target)));
    spot_launches.resize(static_cast<size_t>(
        std::clamp(target - od_keep - have_spot, 0, static_cast<int>(spot_launches.size()))));
  }
  for (int pool : spot_launches) actions.push_back({FleetAction::Kind::kLaunch, pool, -1});
  const int spot_soon = have_spot + static_cast<int>(spot_launches.size());
  const int od_wanted = deadline ? od_keep : std::max(od_keep, target - spot_soon);

  // On demand: to the base and what the deadline needs at once; for tasks only on-demand may
  // run, and standing in for spot, at its own pace.
  const int cheapest_od = CheapestOnDemandPool(o);
  const bool cooled = o.now_millis - last_on_demand_launch_ >= options_.on_demand_cooldown_millis;
  int od_launches = 0;
  auto launch_on_demand = [&](int wanted, bool paced) {
    if (cheapest_od < 0 || wanted <= 0) return;
    if (paced) wanted = cooled ? std::min(wanted, options_.on_demand_step - od_launches) : 0;
    for (int i = 0; i < wanted; ++i) {
      actions.push_back({FleetAction::Kind::kLaunch, cheapest_od, -1});
      ++od_launches;
    }
  };
  const int od_at_once = od_keep - std::max(0, od_needed - options_.on_demand_base);
  launch_on_demand(od_at_once - have_od, /*paced=*/false);
  launch_on_demand(od_wanted - have_od - od_launches, /*paced=*/true);
  if (od_launches > 0) last_on_demand_launch_ = o.now_millis;

  // Spot launched now replaces on-demand stand-ins: idle ones go at once, busy ones finish
  // their task first (drained), dearest first.
  int replace = std::min(static_cast<int>(spot_launches.size()), have_od - od_wanted);
  std::set<int64_t> replaced;
  if (replace > 0) {
    std::vector<const InstanceView*> order(od.begin(), od.end());
    std::stable_sort(order.begin(), order.end(), [&](const InstanceView* a, const InstanceView* b) {
      return a->busy != b->busy ? !a->busy : dearer(a, b);
    });
    for (const InstanceView* in : order) {
      if (replace-- <= 0) break;
      actions.push_back(
          {in->busy ? FleetAction::Kind::kDrain : FleetAction::Kind::kTerminate, -1, in->id});
      replaced.insert(in->id);
    }
  }

  // Scale in: idle past the grace, dearest first, on-demand only above what it must keep.
  int surplus = have_spot + have_od - static_cast<int>(replaced.size()) - target;
  if (surplus <= 0) return actions;
  std::vector<const InstanceView*> idle;
  for (const auto* group : {&spot, &od}) {
    for (const InstanceView* in : *group) {
      if (replaced.count(in->id)) continue;
      if (!in->busy && o.now_millis - idle_since_.at(in->id) >= options_.scale_in_grace_millis) {
        idle.push_back(in);
      }
    }
  }
  std::stable_sort(idle.begin(), idle.end(), dearer);
  int od_left = have_od - static_cast<int>(replaced.size());
  for (const InstanceView* in : idle) {
    if (surplus == 0) break;
    if (!o.pools[in->pool].spot) {
      if (od_left <= od_keep) continue;
      --od_left;
    }
    actions.push_back({FleetAction::Kind::kTerminate, -1, in->id});
    --surplus;
  }
  return actions;
}

}  // namespace

std::unique_ptr<FleetPolicy> NewBacklogScalingPolicy(const ScalingOptions& options) {
  return std::make_unique<BacklogScalingPolicy>(options);
}

}  // namespace spotbatch
