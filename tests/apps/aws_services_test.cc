#include "apps/aws_services.h"

#include <gtest/gtest.h>

#include <map>

#include "common/fake_clock.h"

namespace spotbatch {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AwsRegionFor, ConfigThenAwsRegionThenAwsDefaultRegion) {
  Config c;
  EXPECT_EQ(*AwsRegionFor(c, Env({{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "x"}})),
            "eu-west-1");
  EXPECT_EQ(*AwsRegionFor(c, Env({{"AWS_DEFAULT_REGION", "ap-south-1"}})), "ap-south-1");
  c.aws.region = "us-west-2";
  EXPECT_EQ(*AwsRegionFor(c, Env({{"AWS_REGION", "eu-west-1"}})), "us-west-2");
}

TEST(AwsRegionFor, NoneOrABadOneSaysWhat) {
  auto none = AwsRegionFor(Config{}, Env({}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("AWS_DEFAULT_REGION"), std::string::npos);
  auto bad = AwsRegionFor(Config{}, Env({{"AWS_REGION", "evil.com/x"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("AWS_REGION"), std::string::npos);
}

TEST(AwsEndpointFor, GivenEndpointsWinElseTheRegionalOne) {
  Config c;
  c.aws.endpoints["sqs"] = "http://127.0.0.1:4566";
  EXPECT_EQ(AwsEndpointFor(c, "sqs", "us-east-1"), "http://127.0.0.1:4566");
  EXPECT_EQ(AwsEndpointFor(c, "dynamodb", "eu-west-1"), "https://dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(AwsEndpointFor(c, "cloudwatch", "eu-west-1"),
            "https://monitoring.eu-west-1.amazonaws.com")
      << "CloudWatch's hosts carry its signing name";
}

// China's, GovCloud's and the isolated regions' endpoints end in their partition's suffix, and
// IAM, global within a partition, has one host in each.
TEST(AwsEndpointFor, EachPartitionItsSuffixAndItsIam) {
  const Config c;
  EXPECT_EQ(AwsEndpointFor(c, "sqs", "cn-northwest-1"),
            "https://sqs.cn-northwest-1.amazonaws.com.cn");
  EXPECT_EQ(AwsEndpointFor(c, "iam", "cn-northwest-1"), "https://iam.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(AwsEndpointFor(c, "iam", "us-gov-east-1"), "https://iam.us-gov.amazonaws.com");
  EXPECT_EQ(AwsEndpointFor(c, "ec2", "us-gov-east-1"), "https://ec2.us-gov-east-1.amazonaws.com");
  EXPECT_EQ(AwsEndpointFor(c, "iam", "eu-west-1"), "https://iam.amazonaws.com");
  EXPECT_EQ(AwsEndpointFor(c, "s3", "us-iso-east-1"), "https://s3.us-iso-east-1.c2s.ic.gov");
}

TEST(AwsCredentialsFor, TheEnvironmentAndNoMetadataServiceUnasked) {
  FakeClock clock;
  Config c;
  auto env_chain = AwsCredentialsFor(
      c, Env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "secret"}}), clock,
      "");
  ASSERT_TRUE(env_chain.ok()) << env_chain.status().ToString();
  auto creds = (*env_chain)->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->access_key_id, "AKIDEXAMPLE");
  // Nothing set and no metadata endpoint named: the instance role is not asked.
  auto none = AwsCredentialsFor(c, Env({{"HOME", "/nonexistent"}}), clock, "");
  ASSERT_TRUE(none.ok());
  auto missing = (*none)->Get();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("instance role: not tried: no metadata endpoint"),
            std::string::npos)
      << missing.status().message();
}

}  // namespace
}  // namespace spotbatch
