// What deploy makes of a config, as values: the instances' user data, the launch template's
// data and each group's parameters and fingerprint.
#include "apps/aws_deployment.h"

#include <gtest/gtest.h>

#include "adapters/aws/dynamodb_items.h"
#include "test_util.h"

namespace spotbatch {
namespace {

constexpr const char* kConfig = R"(
[store]
url = "s3://"
[queue]
url = "sqs://tasks"
[state]
url = "dynamodb://jobs"
[pipeline]
input = "acme-in/"
output = "acme-out/"
command = ["true"]
[aws.worker]
ami = "ami-0abcdef1234567890"
install = ["curl -fsSL https://example.com/spotbatch.deb -o /tmp/s.deb && dpkg -i /tmp/s.deb", "echo 'it''s done'"]
[[fleet.pool]]
name = "spot"
provider = "ec2"
instance_types = ["c5.xlarge", "m5.xlarge"]
max_instances = 10
[[fleet.pool]]
name = "od"
provider = "ec2"
market = "on-demand"
instance_types = ["c5.xlarge"]
zones = ["us-east-1b"]
max_instances = 2
)";

Config Load(const std::string& text) {
  auto c = ParseConfig(text, "/tmp/sb.toml");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : Config{};
}

std::string Param(const QueryParams& p, const std::string& key) {
  for (const auto& [k, v] : p) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST(WorkerUserData, WritesTheConfigRunsTheInstallLinesAndStartsTheWorker) {
  const Config c = Load(kConfig);
  const std::string data = WorkerUserData(c, kConfig);
  EXPECT_TRUE(data.starts_with("#cloud-config\n"));
  EXPECT_NE(data.find("  - path: /var/lib/spotbatch/spotbatch.toml\n    encoding: b64\n"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("content: " + ddb::Base64Encode(kConfig) + "\n"), std::string::npos);
  // Each line single-quoted as YAML wants, its quotes doubled: the shell gets it as written.
  EXPECT_NE(data.find("  - [sh, -c, 'curl -fsSL https://example.com/spotbatch.deb -o /tmp/s.deb "
                      "&& dpkg -i /tmp/s.deb']\n"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("  - [sh, -c, 'echo ''it''''s done''']\n"), std::string::npos) << data;
  EXPECT_LT(data.find("dpkg"), data.find("systemd-run")) << "installed before it starts";
  EXPECT_NE(data.find("'/usr/local/bin/spotbatch', worker, --on-ec2, -c, "
                      "'/var/lib/spotbatch/spotbatch.toml']"),
            std::string::npos)
      << data;
}

TEST(Ec2DeploymentFor, OneTemplateAndAGroupPerPoolAsTheConfigSays) {
  const Config c = Load(kConfig);
  auto d = Ec2DeploymentFor(c, kConfig, {"us-east-1a", "us-east-1b", "us-east-1c"});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->role, "spotbatch-worker");
  EXPECT_EQ(d->launch_template, "spotbatch-tasks-worker");
  EXPECT_EQ(Param(d->template_data, "LaunchTemplateData.ImageId"), "ami-0abcdef1234567890");
  EXPECT_EQ(Param(d->template_data, "LaunchTemplateData.MetadataOptions.HttpTokens"), "required");
  std::string user_data;
  ASSERT_TRUE(
      ddb::Base64Decode(Param(d->template_data, "LaunchTemplateData.UserData"), &user_data));
  EXPECT_EQ(user_data, WorkerUserData(c, kConfig));
  EXPECT_NE(d->worker_policy.find("autoscaling:CompleteLifecycleAction"), std::string::npos);

  ASSERT_EQ(d->groups.size(), 2u);
  const Ec2GroupSpec& spot = d->groups[0];
  EXPECT_EQ(spot.name, "spotbatch-spot");
  const std::string lt = "MixedInstancesPolicy.LaunchTemplate.";
  EXPECT_EQ(Param(spot.create, lt + "Overrides.member.2.InstanceType"), "m5.xlarge");
  EXPECT_EQ(Param(spot.create, "MaxSize"), "10");
  EXPECT_EQ(Param(spot.create, "DesiredCapacity"), "0");
  EXPECT_EQ(Param(spot.update, "DesiredCapacity"), "<absent>") << "the manager's to set";
  EXPECT_EQ(Param(spot.create, "CapacityRebalance"), "true");
  EXPECT_EQ(Param(spot.create, "AvailabilityZones.member.3"), "us-east-1c")
      << "no zones of its own: the region's";
  EXPECT_EQ(Param(spot.create,
                  "MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity"),
            "0");
  const Ec2GroupSpec& od = d->groups[1];
  EXPECT_EQ(Param(od.create, "AvailabilityZones.member.1"), "us-east-1b");
  EXPECT_EQ(Param(od.create, "AvailabilityZones.member.2"), "<absent>");
  EXPECT_EQ(Param(od.create, "CapacityRebalance"), "false");
  EXPECT_EQ(Param(od.create,
                  "MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity"),
            "100");
  EXPECT_EQ(Param(spot.create, "Tags.member.1.Value"), spot.fingerprint);
}

TEST(Ec2DeploymentFor, AFingerprintChangesWithWhatDefinesItAlone) {
  const Config c = Load(kConfig);
  auto before = Ec2DeploymentFor(c, kConfig, {"us-east-1a"});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(Ec2DeploymentFor(c, kConfig, {"us-east-1a"})->groups[0].fingerprint,
            before->groups[0].fingerprint);
  std::string text = kConfig;
  text.replace(text.find("max_instances = 10"), 18, "max_instances = 12");
  const Config bigger = Load(text);
  auto after = Ec2DeploymentFor(bigger, text, {"us-east-1a"});
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->groups[0].fingerprint, before->groups[0].fingerprint);
  EXPECT_EQ(after->groups[1].fingerprint, before->groups[1].fingerprint);
  EXPECT_NE(after->template_fingerprint, before->template_fingerprint)
      << "the config the instances get changed";
  Config subnets = c;
  subnets.aws.worker.subnets = {"subnet-0a", "subnet-0b"};
  auto in_vpc = Ec2DeploymentFor(subnets, kConfig, {"us-east-1a"});
  EXPECT_EQ(Param(in_vpc->groups[0].create, "VPCZoneIdentifier"), "subnet-0a,subnet-0b");
  EXPECT_EQ(Param(in_vpc->groups[0].create, "AvailabilityZones.member.1"), "<absent>");
}

TEST(Ec2DeploymentFor, RefusesWhatCannotLaunch) {
  Config c = Load(kConfig);
  EXPECT_EQ(Ec2DeploymentFor(c, std::string(20'000, '#'), {}).status().code(),
            StatusCode::kInvalidArgument)
      << "user data over 16 KiB";
  c.aws.worker.ami.clear();
  const Status no_ami = Ec2DeploymentFor(c, kConfig, {}).status();
  EXPECT_EQ(no_ami.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(no_ami.message().find("[aws.worker] ami"), std::string::npos);
  c.pools.clear();
  EXPECT_EQ(Ec2DeploymentFor(c, kConfig, {}).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace spotbatch
