// What `spotbatch worker --on-ec2` adds to the worker agent on an EC2 instance of the fleet
// (adapters/aws/asg_fleet.h): who the instance is (its metadata), the Auto Scaling group it
// is in, its own scale-in protection while it holds a task, heartbeats while the group's
// termination hook holds it, and the lifecycle action completed once the worker has stopped.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "adapters/aws/asg_self.h"
#include "adapters/aws/imds_client.h"
#include "apps/config.h"
#include "spotbatch/clock.h"

namespace spotbatch {

class Ec2WorkerSide {
 public:
  // Reads the instance's identity from `imds_endpoint` and finds its group through Auto
  // Scaling ([aws.endpoints] autoscaling, else the instance's region's). An instance in no
  // group runs without protection or lifecycle (said on stderr). Fails when the identity
  // cannot be read or Auto Scaling cannot be asked.
  static Result<std::unique_ptr<Ec2WorkerSide>> Open(const Config& config,
                                                     const std::string& imds_endpoint,
                                                     int64_t heartbeat_millis, Clock& clock);
  ~Ec2WorkerSide();  // stops the heartbeats

  const InstanceIdentity& identity() const { return identity_; }
  // The instance's Auto Scaling group; empty when it is in none.
  const std::string& group() const { return group_; }
  // The config's pool of that group ([[fleet.pool]] group), "" when none names it: what
  // the worker's attempts are billed to.
  std::string PoolIn(const Config& config) const;
  // Null when the instance is in no group.
  ScaleInProtection* protection() { return protection_.get(); }
  // Sends RecordLifecycleActionHeartbeat every heartbeat period while the instance's target
  // lifecycle state is other than InService (its hook holds it), until Finish.
  void StartHeartbeats();
  // The worker has stopped: when the group is terminating the instance, completes the
  // lifecycle action so that it goes now. Returns what was done, for the log.
  std::string Finish();

 private:
  Ec2WorkerSide(InstanceIdentity identity, std::unique_ptr<CredentialsProvider> credentials,
                std::unique_ptr<AwsQueryClient> autoscaling, std::string group,
                std::unique_ptr<InstanceMetadata> metadata, int64_t heartbeat_millis, Clock& clock);
  // The target lifecycle state, "" when none or unreadable.
  std::string TargetLifecycleState();

  const InstanceIdentity identity_;
  std::unique_ptr<CredentialsProvider> credentials_;
  std::unique_ptr<AwsQueryClient> autoscaling_;
  const std::string group_;
  std::unique_ptr<InstanceMetadata> metadata_;
  std::unique_ptr<AsgScaleInProtection> protection_;
  const int64_t heartbeat_millis_;
  Clock& clock_;
  std::atomic<bool> stop_{false};
  int wake_[2] = {-1, -1};
  std::thread heartbeats_;
};

}  // namespace spotbatch
