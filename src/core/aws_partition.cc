#include "core/aws_partition.h"

namespace spotbatch {
namespace {

struct Prefixed {
  std::string_view region_prefix;
  AwsPartition partition;
};

// From the SDKs' partition table (botocore's endpoints.json, "partitions").
constexpr Prefixed kPartitions[] = {
    {"cn-", {"aws-cn", "amazonaws.com.cn", "iam.cn-north-1.amazonaws.com.cn", "cn-north-1"}},
    {"us-gov-", {"aws-us-gov", "amazonaws.com", "iam.us-gov.amazonaws.com", "us-gov-west-1"}},
    {"us-iso-", {"aws-iso", "c2s.ic.gov", "iam.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"}},
    {"us-isob-",
     {"aws-iso-b", "sc2s.sgov.gov", "iam.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"}},
};
constexpr AwsPartition kCommercial = {"aws", "amazonaws.com", "iam.amazonaws.com", "us-east-1"};

}  // namespace

const AwsPartition& AwsPartitionOf(std::string_view region) {
  for (const Prefixed& p : kPartitions) {
    if (region.starts_with(p.region_prefix)) return p.partition;
  }
  return kCommercial;
}

}  // namespace spotbatch
