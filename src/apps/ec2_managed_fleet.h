// `run` and `up` on EC2 pools (provider = "ec2"): the fleet manager (agent/fleet_manager.h)
// with the autoscale policy (core/backlog_scaling.h) sets the capacity of one Auto Scaling
// group per pool (adapters/aws/asg_fleet.h), priced by the market on EC2
// (adapters/aws/ec2_market.h), on the real clock. The workers are the instances' own
// (`spotbatch worker --on-ec2`, which the launch template's user data starts): nothing here
// starts a process. Every minute it publishes the backlog to CloudWatch (namespace
// "spotbatch", dimension Queue = the pipeline's queue): QueuedTasks, RunningTasks, Instances
// and BacklogPerInstance (queued over the instances in the groups, at least one), the metric
// a target-tracking policy scales on when no manager runs. A failed publish is said once and
// tried again a minute later; it never stops the fleet.
//
// StopAll scales every group back to zero: idle instances are terminated, busy ones drained
// (the termination hook holds each until its worker has handed its task back or finished).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "adapters/aws/asg_fleet.h"
#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/cloudwatch_metrics.h"
#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/ec2_market.h"
#include "agent/fleet_manager.h"
#include "agent/queue_work_source.h"
#include "apps/worker_fleet.h"
#include "core/fleet_policy.h"

namespace spotbatch {

// The fleet's pools for `config`'s EC2 pools: each pool's group, market, first type and size.
AsgFleetOptions AsgFleetOptionsFor(const Config& config);

// The backlog metrics of `work` over `instances`, measured at `unix_millis`.
std::vector<MetricDatum> BacklogMetrics(const WorkSnapshot& work, int instances,
                                        const std::string& queue, int64_t unix_millis);

class Ec2ManagedFleet final : public WorkerFleet {
 public:
  // How often the manager decides: the groups are read at most every 10 s (AsgFleet's cache),
  // and a new instance takes a minute or more to boot.
  static constexpr int64_t kDecideEveryMillis = 2'000;
  static constexpr int64_t kPublishEveryMillis = 60'000;
  // How long a new instance takes to take tasks (boot, cloud-init, the worker's start): what
  // the manager weighs a replacement by.
  static constexpr double kInstanceStartSeconds = 120;

  // The clients from [aws] (region, endpoints "autoscaling", "ec2" and "cloudwatch",
  // credentials) and the fleet, market and manager on them. kInvalidArgument or
  // kFailedPrecondition for a config that names no region or credentials; `state`, `queue`
  // and `clock` must outlive the fleet. Nothing is called until the first Tick.
  static Result<std::unique_ptr<Ec2ManagedFleet>> Open(const Config& config, StateStore& state,
                                                       TaskQueue& queue, Clock& clock);
  ~Ec2ManagedFleet() override;

  int Tick() override;  // never restarts anything: 0
  // Drains every instance (`grace_millis` is the workers' own, set on the instances).
  void StopAll(int64_t grace_millis) override;
  nlohmann::json Bill(StateStore& state, const std::set<std::string>* jobs) override;
  nlohmann::json Decisions() override;
  std::string Summary() override;
  nlohmann::json FleetStatus() override;

  // For tests: how many publishes succeeded, and the fleet.
  int published() const { return published_; }
  AsgFleet& fleet() { return *fleet_; }

 private:
  Ec2ManagedFleet(const Config& config, StateStore& state, TaskQueue& queue, Clock& clock);
  void Publish(int64_t now);
  void SayOnce(const std::string& what, const Status& s, std::string* last);

  const Config& config_;
  Clock& clock_;
  std::unique_ptr<CredentialsProvider> credentials_;
  std::unique_ptr<AwsQueryClient> autoscaling_, ec2_, cloudwatch_;
  std::unique_ptr<AsgFleet> fleet_;
  std::unique_ptr<Ec2Market> market_;
  std::optional<CloudWatchMetrics> metrics_;
  std::unique_ptr<FleetPolicy> policy_;
  QueueWorkSource work_;
  std::unique_ptr<FleetManager> manager_;
  bool started_ = false;
  bool stopped_ = false;
  int64_t start_millis_ = 0;
  int64_t next_decision_millis_ = 0;  // monotonic
  int64_t next_publish_millis_ = 0;   // monotonic
  int published_ = 0;
  std::string last_error_, last_publish_error_;
};

}  // namespace spotbatch
