#include "core/aws_partition.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

TEST(AwsPartitionOf, TheRegionNamesItsPartition) {
  EXPECT_EQ(AwsPartitionOf("us-east-1").name, "aws");
  EXPECT_EQ(AwsPartitionOf("eu-central-2").name, "aws");
  EXPECT_EQ(AwsPartitionOf("cn-north-1").name, "aws-cn");
  EXPECT_EQ(AwsPartitionOf("cn-northwest-1").dns_suffix, "amazonaws.com.cn");
  EXPECT_EQ(AwsPartitionOf("cn-northwest-1").iam_region, "cn-north-1");
  EXPECT_EQ(AwsPartitionOf("us-gov-west-1").name, "aws-us-gov");
  EXPECT_EQ(AwsPartitionOf("us-gov-east-1").iam_region, "us-gov-west-1");
  EXPECT_EQ(AwsPartitionOf("us-iso-east-1").name, "aws-iso");
  EXPECT_EQ(AwsPartitionOf("us-isob-east-1").name, "aws-iso-b") << "not taken for aws-iso";
  EXPECT_EQ(AwsPartitionOf("us-isob-east-1").dns_suffix, "sc2s.sgov.gov");
}

TEST(AwsPartitionOf, ARegionOfNoKnownPartitionIsCommercial) {
  for (const char* region : {"", "*", "xx-new-1", "usgov-west-1"}) {
    EXPECT_EQ(AwsPartitionOf(region).name, "aws") << region;
    EXPECT_EQ(AwsPartitionOf(region).iam_host, "iam.amazonaws.com") << region;
  }
}

}  // namespace
}  // namespace spotbatch
