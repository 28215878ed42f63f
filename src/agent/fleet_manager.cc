#include "agent/fleet_manager.h"

#include <algorithm>

namespace spotbatch {
const char* FleetDecisionName(FleetDecision::What w) {
  switch (w) {
    case FleetDecision::kLaunched:
      return "launched";
    case FleetDecision::kNoCapacity:
      return "no-capacity";
    case FleetDecision::kTerminated:
      return "terminated";
    case FleetDecision::kDrained:
      return "drained";
    case FleetDecision::kRefused:
      return "refused";
    case FleetDecision::kFailed:
      return "failed";
  }
  return "unknown";
}

FleetManager::FleetManager(Fleet& fleet, Market& market, FleetPolicy& policy, WorkSource& work,
                           Clock& clock, double changeover_seconds)
    : fleet_(fleet),
      market_(market),
      policy_(policy),
      work_(work),
      clock_(clock),
      changeover_seconds_(changeover_seconds),
      start_unix_millis_(clock.NowUnixMillis()) {}

Status FleetManager::Init() {
  SB_ASSIGN_OR_RETURN(pools_, fleet_.Pools());
  SB_ASSIGN_OR_RETURN(std::vector<PoolQuote> quotes, market_.Quotes());
  if (quotes.size() != pools_.size()) {
    return Internal("the market quotes " + std::to_string(quotes.size()) +
                    " pools, the fleet has " + std::to_string(pools_.size()));
  }
  std::vector<LedgerPool> ledger_pools;
  for (size_t i = 0; i < pools_.size(); ++i) {
    pool_index_[pools_[i].name] = i;
    ledger_pools.push_back({pools_[i].name,
                            pools_[i].spot,
                            PriceSeries::Constant(quotes[i].usd_per_hour),
                            quotes[i].on_demand_usd_per_hour,
                            {}});
  }
  ledger_ = CostLedger(std::move(ledger_pools));
  pool_hours_.assign(pools_.size(), 0);
  pool_reclaims_.assign(pools_.size(), 0);
  for (const PoolQuote& q : quotes) last_price_.push_back(q.usd_per_hour);
  return Status::Ok();
}

void FleetManager::Learn(const std::vector<FleetInstance>& instances, int64_t now) {
  for (const FleetInstance& in : instances) {
    auto pool = pool_index_.find(in.pool);
    if (pool == pool_index_.end()) continue;  // not one of ours to manage
    auto [it, inserted] = known_.try_emplace(in.id);
    Known& k = it->second;
    if (inserted) {
      k.number = next_number_++;
      k.pool = pool->second;
      k.launched = in.launched_unix_millis;
      by_number_[k.number] = in.id;
      (void)ledger_.Launch(in.id, k.pool, in.launched_unix_millis);
    }
    if (in.state == InstanceState::kTerminated && !k.ended) {
      k.ended = true;
      const int64_t ended = in.ended_unix_millis > 0 ? in.ended_unix_millis : now;
      (void)ledger_.End(in.id, ended, in.reclaimed);
      pool_hours_[k.pool] += static_cast<double>(ended - k.launched) / kMillisPerHour;
      if (in.reclaimed) ++pool_reclaims_[k.pool];
      by_number_.erase(k.number);
    }
  }
}

const Observation& FleetManager::Observe(const std::vector<FleetInstance>& instances,
                                         const std::vector<PoolQuote>& quotes,
                                         const WorkSnapshot& work, int64_t now) {
  // Filled in place every tick: the pools' names are copied once, the vectors keep their room.
  Observation& o = observation_;
  o.now_millis = now - start_unix_millis_;
  o.pools.resize(pools_.size());
  for (size_t i = 0; i < pools_.size(); ++i) {
    PoolView& v = o.pools[i];
    std::string name = std::move(v.name);
    v = PoolView{};
    v.name = name.empty() ? pools_[i].name : std::move(name);
    v.spot = pools_[i].spot;
    if (i < quotes.size()) {
      v.usd_per_hour = quotes[i].usd_per_hour;
      v.on_demand_usd_per_hour = quotes[i].on_demand_usd_per_hour;
      v.interruption_band = quotes[i].interruption_band;
      v.can_launch = quotes[i].can_launch;
      v.spare = quotes[i].spare >= 0 ? quotes[i].spare : (quotes[i].can_launch ? 1 : 0);
    }
    v.instance_hours = pool_hours_[i];
    v.interruptions = pool_reclaims_[i];
  }
  o.instances.clear();
  for (const FleetInstance& in : instances) {
    auto k = known_.find(in.id);
    if (k == known_.end() || IsLeaving(in.state)) continue;
    InstanceView v;
    v.id = k->second.number;
    v.pool = static_cast<int>(k->second.pool);
    v.launched_millis = in.launched_unix_millis - start_unix_millis_;
    v.ready = in.state == InstanceState::kRunning || in.state == InstanceState::kDraining;
    v.noticed = in.interruption_unix_millis > 0;
    v.busy = in.busy;
    v.draining = in.state == InstanceState::kDraining;
    v.rebalance = in.rebalance_recommended;
    ++o.pools[v.pool].running;
    // Hours of running instances count too: a pool's reclaim rate is per hour of ours there.
    o.pools[v.pool].instance_hours +=
        static_cast<double>(now - in.launched_unix_millis) / kMillisPerHour;
    o.instances.push_back(v);
  }
  o.work = WorkView{};
  o.work.tasks_queued = work.queued;
  o.work.tasks_running = work.running;
  o.work.tasks_on_demand_only = work.on_demand_only;
  o.work.tasks_left = work.left;
  o.work.mean_done_task_hours = work.mean_done_task_seconds / 3600;
  o.work.mean_task_hours =
      work.mean_task_seconds > 0 ? work.mean_task_seconds / 3600 : o.work.mean_done_task_hours;
  o.work.total_hours = work.total_hours;
  o.work.longest_done_task_hours = work.longest_done_task_seconds / 3600;
  o.work.remaining_hours = work.remaining_hours;
  o.work.longest_first = work.longest_first;
  o.work.deadline_millis =
      work.deadline_unix_millis > 0 ? work.deadline_unix_millis - start_unix_millis_ : 0;
  o.work.changeover_hours = changeover_seconds_ / 3600;
  return o;
}

void FleetManager::Act(const std::vector<FleetAction>& actions, int64_t now,
                       std::vector<FleetDecision>* out) {
  for (const FleetAction& a : actions) {
    FleetDecision d;
    d.at_unix_millis = now;
    if (a.kind == FleetAction::Kind::kLaunch) {
      if (a.pool < 0 || a.pool >= static_cast<int>(pools_.size())) {
        // A policy's bug, not the fleet's fault: said, not silently dropped.
        d.what = FleetDecision::kFailed;
        d.why = "policy " + std::string(policy_.name()) + " launched in pool " +
                std::to_string(a.pool) + ", which does not exist";
        out->push_back(std::move(d));
        continue;
      }
      d.pool = pools_[a.pool].name;
      auto id = fleet_.Launch(d.pool);
      if (id.ok()) {
        d.what = FleetDecision::kLaunched;
        d.instance = *id;
      } else {
        d.what = id.status().code() == StatusCode::kResourceExhausted ? FleetDecision::kNoCapacity
                 : id.status().code() == StatusCode::kFailedPrecondition ? FleetDecision::kRefused
                                                                         : FleetDecision::kFailed;
        d.why = id.status().ToString();
      }
      out->push_back(std::move(d));
      continue;
    }
    auto id = by_number_.find(a.instance);
    if (id == by_number_.end()) continue;  // gone meanwhile
    d.instance = id->second;
    d.pool = pools_[known_.at(id->second).pool].name;
    const bool terminate = a.kind == FleetAction::Kind::kTerminate;
    const Status s = terminate ? fleet_.Terminate(d.instance) : fleet_.Drain(d.instance);
    if (s.ok()) {
      d.what = terminate ? FleetDecision::kTerminated : FleetDecision::kDrained;
    } else {
      // Protected: it took a task since the fleet was described. The next tick sees it busy.
      d.what = s.code() == StatusCode::kFailedPrecondition ? FleetDecision::kRefused
                                                           : FleetDecision::kFailed;
      d.why = s.ToString();
    }
    out->push_back(std::move(d));
  }
}

Result<std::vector<FleetInstance>> FleetManager::Sync() {
  SB_ASSIGN_OR_RETURN(std::vector<FleetInstance> instances, fleet_.Describe());
  Learn(instances, clock_.NowUnixMillis());
  return instances;
}

Result<std::vector<FleetDecision>> FleetManager::Tick() {
  const int64_t now = clock_.NowUnixMillis();
  SB_ASSIGN_OR_RETURN(std::vector<FleetInstance> instances, fleet_.Describe());
  SB_ASSIGN_OR_RETURN(std::vector<PoolQuote> quotes, market_.Quotes());
  SB_ASSIGN_OR_RETURN(WorkSnapshot work, work_.Work());
  Learn(instances, now);
  for (size_t i = 0; i < quotes.size() && i < pools_.size(); ++i) {
    if (quotes[i].usd_per_hour != last_price_[i]) {
      (void)ledger_.SetPrice(i, now, quotes[i].usd_per_hour);
      last_price_[i] = quotes[i].usd_per_hour;
    }
  }
  std::vector<FleetDecision> made;
  Act(policy_.Decide(Observe(instances, quotes, work, now)), now, &made);
  decisions_.insert(decisions_.end(), made.begin(), made.end());
  return made;
}

}  // namespace spotbatch
