#include "adapters/aws/asg_xml.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

// A group as moto 5.2.1 answered DescribeAutoScalingGroups (its mixed-instances policy,
// launch template and other fields the fleet does not read kept), with a second instance
// in Terminating:Wait and a token added.
std::string Answer(const std::string& instances, const std::string& token = "",
                   const std::string& desired = "2") {
  return "<DescribeAutoScalingGroupsResponse "
         "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><"
         "DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>"
         "spotbatch-spot-c5</AutoScalingGroupName><AutoScalingGroupARN>arn:aws:autoscaling:us-"
         "east-1:123456789012:autoScalingGroup:eb2b8eee-2c30-4512-81ca-a91c734a3739:"
         "autoScalingGroupName/spotbatch-spot-c5</AutoScalingGroupARN><MixedInstancesPolicy><"
         "LaunchTemplate><LaunchTemplateSpecification><LaunchTemplateId>lt-32a9d9d8dc969a603</"
         "LaunchTemplateId><LaunchTemplateName>ltx</LaunchTemplateName><Version>$Latest</"
         "Version></LaunchTemplateSpecification><Overrides><member><InstanceType>c5.xlarge</"
         "InstanceType></member><member><InstanceType>m5.xlarge</InstanceType></member></"
         "Overrides></LaunchTemplate></MixedInstancesPolicy><MinSize>0</MinSize><MaxSize>3</"
         "MaxSize><DesiredCapacity>" +
         desired +
         "</DesiredCapacity><DefaultCooldown>300</DefaultCooldown><AvailabilityZones><member>us-"
         "east-1a</member><member>us-east-1b</member></AvailabilityZones><Instances>" +
         instances +
         "</Instances><CapacityRebalance>true</CapacityRebalance></member></AutoScalingGroups>" +
         (token.empty() ? "" : "<NextToken>" + token + "</NextToken>") +
         "</DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>JwYRvrIA7ZQSCm</"
         "RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>";
}
std::string Instance(const std::string& id, const std::string& state,
                     const std::string& protect = "false", const std::string& zone = "us-east-1b") {
  return "<member><InstanceId>" + id +
         "</InstanceId><InstanceType>c5.xlarge</InstanceType><AvailabilityZone>" + zone +
         "</AvailabilityZone><LifecycleState>" + state +
         "</LifecycleState><HealthStatus>Healthy</HealthStatus><LaunchTemplate><LaunchTemplateId>"
         "lt-32a9d9d8dc969a603</LaunchTemplateId><Version>1</Version></LaunchTemplate>"
         "<ProtectedFromScaleIn>" +
         protect + "</ProtectedFromScaleIn></member>";
}

TEST(ParseDescribeAutoScalingGroups, ReadsTheGroupsSizesAndInstances) {
  auto page = ParseDescribeAutoScalingGroups(
      Answer(Instance("i-e69684677b7c0faa2", "InService") +
                 Instance("i-0123456789abcdef0", "Terminating:Wait", "true", "us-east-1a"),
             "g1"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->groups.size(), 1u);
  const AsgGroup& g = page->groups[0];
  EXPECT_EQ(g.name, "spotbatch-spot-c5");
  EXPECT_EQ(g.min_size, 0);
  EXPECT_EQ(g.max_size, 3);
  EXPECT_EQ(g.desired_capacity, 2);
  ASSERT_EQ(g.instances.size(), 2u) << "the overrides' <member>s are not instances";
  EXPECT_EQ(g.instances[0], (AsgInstance{"i-e69684677b7c0faa2", "c5.xlarge", "us-east-1b",
                                         "InService", "Healthy", false}));
  EXPECT_EQ(g.instances[1].lifecycle_state, "Terminating:Wait");
  EXPECT_TRUE(g.instances[1].protected_from_scale_in);
  EXPECT_EQ(page->next_token, "g1");
  auto empty = ParseDescribeAutoScalingGroups(Answer(""));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->groups[0].instances.empty());
  EXPECT_EQ(empty->next_token, "");
}

TEST(ParseDescribeAutoScalingGroups, RefusesWhatIsNoGroup) {
  const std::vector<std::string> bad = {
      Answer(Instance("", "InService")),
      Answer(Instance("i-1 2", "InService")),
      Answer(Instance("i-1", "In Service")),
      Answer(Instance("i-1", "")),
      Answer(Instance("i-1", "InService", "yes")),
      Answer(Instance("i-1", "InService", "false", "US-EAST-1A")),
      Answer("", "", "-1"),
      Answer("", "", "1e3"),
      Answer("", "", "100001"),
      Answer("", "", ""),
      Answer("", std::string(5000, 't')),
      "<DescribeSpotPriceHistoryResponse/>",
      "not xml",
  };
  for (const std::string& body : bad) {
    auto page = ParseDescribeAutoScalingGroups(body);
    EXPECT_EQ(page.status().code(), StatusCode::kInternal) << body;
    EXPECT_LE(page.status().message().size(), 200u);
  }
}

// DescribeAutoScalingInstances as moto 5.2.1 answered it.
TEST(ParseDescribeAutoScalingInstances, ReadsEachInstancesGroup) {
  const std::string body =
      "<DescribeAutoScalingInstancesResponse xmlns=\"http://autoscaling.amazonaws.com/doc/"
      "2011-01-01/\"><DescribeAutoScalingInstancesResult><AutoScalingInstances><member>"
      "<InstanceId>i-3045363fcaa9ad716</InstanceId><InstanceType>c5.xlarge</InstanceType>"
      "<AutoScalingGroupName>g1</AutoScalingGroupName><AvailabilityZone>us-east-1a"
      "</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>Healthy"
      "</HealthStatus><LaunchTemplate><LaunchTemplateId>lt-0e1ab48bb9ca4c684</LaunchTemplateId>"
      "</LaunchTemplate><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>"
      "</AutoScalingInstances></DescribeAutoScalingInstancesResult><ResponseMetadata><RequestId>"
      "x</RequestId></ResponseMetadata></DescribeAutoScalingInstancesResponse>";
  auto members = ParseDescribeAutoScalingInstances(body);
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].group, "g1");
  EXPECT_EQ((*members)[0].instance.id, "i-3045363fcaa9ad716");
  std::string nameless = body;
  nameless.replace(nameless.find("<AutoScalingGroupName>g1"), 25, "<AutoScalingGroupName>");
  EXPECT_EQ(ParseDescribeAutoScalingInstances(nameless).status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseDescribeAutoScalingInstances(Answer("")).status().code(), StatusCode::kInternal);
}

TEST(ParseDescribeAutoScalingGroups, ReadsAGroupOfTenThousandInstancesAndItsTags) {
  // Auto Scaling lists every instance of a group in one answer: the largest pool a config
  // may name must fit the parser's bounds.
  std::string instances;
  for (int i = 0; i < 10'000; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "i-%017x", i);
    instances += Instance(id, "InService");
  }
  std::string body = Answer(instances);
  body.insert(body.find("</member></AutoScalingGroups>"),
              "<Tags><member><Key>spotbatch:spec</Key><Value>0a1b</Value></member></Tags>");
  auto page = ParseDescribeAutoScalingGroups(body);
  ASSERT_TRUE(page.ok()) << page.status().ToString() << " (" << body.size() << " bytes)";
  ASSERT_EQ(page->groups.size(), 1u);
  EXPECT_EQ(page->groups[0].instances.size(), 10'000u);
  EXPECT_EQ(page->groups[0].tags, (std::map<std::string, std::string>{{"spotbatch:spec", "0a1b"}}));
}

}  // namespace
}  // namespace spotbatch
