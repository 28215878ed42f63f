// Fleet: the instances spotbatch runs its workers on, grouped in pools.
//
// A pool is a set of interchangeable instances at one price: an instance type in a zone (or
// an Auto Scaling group), on spot or on-demand capacity. The fleet manager decides what to
// run; a Fleet carries it out, one instance at a time, as EC2 and Auto Scaling can:
//   - a launch names its pool and may find no capacity there (EC2's
//     InsufficientInstanceCapacity; a local spot pool whose trace is at zero);
//   - scale-in names the instance to remove (Auto Scaling's
//     TerminateInstanceInAutoScalingGroup with a decrement), never "some instance";
//   - an instance's worker protects it from scale-in while it holds a task. Protection stops
//     the fleet's own terminations (Terminate refuses them, which EC2 itself would not), never
//     the provider's reclaim;
//   - Describe may lag a launch or a termination by a few seconds, as EC2's describe calls
//     are eventually consistent; decisions must tolerate it.
// Times are of the fleet's clock (the Clock its adapter was given): a local fleet replaying
// a trace faster than real time runs on a clock that is faster too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

struct FleetPool {
  std::string name;  // unique within the fleet
  bool spot = true;
  std::string instance_type;
  std::string zone;       // "" when the pool spans zones or the adapter knows none
  int max_instances = 0;  // the pool's own ceiling (an Auto Scaling group's max size)
};

enum class InstanceState {
  kPending,      // launched; its worker is not taking tasks yet
  kRunning,      // its worker takes tasks
  kDraining,     // takes no new task; the fleet terminates it once it holds none
  kTerminating,  // going away: terminated by the fleet, or being reclaimed
  kTerminated,   // gone (reported once, by the Describe after it ended)
};
const char* InstanceStateName(InstanceState s);  // "pending", "running", ...
// Terminating or terminated: no longer an instance to count on or act upon.
inline bool IsLeaving(InstanceState s) {
  return s == InstanceState::kTerminating || s == InstanceState::kTerminated;
}

struct FleetInstance {
  std::string id;  // unique for the fleet's lifetime: never reused
  std::string pool;
  InstanceState state = InstanceState::kPending;
  int64_t launched_unix_millis = 0;
  int64_t ended_unix_millis = 0;  // kTerminated: when billing stopped
  bool busy = false;              // its worker holds a task
  bool protected_from_scale_in = false;
  // The provider's notices, as the instance's metadata shows them.
  int64_t interruption_unix_millis = 0;  // the reclaim time of an interruption notice; 0: none
  bool rebalance_recommended = false;
  bool reclaimed = false;  // kTerminated by the provider rather than by the fleet
  // The id Launch returned for this instance when that was a launch ticket (below); "" when
  // Launch returned the instance's own id.
  std::string launch_ticket;
};

class Fleet {
 public:
  virtual ~Fleet() = default;

  // The pools, in a fixed order. kUnavailable on a passing fault.
  virtual Result<std::vector<FleetPool>> Pools() = 0;
  // Starts one instance in `pool` and returns its id. Where the provider names an instance
  // only later (Auto Scaling), the id is a launch ticket, reported pending until an instance
  // answers it: the instance names it in launch_ticket, and the ticket is reported terminated
  // at no cost in the same Describe (if it was reported at all). Drain, Terminate and
  // SetProtection given a ticket's id act on its instance once it has one (cancel the launch
  // before). Such a fleet may ask the provider only at the next Describe, for all the
  // launches since at once. kResourceExhausted when the pool has no capacity now (nothing
  // started: try another pool, or later); where the provider tells of no capacity only
  // later, the ticket is terminated with nothing billed and the pool is kResourceExhausted
  // for a while. kFailedPrecondition when it runs its max_instances already, kNotFound for an
  // unknown pool, kUnavailable for a passing fault or throttling (retry with backoff).
  virtual Result<std::string> Launch(std::string_view pool) = 0;
  // The instance takes no new task and is terminated by the fleet once it holds none (at
  // once when idle). Idempotent. kNotFound for an unknown or terminated instance.
  virtual Status Drain(std::string_view instance) = 0;
  // Terminates the instance now. kFailedPrecondition when it is protected from scale-in
  // (drain it instead); OK when it is terminated already; kNotFound for an unknown one.
  virtual Status Terminate(std::string_view instance) = 0;
  // Sets or clears the instance's protection from scale-in. kNotFound for an unknown or
  // terminated instance.
  virtual Status SetProtection(std::string_view instance, bool protect) = 0;
  // Every instance not yet terminated, and each terminated one once (in the first Describe
  // after it ended), so that every reclaim is seen. kUnavailable on a passing fault.
  virtual Result<std::vector<FleetInstance>> Describe() = 0;
};

}  // namespace spotbatch
