#include "apps/aws_deployment.h"

#include <algorithm>

#include "adapters/aws/asg_self.h"
#include "adapters/aws/dynamodb_items.h"  // Base64Encode
#include "apps/aws_policy.h"
#include "common/ids.h"

namespace spotbatch {
namespace {

// A YAML single-quoted scalar: every printable character stands for itself but the quote,
// which is doubled (the config's checks keep control characters out).
std::string YamlQuoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string FingerprintOf(const QueryParams& params) {
  QueryParams sorted = params;
  std::sort(sorted.begin(), sorted.end());
  std::string text;
  for (const auto& [k, v] : sorted) text += k + "=" + v + "\n";
  return Sha256Hex(text).substr(0, 32);
}

void AddList(QueryParams& p, const std::string& prefix, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    p.emplace_back(prefix + std::to_string(i + 1), values[i]);
  }
}

std::string Joined(const std::vector<std::string>& values, char sep) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : std::string(1, sep)) + v;
  return out;
}

}  // namespace

std::string LaunchTemplateName(const Config& config) {
  return "spotbatch-" + config.sqs_queue + "-worker";
}

std::string WorkerUserData(const Config& config, std::string_view config_text) {
  const AwsConfig::Worker& w = config.aws.worker;
  std::string out =
      "#cloud-config\n"
      "write_files:\n"
      "  - path: " +
      std::string(kInstanceConfigPath) +
      "\n"
      "    encoding: b64\n"
      "    permissions: '0600'\n"
      "    content: " +
      ddb::Base64Encode(config_text) + "\nruncmd:\n";
  for (const std::string& line : w.install) out += "  - [sh, -c, " + YamlQuoted(line) + "]\n";
  // systemd stops it with SIGTERM (the worker hands its task back) and waits past the
  // two-minute notice before SIGKILL; it restarts a worker that failed.
  out +=
      "  - [systemd-run, --unit=spotbatch-worker, --property=Restart=on-failure, "
      "--property=TimeoutStopSec=150, " +
      YamlQuoted(w.spotbatch) + ", worker, --on-ec2, -c, " + YamlQuoted(kInstanceConfigPath) +
      "]\n";
  return out;
}

Result<Ec2Deployment> Ec2DeploymentFor(const Config& config, std::string_view config_text,
                                       const std::vector<std::string>& region_zones) {
  if (!config.ec2_pools()) return FailedPrecondition("the config has no EC2 pools to deploy");
  const AwsConfig::Worker& w = config.aws.worker;
  if (w.ami.empty()) {
    return FailedPrecondition(
        "[aws.worker] ami is not set: the image the EC2 pools' instances boot (\"ami-...\" or "
        "\"resolve:ssm:PARAMETER\")");
  }
  const std::string user_data = WorkerUserData(config, config_text);
  if (user_data.size() > kMaxUserData) {
    return InvalidArgument("the instances' user data would be " + std::to_string(user_data.size()) +
                           " bytes with the config in it; EC2 takes at most 16384");
  }
  Ec2Deployment d;
  d.role = w.instance_profile;
  d.trust_policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
  d.worker_policy = AwsPolicyFor(config, AwsRole::kWorker, {}).dump();
  d.launch_template = LaunchTemplateName(config);
  // IMDSv2 only: the worker asks with a token, as anything on it should.
  d.template_data =
      QueryParams{{"LaunchTemplateData.ImageId", w.ami},
                  {"LaunchTemplateData.IamInstanceProfile.Name", d.role},
                  {"LaunchTemplateData.UserData", ddb::Base64Encode(user_data)},
                  {"LaunchTemplateData.MetadataOptions.HttpTokens", "required"},
                  {"LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit", "1"}};
  AddList(d.template_data, "LaunchTemplateData.SecurityGroupId.", w.security_groups);
  d.template_fingerprint = FingerprintOf(d.template_data);

  const std::string mip = "MixedInstancesPolicy.";
  const std::string lt = mip + "LaunchTemplate.";
  for (const PoolConfig& pool : config.pools) {
    Ec2GroupSpec g;
    g.name = pool.group;
    g.pool = pool.name;
    QueryParams p = {{"AutoScalingGroupName", pool.group},
                     {"MinSize", "0"},
                     {"MaxSize", std::to_string(pool.max_instances)},
                     {lt + "LaunchTemplateSpecification.LaunchTemplateName", d.launch_template},
                     {lt + "LaunchTemplateSpecification.Version", "$Latest"},
                     {"CapacityRebalance", pool.spot ? "true" : "false"},
                     {"NewInstancesProtectedFromScaleIn", "false"}};
    for (size_t i = 0; i < pool.instance_types.size(); ++i) {
      p.emplace_back(lt + "Overrides.member." + std::to_string(i + 1) + ".InstanceType",
                     pool.instance_types[i]);
    }
    const std::string dist = mip + "InstancesDistribution.";
    p.emplace_back(dist + "OnDemandBaseCapacity", "0");
    if (pool.spot) {
      p.emplace_back(dist + "OnDemandPercentageAboveBaseCapacity", "0");
      p.emplace_back(dist + "SpotAllocationStrategy", "price-capacity-optimized");
    } else {
      p.emplace_back(dist + "OnDemandPercentageAboveBaseCapacity", "100");
      p.emplace_back(dist + "OnDemandAllocationStrategy", "prioritized");
    }
    if (!w.subnets.empty()) {
      p.emplace_back("VPCZoneIdentifier", Joined(w.subnets, ','));
    } else {
      AddList(p, "AvailabilityZones.member.", pool.zones.empty() ? region_zones : pool.zones);
    }
    g.fingerprint = FingerprintOf(p);
    g.update = p;
    g.create = p;
    g.create.emplace_back("DesiredCapacity", "0");
    const std::string tag = "Tags.member.1.";
    g.create.insert(g.create.end(), {{tag + "Key", kSpecTag},
                                     {tag + "Value", g.fingerprint},
                                     {tag + "PropagateAtLaunch", "false"},
                                     {"Tags.member.2.Key", "spotbatch:pool"},
                                     {"Tags.member.2.Value", pool.name},
                                     {"Tags.member.2.PropagateAtLaunch", "true"}});
    d.groups.push_back(std::move(g));
  }
  return d;
}

}  // namespace spotbatch
