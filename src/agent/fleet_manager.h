// The fleet manager's driver. Each Tick() observes the Fleet, the Market and the work, asks a
// FleetPolicy (src/core) what to do, and carries its actions out through the Fleet, one
// instance at a time; it also keeps the bill (CostLedger) and a log of what it did. It holds
// no policy of its own: the same driver runs the live fleet under `run` and `up` and, on a
// simulated Fleet and Market and a virtual clock (src/sim/sim_fleet.h), the simulator.
//
// A tick that cannot observe (a fleet or market fault) decides nothing and says why; an
// action the fleet refuses is logged and left for the next tick to reconsider: a launch
// without capacity (the next quotes say so), a termination of an instance that took a task
// meanwhile (it is protected now).
#pragma once

#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cost_ledger.h"
#include "core/fleet_policy.h"
#include "spotbatch/clock.h"
#include "spotbatch/fleet.h"
#include "spotbatch/market.h"

namespace spotbatch {

// The work as the queue and the state store show it now.
struct WorkSnapshot {
  int queued = 0;                     // waiting for an instance
  int running = 0;                    // held by an instance
  int on_demand_only = 0;             // of the queued, tasks that may no longer run on spot
  int left = 0;                       // unfinished, queued and running included
  double mean_done_task_seconds = 0;  // of the tasks finished so far; 0 before the first
  double longest_done_task_seconds = 0;
  int64_t deadline_unix_millis = 0;  // 0: none
  double remaining_hours = 0;        // of work not yet done, when known (deadlines)
  // Known only where the work is known in advance (the simulator's); 0 otherwise. A deadline
  // job's line is drawn from the total, and the mean of every task, not just the finished
  // ones, sizes the deadline's margin before the first task ends.
  double total_hours = 0;        // of all the work, done or not
  double mean_task_seconds = 0;  // of all the tasks
  bool longest_first = false;    // WorkView::longest_first
};

class WorkSource {
 public:
  virtual ~WorkSource() = default;
  // kUnavailable on a passing fault.
  virtual Result<WorkSnapshot> Work() = 0;
};

// One thing the manager did.
struct FleetDecision {
  enum What { kLaunched, kNoCapacity, kTerminated, kDrained, kRefused, kFailed };
  int64_t at_unix_millis = 0;
  What what = kLaunched;
  std::string pool;
  std::string instance;  // kLaunched: the new one
  std::string why;       // kRefused, kFailed, kNoCapacity: the fleet's answer
};
const char* FleetDecisionName(FleetDecision::What w);  // "launched", "no-capacity", ...

class FleetManager {
 public:
  // Everything must outlive the manager. `changeover_seconds`: how long a new instance takes
  // to do useful work (policies weigh reclaims by it).
  FleetManager(Fleet& fleet, Market& market, FleetPolicy& policy, WorkSource& work, Clock& clock,
               double changeover_seconds);

  // Reads the pools; the ledger bills each at its market's price series from then on.
  Status Init();
  // Observes, decides, acts. Returns this tick's decisions (also appended to decisions()).
  // A policy action naming no pool is a kFailed decision.
  Result<std::vector<FleetDecision>> Tick();
  // Reads the fleet without deciding: learns the instances that appeared and those that
  // ended (their billing stops), e.g. once a run is over; returns what it read. A driver that
  // acts on the fleet itself reads it through this, never through Fleet::Describe, which
  // reports each end once. The fleet's code when it cannot be described.
  Result<std::vector<FleetInstance>> Sync();

  const std::vector<FleetDecision>& decisions() const { return decisions_; }
  // The bill up to now (instances still running billed so far).
  Bill BillNow() const { return ledger_.BillAt(clock_.NowUnixMillis()); }
  CostLedger& ledger() { return ledger_; }
  const CostLedger& ledger() const { return ledger_; }
  // Reclaims seen, in every pool.
  int reclaims() const { return std::accumulate(pool_reclaims_.begin(), pool_reclaims_.end(), 0); }

 private:
  struct Known {
    int64_t number = 0;  // the policy's id
    size_t pool = 0;
    int64_t launched = 0;
    bool ended = false;
  };
  // Learns from Describe: new instances, ends (for the ledger and the pools' history).
  void Learn(const std::vector<FleetInstance>& instances, int64_t now);
  // The policy's view of now, in observation_.
  const Observation& Observe(const std::vector<FleetInstance>& instances,
                             const std::vector<PoolQuote>& quotes, const WorkSnapshot& work,
                             int64_t now);
  void Act(const std::vector<FleetAction>& actions, int64_t now, std::vector<FleetDecision>* out);

  Fleet& fleet_;
  Market& market_;
  FleetPolicy& policy_;
  WorkSource& work_;
  Clock& clock_;
  const double changeover_seconds_;
  const int64_t start_unix_millis_;
  std::vector<FleetPool> pools_;
  // Looked up for every instance on every tick: hashed, so a lookup costs the same however
  // many instances the run has seen (an ordered map compared long shared id prefixes).
  std::unordered_map<std::string, size_t> pool_index_;
  std::unordered_map<std::string, Known> known_;        // every instance seen, by fleet id
  std::unordered_map<int64_t, std::string> by_number_;  // the policy's id -> fleet id
  int64_t next_number_ = 1;
  std::vector<double> pool_hours_;  // of ended instances, per pool
  std::vector<int> pool_reclaims_;
  std::vector<double> last_price_;  // per pool, as the ledger has it
  CostLedger ledger_{{}};
  std::vector<FleetDecision> decisions_;
  Observation observation_;
};

}  // namespace spotbatch
