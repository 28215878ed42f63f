#include "adapters/aws/asg_xml.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

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

// Activities as the AWS CLI's documented example and the troubleshooting guide show them (a
// launch that succeeded; one that found no capacity), in the query protocol's XML.
std::string Activities(const std::string& members, const std::string& token = "") {
  return "<DescribeScalingActivitiesResponse "
         "xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><"
         "DescribeScalingActivitiesResult><Activities>" +
         members + "</Activities>" + (token.empty() ? "" : "<NextToken>" + token + "</NextToken>") +
         "</DescribeScalingActivitiesResult><ResponseMetadata><RequestId>7c6e177f</RequestId>"
         "</ResponseMetadata></DescribeScalingActivitiesResponse>";
}
std::string Activity(const std::string& id, const std::string& code, const std::string& description,
                     const std::string& message,
                     const std::string& start = "2026-11-30T20:53:29.930Z") {
  return "<member><ActivityId>" + id +
         "</ActivityId><AutoScalingGroupName>spotbatch-spot</AutoScalingGroupName><Description>" +
         description +
         "</Description><Cause>At 2026-11-30T20:53:25Z a user request explicitly set group "
         "desired capacity changing the desired capacity from 0 to 1.</Cause><StartTime>" +
         start + "</StartTime><EndTime>2026-11-30T20:54:02Z</EndTime><StatusCode>" + code +
         "</StatusCode>" +
         (message.empty() ? "" : "<StatusMessage>" + message + "</StatusMessage>") +
         "<Progress>100</Progress><Details>{&quot;Subnet ID&quot;:&quot;subnet-1&quot;}</Details>"
         "</member>";
}

TEST(ParseDescribeScalingActivities, ReadsLaunchesThatFailedAndThatDidNot) {
  const std::string no_capacity =
      "We currently do not have sufficient c5.xlarge capacity in the Availability Zone you "
      "requested (us-east-1a). Launching EC2 instance failed.";
  auto page = ParseDescribeScalingActivities(
      Activities(Activity("0c65d8a3-3bd5-4f5d-a3f1-a2b0b9c1f7e5", "Failed",
                          "Launching a new EC2 instance.  Status Reason: " + no_capacity,
                          no_capacity, "2026-11-30T21:00:00Z") +
                     Activity("f9f2d65b-f1f2-43e7-b46d-d86756459699", "Successful",
                              "Launching a new EC2 instance: i-4ba0837f", ""),
                 "tok"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->activities.size(), 2u);
  const AsgActivity& failed = page->activities[0];
  EXPECT_EQ(failed.id, "0c65d8a3-3bd5-4f5d-a3f1-a2b0b9c1f7e5");
  EXPECT_EQ(failed.group, "spotbatch-spot");
  EXPECT_EQ(failed.status_code, "Failed");
  EXPECT_EQ(failed.status_message, no_capacity);
  EXPECT_EQ(failed.start_unix_millis, *ParseUtcTimestamp("2026-11-30T21:00:00Z"));
  EXPECT_TRUE(failed.FailedLaunch());
  const AsgActivity& launched = page->activities[1];
  EXPECT_EQ(launched.status_code, "Successful");
  EXPECT_EQ(launched.start_unix_millis, *ParseUtcTimestamp("2026-11-30T20:53:29.930Z"));
  EXPECT_FALSE(launched.FailedLaunch());
  EXPECT_EQ(page->next_token, "tok");
  // A termination that failed is no failed launch.
  auto terminating = ParseDescribeScalingActivities(
      Activities(Activity("a1", "Cancelled", "Terminating EC2 instance: i-1", "")));
  ASSERT_TRUE(terminating.ok());
  EXPECT_FALSE(terminating->activities[0].FailedLaunch());
  auto none = ParseDescribeScalingActivities(Activities(""));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->activities.empty());
}

TEST(ParseDescribeScalingActivities, RefusesWhatIsNoActivity) {
  const std::string ok = "Launching a new EC2 instance: i-1";
  for (const std::string& bad : {
           Activity("Not An Id", "Successful", ok, ""),
           Activity("a1", "Fail3d", ok, ""),
           Activity("a1", "Failed", ok,
                    "a\x01"
                    "b"),
           Activity("a1", "Failed", std::string(kMaxAsgActivityTextBytes + 1, 'x'), ""),
           Activity("a1", "Failed", ok, "", "yesterday"),
       }) {
    auto page = ParseDescribeScalingActivities(Activities(bad));
    EXPECT_EQ(page.status().code(), StatusCode::kInternal) << bad;
  }
  EXPECT_FALSE(ParseDescribeScalingActivities(Answer("")).ok()) << "another document";
  auto prose = ParseDescribeScalingActivities(Activities(Activity("a1", "Failed", ok, "one\ntwo")));
  EXPECT_TRUE(prose.ok()) << "a message over two lines is prose";
}

}  // namespace
}  // namespace spotbatch
