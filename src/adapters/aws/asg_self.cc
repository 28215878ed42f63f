#include "adapters/aws/asg_self.h"

#include "adapters/aws/asg_xml.h"

namespace spotbatch {

Result<std::string> FindOwnGroup(AwsQueryClient& autoscaling, std::string_view instance_id) {
  SB_ASSIGN_OR_RETURN(const std::string body,
                      autoscaling.Call("DescribeAutoScalingInstances",
                                       {{"InstanceIds.member.1", std::string(instance_id)}}));
  SB_ASSIGN_OR_RETURN(const std::vector<AsgMembership> members,
                      ParseDescribeAutoScalingInstances(body));
  for (const AsgMembership& m : members) {
    if (m.instance.id == instance_id) return m.group;
  }
  return NotFound("EC2 instance " + std::string(instance_id) + " is in no Auto Scaling group");
}

Status AsgScaleInProtection::Protect(bool busy) {
  return autoscaling_
      .Call("SetInstanceProtection", {{"InstanceIds.member.1", instance_id_},
                                      {"AutoScalingGroupName", group_},
                                      {"ProtectedFromScaleIn", busy ? "true" : "false"}})
      .status();
}

Status CompleteLifecycleAction(AwsQueryClient& autoscaling, const LifecycleAction& action) {
  return autoscaling
      .Call("CompleteLifecycleAction", {{"AutoScalingGroupName", action.group},
                                        {"LifecycleHookName", action.hook},
                                        {"InstanceId", action.instance_id},
                                        {"LifecycleActionResult", "CONTINUE"}})
      .status();
}

Status RecordLifecycleActionHeartbeat(AwsQueryClient& autoscaling, const LifecycleAction& action) {
  return autoscaling
      .Call("RecordLifecycleActionHeartbeat", {{"AutoScalingGroupName", action.group},
                                               {"LifecycleHookName", action.hook},
                                               {"InstanceId", action.instance_id}})
      .status();
}

}  // namespace spotbatch
