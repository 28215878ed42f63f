#include "core/cost_ledger.h"

#include <algorithm>
#include <cmath>

namespace spotbatch {
namespace {

constexpr int64_t kMillisPerHourInt = 3'600'000;

// Nano-dollars for `millis` at `usd_per_hour`, rounded to the nearest.
NanoUsd Piece(double usd_per_hour, int64_t millis) {
  const auto nano_per_hour = static_cast<__int128>(std::llround(usd_per_hour * 1e9));
  const __int128 scaled = nano_per_hour * millis;
  return static_cast<NanoUsd>((scaled + kMillisPerHourInt / 2) / kMillisPerHourInt);
}

}  // namespace

NanoUsd PriceIntegral(const PriceSeries& price, int64_t from, int64_t to) {
  if (to <= from) return 0;
  if (price.gap_millis <= 0 || price.usd_per_hour.size() <= 1) {
    return Piece(price.At(from), to - from);
  }
  NanoUsd sum = 0;
  for (int64_t t = from; t < to;) {
    const int64_t tick_end = (std::max<int64_t>(t, 0) / price.gap_millis + 1) * price.gap_millis;
    const int64_t next = std::min(to, std::max(tick_end, t + 1));
    sum += Piece(price.At(t), next - t);
    t = next;
  }
  return sum;
}

NanoUsd PriceIntegral(const LedgerPool& pool, int64_t from, int64_t to) {
  const auto& changes = pool.changes;
  if (changes.empty() || to <= changes.front().first) return PriceIntegral(pool.price, from, to);
  NanoUsd sum = 0;
  if (from < changes.front().first) {
    sum += PriceIntegral(pool.price, from, changes.front().first);
    from = changes.front().first;
  }
  // The change in force at `from`, then each later one up to `to`.
  auto it = std::upper_bound(changes.begin(), changes.end(), from,
                             [](int64_t t, const auto& c) { return t < c.first; });
  for (--it; from < to; ++it) {
    const int64_t next = std::next(it) == changes.end() ? to : std::min(to, std::next(it)->first);
    sum += Piece(it->second, next - from);
    from = next;
  }
  return sum;
}

Status CostLedger::SetPrice(size_t pool, int64_t at_millis, double usd_per_hour) {
  if (pool >= pools_.size()) {
    return InvalidArgument("pool " + std::to_string(pool) + " is not in the ledger");
  }
  auto& changes = pools_[pool].changes;
  if (!changes.empty() && at_millis < changes.back().first) {
    return InvalidArgument("a price change of pool " + pools_[pool].name + " before the last one");
  }
  if (!changes.empty() && at_millis == changes.back().first) {
    changes.back().second = usd_per_hour;
  } else {
    changes.emplace_back(at_millis, usd_per_hour);
  }
  return Status::Ok();
}

CostLedger::CostLedger(std::vector<LedgerPool> pools, int64_t min_billed_millis)
    : pools_(std::move(pools)), min_billed_millis_(min_billed_millis) {}

Status CostLedger::Launch(std::string_view instance, size_t pool, int64_t at_millis) {
  if (pool >= pools_.size()) {
    return InvalidArgument("pool " + std::to_string(pool) + " is not in the ledger");
  }
  auto [it, inserted] = instances_.try_emplace(std::string(instance));
  if (!inserted) return InvalidArgument("instance " + std::string(instance) + " launched twice");
  it->second.pool = pool;
  it->second.launched = at_millis;
  return Status::Ok();
}

Status CostLedger::Use(std::string_view instance, AttemptUse use) {
  auto it = instances_.find(std::string(instance));
  if (it == instances_.end()) return NotFound("instance " + std::string(instance) + " unknown");
  if (use.to_millis < use.from_millis) {
    return InvalidArgument("attempt of job " + use.job + " ends before it starts");
  }
  std::vector<AttemptUse>& uses = it->second.uses;
  auto at = std::upper_bound(uses.begin(), uses.end(), use.from_millis,
                             [](int64_t t, const AttemptUse& u) { return t < u.from_millis; });
  if ((at != uses.begin() && std::prev(at)->to_millis > use.from_millis) ||
      (at != uses.end() && at->from_millis < use.to_millis)) {
    return InvalidArgument("attempt of job " + use.job + " overlaps another on instance " +
                           std::string(instance));
  }
  uses.insert(at, std::move(use));
  return Status::Ok();
}

Status CostLedger::End(std::string_view instance, int64_t at_millis, bool reclaimed) {
  auto it = instances_.find(std::string(instance));
  if (it == instances_.end()) return NotFound("instance " + std::string(instance) + " unknown");
  if (it->second.ended >= 0) {
    return FailedPrecondition("instance " + std::string(instance) + " ended already");
  }
  it->second.ended = std::max(at_millis, it->second.launched);
  it->second.reclaimed = reclaimed;
  return Status::Ok();
}

Bill CostLedger::BillAt(int64_t now_millis) const {
  Bill bill;
  for (const LedgerPool& p : pools_) bill.pools.push_back({.name = p.name, .spot = p.spot});
  for (const auto& [id, in] : instances_) {
    const LedgerPool& pool = pools_[in.pool];
    PoolBill& pb = bill.pools[in.pool];
    const int64_t end = in.ended >= 0 ? in.ended : std::max(now_millis, in.launched);
    const int64_t billed_until = std::max(end, in.launched + min_billed_millis_);
    ++pb.launches;
    pb.reclaims += in.reclaimed ? 1 : 0;
    pb.billed_millis += billed_until - in.launched;
    pb.on_demand_cost += Piece(pool.on_demand_usd_per_hour, billed_until - in.launched);
    // The instance's life cut into attempts and the gaps between them: each piece is billed
    // once, to a job or to idle, so the shares add up to the instance's bill exactly.
    int64_t t = in.launched;
    for (const AttemptUse& u : in.uses) {
      const int64_t from = std::clamp(u.from_millis, in.launched, billed_until);
      const int64_t to = std::clamp(u.to_millis, in.launched, billed_until);
      if (to <= from) continue;
      const NanoUsd gap = PriceIntegral(pool, t, from);
      const NanoUsd used = PriceIntegral(pool, from, to);
      pb.idle += gap;
      pb.cost += gap + used;
      JobBill& job = bill.jobs[u.job];
      job.cost += used;
      job.on_demand_cost += Piece(pool.on_demand_usd_per_hour, to - from);
      job.busy_millis += to - from;
      job.wasted_millis += u.wasted ? to - from : 0;
      ++job.attempts;
      job.interruptions += u.interrupted ? 1 : 0;
      t = to;
    }
    const NanoUsd tail = PriceIntegral(pool, t, billed_until);
    pb.idle += tail;
    pb.cost += tail;
  }
  for (const PoolBill& pb : bill.pools) {
    bill.total += pb.cost;
    bill.idle += pb.idle;
  }
  for (const auto& [job, jb] : bill.jobs) bill.on_demand_cost += jb.on_demand_cost;
  return bill;
}

}  // namespace spotbatch
