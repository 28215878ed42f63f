// Metrics to CloudWatch (PutMetricData over the query protocol, aws_query_client.h): what the
// fleet manager publishes so that Auto Scaling can scale the groups by target tracking on the
// backlog per instance when the manager is not running (docs/adapters.md).
//
// A datum is checked before anything is sent: a name of 1..255 printable ASCII characters, a
// finite value CloudWatch can store (|v| < 2^360, as it says), at most 30 dimensions, each a
// name and a value of 1..255 characters. Data are sent 1000 a call (PutMetricData's limit),
// each with its own timestamp at standard resolution.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/aws/aws_query_client.h"
#include "spotbatch/status.h"

namespace spotbatch {

// Where spotbatch's own metrics go (apps/ec2_managed_fleet.h publishes; `aws policy` grants).
inline constexpr char kSpotbatchMetricNamespace[] = "spotbatch";

struct MetricDatum {
  std::string name;  // "BacklogPerInstance"
  double value = 0;
  std::string unit = "None";  // "Count", "Seconds", "None", ... (CloudWatch's units)
  std::vector<std::pair<std::string, std::string>> dimensions;
  int64_t unix_millis = 0;  // when it was measured
};

// OK for a datum CloudWatch would store; kInvalidArgument naming what is wrong otherwise.
Status CheckMetricDatum(const MetricDatum& d);

// The form of one PutMetricData call of `data` (at most 1000, each checked) under `space`.
QueryParams PutMetricDataParams(std::string_view space, std::span<const MetricDatum> data);

class CloudWatchMetrics {
 public:
  // `cloudwatch`: a client of kCloudWatchApi; it must outlive this. `space`: the namespace,
  // 1..255 characters not starting with "AWS/" (kInvalidArgument otherwise).
  static Result<CloudWatchMetrics> New(AwsQueryClient& cloudwatch, std::string space);

  // Sends `data`: kInvalidArgument naming the first datum that is not one, before any call;
  // the client's failures otherwise (a failed call leaves later batches unsent).
  Status Put(const std::vector<MetricDatum>& data);

  const std::string& space() const { return space_; }

 private:
  CloudWatchMetrics(AwsQueryClient& cloudwatch, std::string space)
      : cloudwatch_(&cloudwatch), space_(std::move(space)) {}
  AwsQueryClient* cloudwatch_;
  std::string space_;
};

}  // namespace spotbatch
