// The Fleet on EC2: one Auto Scaling group per pool (spot or on-demand, its instance types
// and zones in its mixed-instances policy, made by `spotbatch aws deploy`), whose desired
// capacity the fleet manager sets one instance at a time.
//
//   - Launch raises the group's desired capacity by one (SetDesiredCapacity) and reads the
//     group again: the instance that appeared is the launch's. Where none shows yet (EC2
//     launches in seconds to minutes) the launch is a ticket, "launch-POOL-N", reported
//     pending until the group shows an instance not seen before, which takes the oldest
//     ticket's place (the ticket then ends, reported terminated at no cost). A ticket that
//     shows no instance within launch_timeout_millis is cancelled (desired capacity lowered
//     again) and the pool refuses launches (kResourceExhausted) for no_capacity_millis:
//     Auto Scaling tells of no capacity only in its activities, minutes later.
//   - Terminate is TerminateInstanceInAutoScalingGroup with a decrement, the chosen instance
//     rather than the group's pick, after reading the group afresh; a protected instance is
//     refused (Auto Scaling's explicit terminate would not refuse it).
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
//     on-demand one leaves only when unhealthy). Notices are not seen here: the instance's
//     own worker reads them from its metadata.
// Times are of the clock given. Thread-safe.
#pragma once

#include <cstdint>
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
  int64_t launch_timeout_millis = 10 * 60'000;
  int64_t no_capacity_millis = 5 * 60'000;
};

class AsgFleet final : public Fleet {
 public:
  // kInvalidArgument for pools without a name or group, a name or group twice, or periods
  // that are negative. `autoscaling` (a client of kAutoScalingApi) and `clock` must outlive
  // the fleet.
  static Result<std::unique_ptr<AsgFleet>> New(AsgFleetOptions options, AwsQueryClient& autoscaling,
                                               Clock& clock);

  // Fleet (fleet.h). Failures of Auto Scaling are the client's (kUnavailable when throttled);
  // a group that does not exist is kNotFound naming it.
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
    bool reported = false;     // in a Describe answer already
    bool ended_by_us = false;  // terminated or drained through this fleet
    bool drained = false;
    bool manager_protected = false;  // SetProtection(true)
    int64_t ticket_deadline = 0;
  };
  struct PoolState {
    int desired = 0;
    int group_max = 0;
    bool read = false;
    int64_t no_capacity_until = 0;
    std::vector<std::string> tickets;  // oldest first
    int launched = 0;
    int reclaims = 0;
  };

  AsgFleet(AsgFleetOptions options, AwsQueryClient& autoscaling, Clock& clock);
  Result<std::string> CallLocked(std::string_view action, const QueryParams& params);
  // Reads every group and brings the tracked instances up to date.
  Status ReadLocked(int64_t now);
  Status ReadIfDueLocked(int64_t now, bool force);
  Result<size_t> PoolIndex(std::string_view name) const;
  Tracked* Find(std::string_view id);
  void EndLocked(Tracked& t, int64_t now, bool reclaimed);
  Status CancelTicketLocked(Tracked& t, int64_t now);
  Status SetDesiredLocked(size_t pool, int desired);
  Status TerminateLocked(Tracked& t, int64_t now);
  int InPoolLocked(size_t pool) const;  // instances and tickets not leaving

  const AsgFleetOptions options_;
  AwsQueryClient& autoscaling_;
  Clock& clock_;
  std::mutex mu_;
  std::vector<PoolState> pools_;
  std::map<std::string, Tracked, std::less<>> tracked_;  // not yet reported ended
  std::set<std::string, std::less<>> ended_;             // reported ended: never again
  std::map<std::string, std::string> resolved_;          // ticket -> the instance that took it
  int64_t read_at_ = 0;
  bool stale_ = true;
  int64_t next_ticket_ = 1;
  std::map<std::string, int> calls_;
};

}  // namespace spotbatch
