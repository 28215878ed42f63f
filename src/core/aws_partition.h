// AWS partitions: the commercial regions, China, GovCloud and the isolated regions differ in
// the DNS suffix of their endpoints, the name in their ARNs, and where IAM, a global service
// within each partition, is reached and signed for. A region names its partition.
#pragma once

#include <string_view>

namespace spotbatch {

struct AwsPartition {
  std::string_view name;        // of ARNs: "aws", "aws-cn", "aws-us-gov", ...
  std::string_view dns_suffix;  // of regional endpoints: "amazonaws.com", "amazonaws.com.cn"
  std::string_view iam_host;    // "iam.amazonaws.com", "iam.cn-north-1.amazonaws.com.cn"
  std::string_view iam_region;  // what IAM requests are signed for: "us-east-1", ...
};

// The partition of `region` ("cn-north-1": China's); the commercial one for every region
// that names no other (an unknown region is taken as commercial, as the SDKs do).
const AwsPartition& AwsPartitionOf(std::string_view region);

}  // namespace spotbatch
