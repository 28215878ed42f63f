// What the AWS adapters of a config need besides their own options: the region, each
// service's endpoint and the credentials (the standard chain of credentials_chain.h).
#pragma once

#include <memory>
#include <string>

#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/credentials_chain.h"
#include "apps/config.h"

namespace spotbatch {

// [aws] region, else $AWS_REGION, else $AWS_DEFAULT_REGION (as the AWS CLI looks).
// kFailedPrecondition naming the three when none is set; kInvalidArgument for a variable's
// value that is no region.
Result<std::string> AwsRegionFor(const Config& config, const EnvLookup& env);

// [aws.endpoints] <service>, else AWS's regional endpoint "https://<service>.<region>.
// <suffix>", the suffix of the region's partition ("amazonaws.com", China's
// "amazonaws.com.cn"; S3's too: virtual-host requests prefix the bucket to it; "cloudwatch"
// is "https://monitoring.<region>.<suffix>"), and IAM's the partition's global one
// ("https://iam.amazonaws.com", "https://iam.cn-north-1.amazonaws.com.cn").
std::string AwsEndpointFor(const Config& config, const std::string& service,
                           const std::string& region);

// A client of the query-protocol service `service` (a key of [aws.endpoints]: "ec2",
// "autoscaling", "cloudwatch", "iam") speaking `api`, at AwsEndpointFor's endpoint, signed for
// `region` (IAM, a global service, for its partition's region: us-east-1 in the commercial
// one). Fails as AwsQueryClient::New does.
Result<std::unique_ptr<AwsQueryClient>> AwsQueryClientFor(const Config& config,
                                                          const std::string& service, QueryApi api,
                                                          const std::string& region,
                                                          CredentialsProvider& credentials,
                                                          Clock& clock);

// The standard chain with [aws] profile. The instance role is asked only where the metadata
// service was named: $AWS_EC2_METADATA_SERVICE_ENDPOINT, or `imds_endpoint` (the worker's
// --on-ec2 or --metadata-url): spotbatch never sends a packet to EC2's metadata address
// unasked. `clock` must outlive the provider.
Result<std::unique_ptr<CredentialsProvider>> AwsCredentialsFor(const Config& config,
                                                               const EnvLookup& env, Clock& clock,
                                                               const std::string& imds_endpoint);

}  // namespace spotbatch
