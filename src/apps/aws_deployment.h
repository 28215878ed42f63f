// What `spotbatch aws deploy` makes of a config's EC2 pools, as values and no call: the
// workers' role and instance profile, one launch template whose user data (cloud-init)
// writes the config on the instance and starts `spotbatch worker --on-ec2`, and one Auto
// Scaling group per pool (its types as the mixed-instances policy's overrides, spot or
// on-demand, capacity rebalancing on spot, the termination hook the worker completes).
// apps/aws_deploy.h carries it out.
//
// Each launch template and group carries a fingerprint of what defines it (the tag
// "spotbatch:spec"): a deploy that finds the same fingerprint changes nothing, another one
// updates it. A group's desired capacity is never part of it: that is the fleet manager's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/http_request.h"
#include "apps/config.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The tag that marks what deploy made and what it made it from.
inline constexpr char kSpecTag[] = "spotbatch:spec";
// EC2 takes at most 16 KiB of user data, before base64.
inline constexpr size_t kMaxUserData = 16 * 1024;
// Where the user data puts the config on the instance (relative paths in it resolve there).
inline constexpr char kInstanceConfigPath[] = "/var/lib/spotbatch/spotbatch.toml";
// How long the termination hook waits for a heartbeat (the worker sends one every 300 s).
inline constexpr int kDrainHookTimeoutSeconds = 900;

struct Ec2GroupSpec {
  std::string name;  // the pool's group
  std::string pool;
  QueryParams create;  // CreateAutoScalingGroup's parameters, desired capacity 0
  QueryParams update;  // UpdateAutoScalingGroup's: the same without desired capacity or tags
  std::string fingerprint;
};

struct Ec2Deployment {
  std::string role;             // the workers' IAM role and instance profile
  std::string trust_policy;     // the role's: EC2 may assume it
  std::string worker_policy;    // `aws policy --role worker`
  std::string launch_template;  // its name
  QueryParams template_data;    // LaunchTemplateData.* parameters
  std::string template_fingerprint;
  std::vector<Ec2GroupSpec> groups;
};

// The cloud-config that writes `config_text` to kInstanceConfigPath, runs [aws.worker]
// install's lines in order and starts the worker under systemd (restarted if it fails).
std::string WorkerUserData(const Config& config, std::string_view config_text);

// The deployment of `config`'s EC2 pools; `region_zones`: the zones of pools that name none
// when no subnets are given. kFailedPrecondition without EC2 pools or [aws.worker] ami;
// kInvalidArgument for user data over kMaxUserData.
Result<Ec2Deployment> Ec2DeploymentFor(const Config& config, std::string_view config_text,
                                       const std::vector<std::string>& region_zones);

// The launch template's name for `config`: "spotbatch-<queue>-worker".
std::string LaunchTemplateName(const Config& config);

}  // namespace spotbatch
