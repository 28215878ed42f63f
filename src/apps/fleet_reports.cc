#include "apps/fleet_reports.h"

#include <algorithm>
#include <map>

namespace spotbatch {

NanoUsd OnDemandOfInstanceTime(const Bill& bill) {
  NanoUsd sum = 0;
  for (const PoolBill& p : bill.pools) sum += p.on_demand_cost;
  return sum;
}

nlohmann::json ManagedBillJson(const FleetManager& manager, StateStore& state,
                               const std::set<std::string>* jobs, int64_t now,
                               const std::function<int64_t(int64_t)>& to_fleet_millis,
                               const std::vector<PoolTally>& tallies) {
  CostLedger ledger = manager.ledger();
  std::map<std::string, std::string> input_of;
  auto views = state.ListJobs();  // one read of every job, not one per job
  for (const JobView& job : views.ok() ? *views : std::vector<JobView>{}) {
    const std::string& job_id = job.job.id;
    if (jobs != nullptr && !jobs->count(job_id)) continue;
    input_of[job_id] = job.job.input_key;
    for (const TaskRecord& t : job.tasks) {
      auto attempts = state.ListAttempts(t.id);
      if (!attempts.ok()) continue;
      for (const AttemptRecord& a : *attempts) {
        if (a.pool.empty()) continue;  // a plain worker's
        AttemptUse use;
        use.job = job_id;
        use.from_millis = to_fleet_millis(a.started_unix_millis);
        use.to_millis = a.ended_unix_millis > 0 ? to_fleet_millis(a.ended_unix_millis) : now;
        use.interrupted =
            a.outcome == AttemptOutcome::kInterrupted || a.outcome == AttemptOutcome::kLost;
        use.wasted = use.interrupted && a.lost_work_millis > 0;
        // An attempt of an earlier run, or on an instance not yet seen: not billed here.
        (void)ledger.Use(a.worker, use);
      }
    }
  }
  const Bill bill = ledger.BillAt(now);
  nlohmann::json pools = nlohmann::json::array();
  for (size_t i = 0; i < bill.pools.size(); ++i) {
    const PoolBill& p = bill.pools[i];
    const PoolTally t = i < tallies.size() ? tallies[i] : PoolTally{};
    pools.push_back({{"name", p.name},
                     {"market", p.spot ? "spot" : "on-demand"},
                     {"instance_hours", static_cast<double>(p.billed_millis) / 3.6e6},
                     {"cost_usd", ToUsd(p.cost)},
                     {"idle_cost_usd", ToUsd(p.idle)},
                     {"on_demand_cost_usd", ToUsd(p.on_demand_cost)},
                     {"launched", t.launched},
                     {"notices", t.notices},
                     {"reclaims", t.reclaims},
                     {"crashes", t.crashes}});
  }
  nlohmann::json job_costs = nlohmann::json::array();
  for (const auto& [id, j] : bill.jobs) {
    job_costs.push_back({{"id", id},
                         {"input", input_of[id]},
                         {"cost_usd", ToUsd(j.cost)},
                         {"on_demand_cost_usd", ToUsd(j.on_demand_cost)},
                         {"attempts", j.attempts},
                         {"interruptions", j.interruptions},
                         {"busy_seconds", static_cast<double>(j.busy_millis) / 1000.0},
                         {"wasted_seconds", static_cast<double>(j.wasted_millis) / 1000.0}});
  }
  const auto& decisions = manager.decisions();
  return {{"cost_usd", ToUsd(bill.total)},
          {"on_demand_cost_usd", ToUsd(OnDemandOfInstanceTime(bill))},
          {"idle_cost_usd", ToUsd(bill.idle)},
          {"launches", static_cast<int>(std::count_if(decisions.begin(), decisions.end(),
                                                      [](const FleetDecision& d) {
                                                        return d.what == FleetDecision::kLaunched;
                                                      }))},
          {"pools", pools},
          {"job_costs", job_costs}};
}

nlohmann::json ManagedDecisionsJson(const FleetManager& manager, int64_t start_millis) {
  nlohmann::json out = nlohmann::json::array();
  for (const FleetDecision& d : manager.decisions()) {
    out.push_back({{"at_seconds", static_cast<double>(d.at_unix_millis - start_millis) / 1000},
                   {"what", FleetDecisionName(d.what)},
                   {"pool", d.pool},
                   {"instance", d.instance},
                   {"why", d.why}});
  }
  return out;
}

}  // namespace spotbatch
