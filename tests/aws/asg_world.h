// Auto Scaling groups on moto for tests of what drives them: the two groups of a typical
// config (a spot pool and an on-demand pool) behind the lifecycle harness (asg_harness.h),
// and the calls an instance's worker makes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "adapters/aws/asg_xml.h"
#include "adapters/aws/aws_query_client.h"
#include "aws/asg_harness.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "spotbatch/clock.h"

namespace spotbatch::testing {

constexpr char kSpotGroup[] = "sb-spot";
constexpr char kOdGroup[] = "sb-od";
constexpr char kHook[] = "spotbatch-drain";
// moto and the lifecycle harness before it, and two groups (a spot pool over three types, at
// most 3; an on-demand pool, at most 2), each with the termination hook "spotbatch-drain"
// (docs/adapters.md) and capacity rebalancing on.
struct AsgGroups {
  AsgGroups() {
    if (moto.endpoint().empty()) return;
    harness = std::make_unique<AsgHarness>(moto.endpoint());
    ec2 = *AwsQueryClient::New({.endpoint = moto.endpoint(), .region = "us-east-1"}, credentials,
                               SystemClock());
    autoscaling = *AwsQueryClient::New({.endpoint = harness->endpoint(),
                                        .region = "us-east-1",
                                        .api = kAutoScalingApi,
                                        .retry = {.max_attempts = 2, .base_delay_millis = 1}},
                                       credentials, SystemClock());
    auto lt = ec2->Call("CreateLaunchTemplate", {{"LaunchTemplateName", "spotbatch-worker"},
                                                 {"LaunchTemplateData.ImageId", "ami-12c6146b"},
                                                 {"LaunchTemplateData.InstanceType", "c5.xlarge"}});
    EXPECT_TRUE(lt.ok()) << lt.status().ToString();
    const QueryParams mixed = {
        {"MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName",
         "spotbatch-worker"},
        {"MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version", "$Latest"},
        {"MixedInstancesPolicy.LaunchTemplate.Overrides.member.1.InstanceType", "c5.xlarge"},
        {"MixedInstancesPolicy.LaunchTemplate.Overrides.member.2.InstanceType", "c5a.xlarge"},
        {"MixedInstancesPolicy.LaunchTemplate.Overrides.member.3.InstanceType", "m5.xlarge"},
        {"MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity", "0"},
        {"MixedInstancesPolicy.InstancesDistribution.SpotAllocationStrategy",
         "price-capacity-optimized"}};
    MakeGroup(kSpotGroup, 3, mixed);
    MakeGroup(kOdGroup, 2,
              {{"LaunchTemplate.LaunchTemplateName", "spotbatch-worker"},
               {"LaunchTemplate.Version", "$Latest"}});
  }

  void MakeGroup(const std::string& name, int max, QueryParams params) {
    params.insert(params.end(), {{"AutoScalingGroupName", name},
                                 {"MinSize", "0"},
                                 {"MaxSize", std::to_string(max)},
                                 {"DesiredCapacity", "0"},
                                 {"AvailabilityZones.member.1", "us-east-1a"},
                                 {"AvailabilityZones.member.2", "us-east-1b"},
                                 {"CapacityRebalance", "true"}});
    auto made = autoscaling->Call("CreateAutoScalingGroup", params);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    auto hook = autoscaling->Call("PutLifecycleHook",
                                  {{"AutoScalingGroupName", name},
                                   {"LifecycleHookName", kHook},
                                   {"LifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING"},
                                   {"HeartbeatTimeout", "600"},
                                   {"DefaultResult", "CONTINUE"}});
    EXPECT_TRUE(hook.ok()) << hook.status().ToString();
  }

  // What the instance's worker does: protect it while busy; once idle and held by the
  // termination hook, complete the lifecycle action.
  void SetBusy(const std::string& instance, const std::string& group, bool busy) {
    auto set = autoscaling->Call("SetInstanceProtection",
                                 {{"InstanceIds.member.1", instance},
                                  {"AutoScalingGroupName", group},
                                  {"ProtectedFromScaleIn", busy ? "true" : "false"}});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    if (!busy && harness->Held().count(instance)) {
      auto done =
          autoscaling->Call("CompleteLifecycleAction", {{"AutoScalingGroupName", group},
                                                        {"LifecycleHookName", kHook},
                                                        {"InstanceId", instance},
                                                        {"LifecycleActionResult", "CONTINUE"}});
      ASSERT_TRUE(done.ok()) << done.status().ToString();
    }
  }

  // The group's desired capacity as Auto Scaling (behind the harness) says.
  int Desired(const std::string& group) {
    auto body =
        autoscaling->Call("DescribeAutoScalingGroups", {{"AutoScalingGroupNames.member.1", group}});
    if (!body.ok()) return -1;
    auto page = ParseDescribeAutoScalingGroups(*body);
    return page.ok() && page->groups.size() == 1 ? page->groups[0].desired_capacity : -1;
  }

  MotoServer moto;
  StaticCredentials credentials;
  std::unique_ptr<AsgHarness> harness;
  std::unique_ptr<AwsQueryClient> ec2, autoscaling;
};

}  // namespace spotbatch::testing
