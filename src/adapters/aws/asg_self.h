// The worker's side of the EC2 fleet (asg_fleet.h): the instance it runs on, in its Auto
// Scaling group. The worker protects its own instance from scale-in while it holds a task
// (as the reference architecture's sample does), and once the group terminates it — the
// termination lifecycle hook holding it in Terminating:Wait — finishes or hands back its
// task, sends heartbeats meanwhile, and completes the lifecycle action so that the instance
// goes at once rather than when the hook times out.
#pragma once

#include <string>
#include <string_view>

#include "adapters/aws/aws_query_client.h"
#include "spotbatch/scale_in_protection.h"

namespace spotbatch {

// The group `instance_id` is in (DescribeAutoScalingInstances). kNotFound when it is in
// none; the client's failures otherwise.
Result<std::string> FindOwnGroup(AwsQueryClient& autoscaling, std::string_view instance_id);

// SetInstanceProtection of the instance in its group. Protect's failures are the client's
// (kUnavailable when Auto Scaling cannot be reached or throttles past the retries).
class AsgScaleInProtection final : public ScaleInProtection {
 public:
  // `autoscaling` must outlive it.
  AsgScaleInProtection(AwsQueryClient& autoscaling, std::string group, std::string instance_id)
      : autoscaling_(autoscaling), group_(std::move(group)), instance_id_(std::move(instance_id)) {}
  Status Protect(bool busy) override;

 private:
  AwsQueryClient& autoscaling_;
  const std::string group_;
  const std::string instance_id_;
};

// The termination hook `spotbatch aws deploy` gives every group.
inline constexpr std::string_view kDrainHook = "spotbatch-drain";

// The lifecycle action a termination hook holds the instance for.
struct LifecycleAction {
  std::string group;
  std::string hook;  // the hook's name (kDrainHook)
  std::string instance_id;
};
// CompleteLifecycleAction with "CONTINUE": the instance may go. kInvalidArgument
// (ValidationError) when no action is pending for it; the client's failures otherwise.
Status CompleteLifecycleAction(AwsQueryClient& autoscaling, const LifecycleAction& action);
// RecordLifecycleActionHeartbeat: the hook's timeout starts again. As above.
Status RecordLifecycleActionHeartbeat(AwsQueryClient& autoscaling, const LifecycleAction& action);

}  // namespace spotbatch
