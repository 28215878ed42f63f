// The Fleet on EC2: one Auto Scaling group per pool (spot or on-demand, its instance types
// and zones in its mixed-instances policy, made by `spotbatch aws deploy`), whose desired
// capacity the fleet manager sets.
//
//   - Launch is a ticket, "launch-POOL-N", and one more instance wanted in the group. The
//     launches and cancellations of a tick are coalesced: the next read of the groups (the
//     next Describe, or a Terminate's) first sets each changed group's desired capacity, one
//     SetDesiredCapacity per group, then reads every group once. A ticket is reported pending
//     until the group shows an instance not seen before, which takes the oldest ticket's
//     place: the instance names the ticket (launch_ticket), the ticket ends at no cost, and
//     the ticket's id names the instance from then on.
//   - No capacity: Auto Scaling tells of it only in its scaling activities. Once a ticket is
//     activity_check_millis old, the group's activities are read (DescribeScalingActivities,
//     one call, at most that often per group); a launch that failed since the ticket was
//     asked for cancels the group's tickets. A ticket that shows no instance within
//     launch_timeout_millis is cancelled too. A cancelled ticket lowers the group's desired
//     capacity again, and the pool refuses launches (kResourceExhausted) for
//     no_capacity_millis.
//   - Capacity on its way that nobody asked for through this fleet — the group's desired
//     capacity above the instances it shows, in two reads 5 s apart, as when Auto Scaling
//     replaces a reclaimed spot instance, or a target-tracking policy raised it — is
//     reported as tickets too, so that the manager does not launch what the group launches
//     already. Cancelling a ticket never lowers a group's desired capacity below the
//     instances and tickets the fleet keeps there.
//   - Terminate is TerminateInstanceInAutoScalingGroup with a decrement, the chosen instance
//     rather than the group's pick, on a read of the groups at most protection_read_millis
//     old (one read for the scale-ins of a tick); a protected instance is refused (Auto
//     Scaling's explicit terminate would not refuse it). A worker that protects itself after
//     that read is still safe: the termination hook holds it (below).
//   - Drain terminates the same way whether or not the instance is busy: the group's
//     termination lifecycle hook holds a busy instance in Terminating:Wait while its worker
//     finishes, hands its task back if it must, and completes the lifecycle action. An
//     instance of ours in Terminating:Wait is reported draining.
//   - Busy is the instance's scale-in protection as its worker sets it (SetInstanceProtection
//     from the instance); SetProtection adds the manager's, remembered here.
//   - Describe reads every group (DescribeAutoScalingGroups, 50 names a call) at most every
//     describe_every_millis, and at once after a change made through this fleet. An
//     instance that leaves its group is reported terminated once, at the time it was seen
//     gone; one that left without this fleet terminating it is taken as reclaimed when its
//     pool is spot (Auto Scaling replaces a reclaimed or rebalanced spot instance; an
//     on-demand one leaves only when unhealthy). The ids of ended instances are remembered
//     for forget_ended_millis (a stale read may still show one), then forgotten: a fleet
//     that runs for months holds only the last hour's.
//   - Notices are not read here: the instance's own worker reads them from its metadata and
//     hands its task back, and the group itself replaces a reclaimed or rebalanced spot
//     instance (the capacity on its way, above), which is what the manager would do with
//     them.
// Times are of the clock given. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "adapters/aws/asg_xml.h"
#include "adapters/aws/aws_query_client.h"
#include "spotbatch/clock.h"
#include "spotbatch/fleet.h"

namespace spotbatch {

struct AsgPoolSpec {
  FleetPool pool;     // its name, market, first instance type and max_instances
  std::string group;  // the Auto Scaling group
};

// What a pool's group did, as this fleet has read it.
struct AsgPoolCounts {
  int instances = 0;  // in the group now, leaving ones and launch tickets left out
  int launched = 0;   // instances seen appear since the fleet was made
  int reclaims = 0;   // spot instances seen leave without this fleet terminating them
};

struct AsgFleetOptions {
  std::vector<AsgPoolSpec> pools;
  int64_t describe_every_millis = 10'000;  // 0: read the groups at every Describe
  int64_t protection_read_millis = 1'000;  // Terminate decides on a read at most this old
  int64_t activity_check_millis = 30'000;
  int64_t launch_timeout_millis = 10 * 60'000;
  int64_t no_capacity_millis = 5 * 60'000;
  int64_t forget_ended_millis = 60 * 60'000;
};

class AsgFleet final : public Fleet {
 public:
  // kInvalidArgument for pools without a name or group, a name or group twice, or periods
  // that are negative. `autoscaling` (a client of kAutoScalingApi) and `clock` must outlive
  // the fleet.
  static Result<std::unique_ptr<AsgFleet>> New(AsgFleetOptions options, AwsQueryClient& autoscaling,
                                               Clock& clock);

  // Fleet (fleet.h). Failures of Auto Scaling are the client's (kUnavailable when throttled);
  // a group that does not exist is kNotFound naming it. A Describe whose SetDesiredCapacity
  // fails returns that failure: a passing one keeps the launches for the next read; any
  // other cancels them (their tickets end at no cost).
  Result<std::vector<FleetPool>> Pools() override;
  Result<std::string> Launch(std::string_view pool) override;
  Status Drain(std::string_view instance) override;
  Status Terminate(std::string_view instance) override;
  Status SetProtection(std::string_view instance, bool protect) override;
  Result<std::vector<FleetInstance>> Describe() override;

  // Calls made to Auto Scaling so far, by action (for tests and the API-rate report).
  std::map<std::string, int> calls();
  // Per pool, in the pools' order, as of the last read (no call is made).
  std::vector<AsgPoolCounts> counts();

 private:
  struct Tracked {
    FleetInstance view;
    size_t pool = 0;
    bool ticket = false;
    bool ended_by_us = false;  // terminated or drained through this fleet
    bool drained = false;
    bool manager_protected = false;  // SetProtection(true)
    int64_t ticket_deadline = 0;
  };
  struct PoolState {
    int desired = 0;  // as last read, with this fleet's changes since
    int delta = 0;    // launches less cancellations not yet sent
    int group_max = 0;
    bool read = false;
    int64_t no_capacity_until = 0;
    std::string no_capacity_why;
    int64_t activities_read_at = 0;
    int64_t shortfall_since = 0;       // a read showed fewer instances than desired
    std::vector<std::string> tickets;  // oldest first
    int launched = 0;
    int reclaims = 0;
  };

  AsgFleet(AsgFleetOptions options, AwsQueryClient& autoscaling, Clock& clock);
  Result<std::string> CallLocked(std::string_view action, const QueryParams& params);
  // Sends each pool's delta (SetDesiredCapacity); the first failure.
  Status FlushLocked();
  // Flushes, reads every group and brings the tracked instances up to date.
  Status ReadLocked(int64_t now);
  Status ReadIfDueLocked(int64_t now);
  Status ReadGroupsLocked(std::vector<AsgGroup>* groups);
  // Cancels the pool's tickets when its activities show a launch that failed since the
  // oldest was asked for. Faults are not the fleet's: the timeout still applies.
  void CheckActivitiesLocked(size_t pool, int64_t now);
  Result<size_t> PoolIndex(std::string_view name) const;
  Tracked* Find(std::string_view id);
  // The instance an id names: a ticket's instance once it has one.
  Tracked* Resolve(std::string_view id);
  Tracked& NewTicketLocked(size_t pool, int64_t now);
  void EndLocked(Tracked& t, int64_t now, bool reclaimed);
  void CancelTicketLocked(Tracked& t);
  void RefuseLaunchesLocked(size_t pool, int64_t now, std::string why);
  Status TerminateLocked(Tracked& t);
  // Instances and tickets not leaving, in each pool / in one.
  std::vector<int> InPoolsLocked() const;
  int InPoolLocked(size_t pool) const;
  void ForgetEndedLocked(int64_t now);

  const AsgFleetOptions options_;
  AwsQueryClient& autoscaling_;
  Clock& clock_;
  std::mutex mu_;
  std::vector<PoolState> pools_;
  std::map<std::string, Tracked, std::less<>> tracked_;  // not yet reported ended
  // Reported ended: never again, for forget_ended_millis (oldest first in ended_order_).
  std::set<std::string, std::less<>> ended_;
  std::deque<std::pair<int64_t, std::string>> ended_order_;
  // Ticket -> the instance that took it, while the instance is tracked.
  std::map<std::string, std::string, std::less<>> resolved_;
  int64_t read_at_ = 0;
  bool stale_ = true;
  int64_t next_ticket_ = 1;
  std::map<std::string, int> calls_;
};

}  // namespace spotbatch
