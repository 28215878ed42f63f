#include "sim/simulator.h"

#include <algorithm>
#include <cmath>

#include "agent/fleet_manager.h"
#include "common/fake_clock.h"

namespace spotbatch {
namespace {

// The virtual clock's start. Any fixed time would do; a real-looking one keeps every time the
// ports carry positive (0 means "none" in several of them).
constexpr int64_t kSimStartUnixMillis = 1'700'000'000'000;
// Decisions between market events too, as a live manager ticks on its own.
constexpr int64_t kDecideEveryMillis = 60'000;

Status CheckInput(const std::vector<MarketPool>& pools, const Workload& work) {
  if (pools.empty()) return InvalidArgument("simulate: no pools");
  if (work.task_hours.empty()) return InvalidArgument("simulate: no work");
  for (double h : work.task_hours) {
    if (!(h > 0) || !std::isfinite(h)) {
      return InvalidArgument("simulate: task hours must be positive");
    }
  }
  if (!work.predicted_hours.empty() && work.predicted_hours.size() != work.task_hours.size()) {
    return InvalidArgument("simulate: a predicted length for every task, or none");
  }
  return Status::Ok();
}

// The manager's bill, with each attempt the fleet ran given to its task.
Bill BillOf(FleetManager& manager, const SimFleet& fleet) {
  CostLedger& ledger = manager.ledger();
  for (const SimAttempt& a : fleet.attempts()) {
    // Every instance was described to the manager before its attempt was recorded here.
    (void)ledger.Use(a.instance, {"task-" + std::to_string(a.task), a.from_unix_millis,
                                  a.to_unix_millis, a.interrupted, a.wasted});
  }
  return manager.BillNow();
}

}  // namespace

Result<SimResult> Simulate(const std::vector<MarketPool>& pools, const Workload& work,
                           FleetPolicy& policy, const SimOptions& options) {
  SB_RETURN_IF_ERROR(CheckInput(pools, work));
  FakeClock clock(kSimStartUnixMillis);
  SimFleet fleet(pools, work, options, clock);
  FleetManager manager(fleet, fleet, policy, fleet, clock, work.changeover_hours * 3600);
  SB_RETURN_IF_ERROR(manager.Init());

  SimResult result;
  result.policy = std::string(policy.name());
  const auto give_up =
      kSimStartUnixMillis + static_cast<int64_t>(options.give_up_after_hours * kMillisPerHour);
  int64_t next_decision = kSimStartUnixMillis;
  while (fleet.unfinished() > 0) {
    const int64_t at = std::min(fleet.NextEventUnixMillis(), next_decision);
    clock.Advance(at - clock.NowUnixMillis());
    if (at > give_up) break;
    if (at == next_decision) {
      next_decision += kDecideEveryMillis;
      ++result.events;
    }
    // Everything due now, in the order it was scheduled; then the manager's one tick.
    result.events += fleet.ApplyDueEvents();
    if (fleet.unfinished() == 0) break;
    fleet.Dispatch();
    SB_ASSIGN_OR_RETURN(std::vector<FleetDecision> made, manager.Tick());
    for (const FleetDecision& d : made) {
      if (d.what == FleetDecision::kFailed) return InvalidArgument(d.why);
    }
    fleet.Dispatch();
  }
  result.finished = fleet.unfinished() == 0;
  result.finish_hours = fleet.finish_hours();
  fleet.EndAll();
  SB_RETURN_IF_ERROR(manager.Sync().status());

  result.bill = BillOf(manager, fleet);
  result.cost_usd = ToUsd(result.bill.total);
  for (const PoolBill& p : result.bill.pools) {
    (p.spot ? result.spot_hours : result.on_demand_hours) +=
        static_cast<double>(p.billed_millis) / kMillisPerHour;
    result.interruptions += p.reclaims;
  }
  double work_hours = 0;
  for (double h : work.task_hours) work_hours += h;
  result.on_demand_only_cost_usd = work_hours * CheapestOnDemandUsdPerHour(pools);
  for (const FleetDecision& d : manager.decisions()) {
    result.launches += d.what == FleetDecision::kLaunched;
    result.failed_launches += d.instance.empty() && (d.what == FleetDecision::kNoCapacity ||
                                                     d.what == FleetDecision::kRefused);
    result.decisions.push_back(
        {d.at_unix_millis - kSimStartUnixMillis, FleetDecisionName(d.what), d.pool});
  }
  result.deadline_met = result.finished && (work.deadline_hours <= 0 ||
                                            result.finish_hours <= work.deadline_hours + 1e-9);
  if (options.record_timeline) result.timeline = fleet.timeline();
  return result;
}

}  // namespace spotbatch
