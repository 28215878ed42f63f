// The interface between a fleet policy and whatever runs it: the simulator replaying traces,
// or the fleet manager in production. A policy sees only what a real manager can see at that
// moment (prices now, whether a launch in a pool would succeed now, its own instances, the
// work left and what it learned so far) and answers with actions. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/market.h"

namespace spotbatch {

// A pool as a manager sees it now.
struct PoolView {
  std::string name;
  bool spot = true;
  double usd_per_hour = 0;
  double on_demand_usd_per_hour = 0;
  int interruption_band = kUnknownBand;
  bool can_launch = true;  // a launch now would get capacity (on-demand: always)
  int spare = 0;           // how many more of our instances it would take now
  int running = 0;         // our instances in the pool, noticed ones included
  // Learned from what happened so far: hours our instances ran here and how many of them
  // the provider reclaimed.
  double instance_hours = 0;
  int interruptions = 0;
};

struct InstanceView {
  int64_t id = 0;
  int pool = 0;
  int64_t launched_millis = 0;
  bool ready = false;      // past its changeover: the work it holds progresses
  bool noticed = false;    // the provider will reclaim it soon
  bool busy = false;       // holds a task
  bool draining = false;   // takes no new task; terminated when its task is done
  bool rebalance = false;  // the provider recommends moving off it (an early warning)
};

struct WorkView {
  double total_hours = 0;       // of work, as measured on one instance
  double remaining_hours = 0;   // not yet done (checkpointed progress counts as done)
  int64_t deadline_millis = 0;  // since the start; 0: none
  double changeover_hours = 0;  // a new instance works only after this
  int tasks_left = 0;           // unfinished
  int tasks_running = 0;
  double mean_task_hours = 0;          // of all the tasks: a task runs on one instance at a time
  double longest_done_task_hours = 0;  // the longest task finished so far
  // The backlog as a queue shows it, and what a live manager can measure.
  int tasks_queued = 0;             // waiting for an instance
  int tasks_on_demand_only = 0;     // of those, tasks that may no longer run on spot
  double mean_done_task_hours = 0;  // of the tasks finished so far; 0 before the first
  // The queue starts the tasks predicted longest first (pipeline.order = "largest_first"):
  // the finished ones are the longest, the ones left the shortest.
  bool longest_first = false;
};

struct Observation {
  int64_t now_millis = 0;  // since the start of the run
  std::vector<PoolView> pools;
  std::vector<InstanceView> instances;
  WorkView work;
};

struct FleetAction {
  // kDrain: the instance takes no new task and is terminated when the one it holds is done
  // (at once when it holds none): how a fleet scales in without killing work in progress.
  enum class Kind { kLaunch, kTerminate, kDrain };
  Kind kind = Kind::kLaunch;
  int pool = -1;          // kLaunch
  int64_t instance = -1;  // kTerminate
};

// The cheapest on-demand pool that would take a launch now; -1 for none.
inline int CheapestOnDemandPool(const Observation& o) {
  int best = -1;
  for (size_t i = 0; i < o.pools.size(); ++i) {
    const PoolView& p = o.pools[i];
    if (p.spot || !p.can_launch) continue;
    if (best < 0 || p.usd_per_hour < o.pools[best].usd_per_hour) best = static_cast<int>(i);
  }
  return best;
}

class FleetPolicy {
 public:
  virtual ~FleetPolicy() = default;
  virtual std::string_view name() const = 0;
  // Called at every event (a tick of a trace, an instance ready, reclaimed or done): what to
  // launch and terminate now. An empty answer holds.
  virtual std::vector<FleetAction> Decide(const Observation& o) = 0;
};

}  // namespace spotbatch
