#include "adapters/memory/memory_fleet.h"

#include <algorithm>

namespace spotbatch {
Status MemoryFleet::NoInstance(std::string_view id) {
  return NotFound("instance " + std::string(id) + " is not in the fleet (or terminated)");
}

Status MemoryFleet::NoPool(std::string_view name) {
  return NotFound("pool " + std::string(name) + " is not in the fleet");
}

MemoryFleet::MemoryFleet(Clock& clock, std::vector<MemoryPool> pools) : clock_(clock) {
  const int64_t now = clock_.NowUnixMillis();
  for (MemoryPool& p : pools) {
    const double price = p.usd_per_hour;
    pools_.push_back({std::move(p), {{now, price}}});
  }
}

MemoryFleet::Pool* MemoryFleet::FindPool(std::string_view name) {
  for (Pool& p : pools_) {
    if (p.config.pool.name == name) return &p;
  }
  return nullptr;
}

MemoryFleet::Instance* MemoryFleet::FindLive(std::string_view id) {
  auto it = instances_.find(id);
  return it == instances_.end() || IsLeaving(it->second.view.state) ? nullptr : &it->second;
}

int MemoryFleet::LiveIn(const std::string& pool) const {
  int n = 0;
  for (const auto& [id, in] : instances_) n += in.view.pool == pool && !IsLeaving(in.view.state);
  return n;
}

void MemoryFleet::End(Instance& in, bool reclaimed) {
  in.view.state = InstanceState::kTerminated;
  in.view.ended_unix_millis = clock_.NowUnixMillis();
  in.view.reclaimed = reclaimed;
  in.view.busy = false;
  in.view.protected_from_scale_in = false;
}

Result<std::vector<FleetPool>> MemoryFleet::Pools() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FleetPool> out;
  for (const Pool& p : pools_) out.push_back(p.config.pool);
  return out;
}

Result<std::string> MemoryFleet::Launch(std::string_view pool_name) {
  std::lock_guard<std::mutex> lock(mu_);
  Pool* pool = FindPool(pool_name);
  if (pool == nullptr) return NoPool(pool_name);
  const FleetPool& p = pool->config.pool;
  const int live = LiveIn(p.name);
  if (live >= p.max_instances) {
    return FailedPrecondition("pool " + p.name + " runs its " + std::to_string(p.max_instances) +
                              " instances already");
  }
  if (p.spot && live >= pool->config.capacity) {
    return ResourceExhausted("pool " + p.name + " has no spot capacity now");
  }
  Instance in;
  in.view.id = "m-" + std::to_string(next_id_++);
  in.view.pool = p.name;
  in.view.state = InstanceState::kRunning;
  in.view.launched_unix_millis = clock_.NowUnixMillis();
  const std::string id = in.view.id;
  instances_.emplace(id, std::move(in));
  return id;
}

Status MemoryFleet::Drain(std::string_view id) {
  return OnLive(id, [&](Instance& in) {
    if (!in.view.busy) {
      End(in, false);
    } else {
      in.view.state = InstanceState::kDraining;
    }
  });
}

Status MemoryFleet::Terminate(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return NoInstance(id);
  Instance& in = it->second;
  if (IsLeaving(in.view.state)) return Status::Ok();
  if (in.view.protected_from_scale_in) {
    return FailedPrecondition("instance " + std::string(id) +
                              " is protected from scale-in (its worker holds a task)");
  }
  End(in, false);
  return Status::Ok();
}

Status MemoryFleet::SetProtection(std::string_view id, bool protect) {
  return OnLive(id, [&](Instance& in) { in.view.protected_from_scale_in = protect; });
}

Result<std::vector<FleetInstance>> MemoryFleet::Describe() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FleetInstance> out;
  for (auto& [id, in] : instances_) {
    if (IsLeaving(in.view.state)) {
      if (in.reported_end) continue;
      in.reported_end = true;
    }
    out.push_back(in.view);
  }
  return out;
}

Result<std::vector<PoolQuote>> MemoryFleet::Quotes() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PoolQuote> out;
  for (const Pool& p : pools_) {
    PoolQuote q;
    q.pool = p.config.pool.name;
    q.spot = p.config.pool.spot;
    q.usd_per_hour = p.prices.back().usd_per_hour;
    q.on_demand_usd_per_hour = p.config.on_demand_usd_per_hour;
    const int live = LiveIn(q.pool);
    const int room = q.spot ? std::min(p.config.capacity, p.config.pool.max_instances)
                            : p.config.pool.max_instances;
    q.spare = std::max(0, room - live);
    q.can_launch = q.spare > 0;
    q.interruption_band = q.spot ? p.config.interruption_band : -1;
    out.push_back(std::move(q));
  }
  return out;
}

Result<std::vector<PricePoint>> MemoryFleet::PriceHistory(std::string_view pool_name, int64_t from,
                                                          int64_t to) {
  if (to < from) return InvalidArgument("price history: the end is before the start");
  std::lock_guard<std::mutex> lock(mu_);
  Pool* pool = FindPool(pool_name);
  if (pool == nullptr) return NoPool(pool_name);
  std::vector<PricePoint> out;
  for (size_t i = 0; i < pool->prices.size(); ++i) {
    const bool last = i + 1 == pool->prices.size();
    const bool in_force_at_from = last || pool->prices[i + 1].from_unix_millis > from;
    if (pool->prices[i].from_unix_millis < to && in_force_at_from) out.push_back(pool->prices[i]);
  }
  return out;
}

Status MemoryFleet::SetCapacity(std::string_view pool_name, int capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  Pool* pool = FindPool(pool_name);
  if (pool == nullptr) return NoPool(pool_name);
  pool->config.capacity = capacity;
  return Status::Ok();
}

Status MemoryFleet::SetPrice(std::string_view pool_name, double usd_per_hour) {
  std::lock_guard<std::mutex> lock(mu_);
  Pool* pool = FindPool(pool_name);
  if (pool == nullptr) return NoPool(pool_name);
  pool->prices.push_back({clock_.NowUnixMillis(), usd_per_hour});
  return Status::Ok();
}

Status MemoryFleet::SetBusy(std::string_view id, bool busy) {
  return OnLive(id, [&](Instance& in) {
    in.view.busy = busy;
    in.view.protected_from_scale_in = busy;
    if (!busy && in.view.state == InstanceState::kDraining) End(in, false);
  });
}

Status MemoryFleet::Notice(std::string_view id, int64_t reclaim_at) {
  return OnLive(id, [&](Instance& in) { in.view.interruption_unix_millis = reclaim_at; });
}

Status MemoryFleet::RecommendRebalance(std::string_view id) {
  return OnLive(id, [&](Instance& in) { in.view.rebalance_recommended = true; });
}

Status MemoryFleet::Reclaim(std::string_view id) {
  return OnLive(id, [&](Instance& in) { End(in, /*reclaimed=*/true); });
}

}  // namespace spotbatch
