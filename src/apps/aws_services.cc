#include "apps/aws_services.h"

#include "core/aws_names.h"
#include "core/aws_partition.h"

namespace spotbatch {

Result<std::string> AwsRegionFor(const Config& config, const EnvLookup& env) {
  if (!config.aws.region.empty()) return config.aws.region;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    const std::optional<std::string> value = env(name);
    if (!value || value->empty()) continue;
    if (Status s = ValidateAwsRegion(*value); !s.ok()) {
      return InvalidArgument(std::string(name) + ": " + s.message());
    }
    return *value;
  }
  return FailedPrecondition(
      "no AWS region: set [aws] region in the config, or AWS_REGION or AWS_DEFAULT_REGION");
}

std::string AwsEndpointFor(const Config& config, const std::string& service,
                           const std::string& region) {
  auto it = config.aws.endpoints.find(service);
  if (it != config.aws.endpoints.end()) return it->second;
  const AwsPartition& partition = AwsPartitionOf(region);
  if (service == "iam") return "https://" + std::string(partition.iam_host);  // global
  // CloudWatch's hosts are named for its signing name.
  const std::string host = service == "cloudwatch" ? "monitoring" : service;
  return "https://" + host + "." + region + "." + std::string(partition.dns_suffix);
}

Result<std::unique_ptr<AwsQueryClient>> AwsQueryClientFor(const Config& config,
                                                          const std::string& service, QueryApi api,
                                                          const std::string& region,
                                                          CredentialsProvider& credentials,
                                                          Clock& clock) {
  return AwsQueryClient::New(
      {.endpoint = AwsEndpointFor(config, service, region),
       .region = service == "iam" ? std::string(AwsPartitionOf(region).iam_region) : region,
       .api = api},
      credentials, clock);
}

Result<std::unique_ptr<CredentialsProvider>> AwsCredentialsFor(const Config& config,
                                                               const EnvLookup& env, Clock& clock,
                                                               const std::string& imds_endpoint) {
  StandardChainOptions options;
  options.env = env;
  options.home_dir = env("HOME").value_or("");
  options.profile = config.aws.profile;
  std::string endpoint = imds_endpoint;
  if (endpoint.empty()) endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("");
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (!endpoint.empty()) options.imds = ImdsOptions{.endpoint = endpoint};
  return NewStandardCredentialsChain(std::move(options), clock);
}

}  // namespace spotbatch
