// The simulator's world as the fleet manager sees it: a Fleet, a Market and a WorkSource over
// pools that replay their capacity and price traces, with instances that run the tasks of a
// workload, on a virtual clock that only the event loop (Simulate, simulator.h) advances.
// The manager drives it exactly as it drives the local fleet under `run`; only this adapter
// knows the future (the events it scheduled), and it tells the manager nothing of it.
//
// What happens, as the simulator has always modelled it:
//   - a launch in a spot pool finds capacity only while the pool's trace has room for one
//     more of our instances (noticed ones count until they are reclaimed);
//   - when a pool's trace falls below what runs there, the newest instances get a notice and
//     are reclaimed `notice_millis` later; a noticed instance keeps working until then;
//   - a new instance works only after the changeover; an instance holding no task takes the
//     next waiting one (an interrupted task goes first; the others in the workload's order);
//   - progress survives an interruption, or only up to the last multiple of checkpoint_hours.
// Not thread-safe: the loop, the manager and the tests call it from one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "agent/fleet_manager.h"
#include "core/market.h"
#include "core/task_order.h"
#include "spotbatch/clock.h"
#include "spotbatch/fleet.h"
#include "spotbatch/market.h"

namespace spotbatch {

struct Workload {
  // Hours of work of each task on one instance; a deadline job is one task.
  std::vector<double> task_hours;
  double deadline_hours = 0;    // since the start; 0: none
  double changeover_hours = 0;  // a new instance (a restart) works only after this
  // 0: progress survives an interruption (the command checkpoints on the notice and as it
  // goes); otherwise checkpoints every this many hours of a task's work, and an interrupted
  // task resumes from its last one.
  double checkpoint_hours = 0;
  // The order waiting tasks start in: as listed, or under kLargestFirst the longest predicted
  // first (ties as listed), as a live queue under [pipeline] order = "largest_first" starts
  // the largest inputs first. An interrupted task goes first either way.
  TaskOrder order = TaskOrder::kFifo;
  // What the dispatcher knows of each task's length ahead (hours; e.g. from its input's
  // size): one per task, or empty for the true lengths. Only the order uses it.
  std::vector<double> predicted_hours;
};

struct SimFleetOptions {
  int64_t start_offset_millis = 0;  // where in the traces the clock's start falls
  int64_t notice_millis = 120'000;  // notice before a reclaim
  // Workers protect their instance from scale-in while they hold a task, as spotbatch's
  // workers do: Terminate then refuses a busy instance (drain it). Off for a deadline job,
  // whose policies move its one task by terminating the instance (its checkpoint goes along).
  bool workers_protect = false;
  bool record_timeline = false;
  // Rebalance recommendations, as EC2 sends them: for an instance its pool's trace will take
  // within `rebalance_lead_millis` (0: none ahead of the notice), and spuriously, at random,
  // `spurious_rebalances_per_hour` times per instance-hour (drawn from `seed`).
  int64_t rebalance_lead_millis = 0;
  double spurious_rebalances_per_hour = 0;
  uint64_t seed = 1;
};

// One instance's life, for charts; times since the start.
struct InstanceSpan {
  int pool = 0;
  int64_t launched_millis = 0;
  int64_t ended_millis = 0;
  bool reclaimed = false;
};

// A task's stay on an instance while the instance worked (its changeover is idle time), for
// the ledger: CostLedger::Use with the job "task-<index>".
struct SimAttempt {
  std::string instance;
  int task = 0;
  int64_t from_unix_millis = 0;
  int64_t to_unix_millis = 0;
  bool interrupted = false;  // the instance was reclaimed under it
  bool wasted = false;       // work since the last checkpoint was lost
};

class SimFleet final : public Fleet, public Market, public WorkSource {
 public:
  // Everything must outlive the fleet. The clock's time now is the start of the run. Tasks of
  // `work` must be positive and predicted_hours empty or one per task (Simulate checks); a
  // fleet without tasks is for tests (Assign).
  SimFleet(const std::vector<MarketPool>& pools, const Workload& work,
           const SimFleetOptions& options, Clock& clock);

  // Fleet (include/spotbatch/fleet.h): as documented there; Describe shows an instance as
  // pending during its changeover. Never kUnavailable: the simulated provider has no faults.
  Result<std::vector<FleetPool>> Pools() override;
  Result<std::string> Launch(std::string_view pool) override;
  Status Drain(std::string_view instance) override;
  Status Terminate(std::string_view instance) override;
  Status SetProtection(std::string_view instance, bool protect) override;
  Result<std::vector<FleetInstance>> Describe() override;

  // Market: the traces at the clock's time. PriceHistory has a point per tick of a price
  // series (one point for a constant price).
  Result<std::vector<PoolQuote>> Quotes() override;
  Result<std::vector<PricePoint>> PriceHistory(std::string_view pool, int64_t from_unix_millis,
                                               int64_t to_unix_millis) override;

  // WorkSource: everything a simulator knows, the totals and the exact work left included.
  Result<WorkSnapshot> Work() override;

  // The event loop's side. When the next scheduled event is due (clock time); INT64_MAX when
  // none is.
  int64_t NextEventUnixMillis() const;
  // Applies every event due by the clock's time, each at its own time, in time order and then
  // in the order they were scheduled; stops once every task has finished. Returns how many.
  int64_t ApplyDueEvents();
  // Gives waiting tasks to ready instances that hold none (a task came back).
  void Dispatch();
  // The run is over: every instance ends now (not reclaimed).
  void EndAll();

  // What a worker does, for tests: `instance` takes a new task of `hours` now (kNotFound for
  // no such live instance, kFailedPrecondition when it holds one), or its task finishes now.
  Status Assign(std::string_view instance, double hours);
  Status Complete(std::string_view instance);

  int tasks() const { return static_cast<int>(tasks_.size()); }
  int unfinished() const { return unfinished_; }
  // When the last task finished, since the start.
  double finish_hours() const { return static_cast<double>(finished_at_) / kMillisPerHour; }
  const std::vector<SimAttempt>& attempts() const { return attempts_; }
  const std::vector<InstanceSpan>& timeline() const { return timeline_; }

 private:
  enum class EventKind { kTick, kPrice, kReady, kReclaim, kDone, kRebalance };
  struct Event {
    int64_t at;  // since the start
    uint64_t seq;
    EventKind kind;
    int64_t id;    // pool for kTick and kPrice, instance otherwise
    uint64_t gen;  // a kDone is stale once its instance's task changed
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct Instance {
    int64_t n = 0;  // the number in its id, in launch order
    std::string id;
    int pool = 0;
    int64_t launched = 0;
    int64_t ready_at = 0;
    bool ready = false;
    bool noticed = false;
    bool rebalance = false;  // recommended to move off
    int64_t reclaim_at = 0;
    bool draining = false;
    bool protect = false;
    int task = -1;
    int64_t took = 0;            // when it took its task
    int64_t progress_since = 0;  // when its task's progress started accruing
    uint64_t gen = 0;
  };
  struct Task {
    double done_millis = 0;
    double total_millis = 0;
  };

  int64_t Now() const { return clock_.NowUnixMillis() - start_unix_; }
  int64_t Unix(int64_t at) const { return start_unix_ + at; }
  int64_t TraceTime(int64_t at) const { return options_.start_offset_millis + at; }
  void Schedule(int64_t at, EventKind kind, int64_t id, uint64_t gen = 0) {
    events_.push({at, next_seq_++, kind, id, gen});
  }
  // Our instances a pool can hold now (spot: its trace; on demand: its maximum).
  int Room(int pool, int64_t at) const;
  int Capacity(int pool, int64_t at) const;
  void ScheduleNextTick(int pool, int64_t at, EventKind kind);
  Instance* Find(std::string_view id);  // live ones; null otherwise
  int PoolIndex(std::string_view name) const;
  void Settle(Instance& in, int64_t now);
  void StartWork(Instance& in, int64_t now);
  void Record(const Instance& in, int64_t now, bool interrupted, bool wasted);
  void Finish(Instance& in, int64_t now);
  void End(int64_t n, int64_t now, bool reclaimed);
  void Apply(const Event& e);
  // Recommends moving off the newest instances of `pool` that its trace will take within the
  // lead (those not noticed or recommended already).
  void RecommendAhead(int pool, int64_t now);
  // A spurious recommendation for instance `n`, at a random time from now.
  void ScheduleSpuriousRebalance(int64_t n, int64_t now);

  const std::vector<MarketPool>& pools_;
  const Workload& work_;
  const SimFleetOptions options_;
  std::mt19937_64 rng_;  // spurious rebalance recommendations
  Clock& clock_;
  const int64_t start_unix_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t next_seq_ = 0;
  std::map<int64_t, Instance> instances_;  // live, by number: launch order
  int64_t next_n_ = 1;
  std::vector<FleetInstance> ended_;  // not yet described
  std::vector<Task> tasks_;
  std::deque<int> waiting_;
  int running_ = 0;
  bool dispatch_ = false;  // a task went back to waiting
  int unfinished_ = 0;
  int64_t finished_at_ = 0;
  double total_millis_ = 0;
  double remaining_millis_ = 0;  // of all tasks, as of the last Settle of each
  double longest_done_millis_ = 0;
  double done_millis_ = 0;  // the lengths of the finished tasks
  std::vector<int> alive_;  // live instances per pool, noticed ones included
  std::vector<int> noticed_;
  std::vector<SimAttempt> attempts_;
  std::vector<InstanceSpan> timeline_;
};

}  // namespace spotbatch
