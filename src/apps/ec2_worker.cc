#include "apps/ec2_worker.h"

#include <unistd.h>

#include <cstdio>

#include "adapters/aws/env_credentials.h"
#include "apps/aws_services.h"

namespace spotbatch {

Result<std::unique_ptr<Ec2WorkerSide>> Ec2WorkerSide::Open(const Config& config,
                                                           const std::string& imds_endpoint,
                                                           int64_t heartbeat_millis, Clock& clock) {
  const ImdsOptions imds{imds_endpoint, 21600, 1000};
  SB_ASSIGN_OR_RETURN(InstanceIdentity identity, ReadInstanceIdentity(imds, clock));
  SB_ASSIGN_OR_RETURN(std::unique_ptr<CredentialsProvider> credentials,
                      AwsCredentialsFor(config, ProcessEnvironment(), clock, imds_endpoint));
  Config regional = config;
  if (regional.aws.region.empty()) regional.aws.region = identity.region;
  SB_ASSIGN_OR_RETURN(const std::string region, AwsRegionFor(regional, ProcessEnvironment()));
  SB_ASSIGN_OR_RETURN(
      std::unique_ptr<AwsQueryClient> autoscaling,
      AwsQueryClientFor(config, "autoscaling", kAutoScalingApi, region, *credentials, clock));
  std::string group;
  if (Result<std::string> found = FindOwnGroup(*autoscaling, identity.instance_id); found.ok()) {
    group = std::move(*found);
  } else if (found.status().code() == StatusCode::kNotFound) {
    std::fprintf(stderr, "spotbatch worker: %s; running without scale-in protection\n",
                 found.status().message().c_str());
  } else {
    return found.status();
  }
  SB_ASSIGN_OR_RETURN(std::unique_ptr<InstanceMetadata> metadata, NewImdsClient(imds, clock));
  return std::unique_ptr<Ec2WorkerSide>(
      new Ec2WorkerSide(std::move(identity), std::move(credentials), std::move(autoscaling),
                        std::move(group), std::move(metadata), heartbeat_millis, clock));
}

Ec2WorkerSide::Ec2WorkerSide(InstanceIdentity identity,
                             std::unique_ptr<CredentialsProvider> credentials,
                             std::unique_ptr<AwsQueryClient> autoscaling, std::string group,
                             std::unique_ptr<InstanceMetadata> metadata, int64_t heartbeat_millis,
                             Clock& clock)
    : identity_(std::move(identity)),
      credentials_(std::move(credentials)),
      autoscaling_(std::move(autoscaling)),
      group_(std::move(group)),
      metadata_(std::move(metadata)),
      heartbeat_millis_(heartbeat_millis),
      clock_(clock) {
  if (!group_.empty()) {
    protection_ =
        std::make_unique<AsgScaleInProtection>(*autoscaling_, group_, identity_.instance_id);
  }
}

Ec2WorkerSide::~Ec2WorkerSide() {
  stop_ = true;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (heartbeats_.joinable()) heartbeats_.join();
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

std::string Ec2WorkerSide::TargetLifecycleState() {
  Result<MetadataNotices> notices = metadata_->Poll();
  return notices.ok() ? notices->target_lifecycle_state : "";
}

void Ec2WorkerSide::StartHeartbeats() {
  if (group_.empty() || heartbeats_.joinable() || ::pipe(wake_) != 0) return;
  heartbeats_ = std::thread([this] {
    const LifecycleAction action{group_, std::string(kDrainHook), identity_.instance_id};
    while (!clock_.SleepForMillisUnlessReadable(heartbeat_millis_, wake_[0]) && !stop_) {
      const std::string state = TargetLifecycleState();
      if (state.empty() || state == "InService") continue;
      if (Status s = RecordLifecycleActionHeartbeat(*autoscaling_, action); !s.ok()) {
        std::fprintf(stderr, "spotbatch worker: lifecycle heartbeat: %s\n", s.ToString().c_str());
      }
    }
  });
}

std::string Ec2WorkerSide::Finish() {
  stop_ = true;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (heartbeats_.joinable()) heartbeats_.join();
  if (group_.empty()) return "";
  const std::string state = TargetLifecycleState();
  if (state.empty() || state == "InService") return "";
  const Status s = CompleteLifecycleAction(
      *autoscaling_, {group_, std::string(kDrainHook), identity_.instance_id});
  return s.ok() ? "lifecycle action completed: the instance may go"
                : "lifecycle action not completed: " + s.ToString();
}

std::string Ec2WorkerSide::PoolIn(const Config& config) const {
  for (const PoolConfig& p : config.pools) {
    if (p.ec2 && !group_.empty() && p.group == group_) return p.name;
  }
  return "";
}

}  // namespace spotbatch
