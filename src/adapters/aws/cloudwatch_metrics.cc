#include "adapters/aws/cloudwatch_metrics.h"

#include <cmath>

#include "common/time_format.h"

namespace spotbatch {
namespace {

constexpr size_t kMaxDataPerCall = 1000;
constexpr size_t kMaxDimensions = 30;
constexpr size_t kMaxNameLength = 255;

bool PrintableName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

Status CheckMetricDatum(const MetricDatum& d) {
  if (!PrintableName(d.name)) {
    return InvalidArgument("metric name must be 1 to 255 printable ASCII characters");
  }
  // CloudWatch refuses values outside 8.515920e-109 .. 1.174271e+108 in magnitude (and
  // non-numbers); zero is stored.
  const double magnitude = std::fabs(d.value);
  if (!std::isfinite(d.value) || magnitude > 1.174271e108 ||
      (magnitude != 0 && magnitude < 8.515920e-109)) {
    return InvalidArgument("metric " + d.name + ": value is outside what CloudWatch stores");
  }
  if (!PrintableName(d.unit)) return InvalidArgument("metric " + d.name + ": no unit");
  if (d.dimensions.size() > kMaxDimensions) {
    return InvalidArgument("metric " + d.name + ": more than 30 dimensions");
  }
  for (const auto& [name, value] : d.dimensions) {
    if (!PrintableName(name) || !PrintableName(value)) {
      return InvalidArgument("metric " + d.name +
                             ": a dimension's name and value must be 1 to 255 printable ASCII "
                             "characters");
    }
  }
  if (d.unix_millis <= 0) return InvalidArgument("metric " + d.name + ": no timestamp");
  return Status::Ok();
}

QueryParams PutMetricDataParams(std::string_view space, std::span<const MetricDatum> data) {
  QueryParams params = {{"Namespace", std::string(space)}};
  for (size_t i = 0; i < data.size(); ++i) {
    const MetricDatum& d = data[i];
    const std::string m = "MetricData.member." + std::to_string(i + 1) + ".";
    char value[32];
    std::snprintf(value, sizeof value, "%.17g", d.value);
    params.insert(params.end(), {{m + "MetricName", d.name},
                                 {m + "Value", value},
                                 {m + "Unit", d.unit},
                                 {m + "Timestamp", FormatUtcTimestamp(d.unix_millis, true)}});
    for (size_t j = 0; j < d.dimensions.size(); ++j) {
      const std::string dim = m + "Dimensions.member." + std::to_string(j + 1) + ".";
      params.emplace_back(dim + "Name", d.dimensions[j].first);
      params.emplace_back(dim + "Value", d.dimensions[j].second);
    }
  }
  return params;
}

Result<CloudWatchMetrics> CloudWatchMetrics::New(AwsQueryClient& cloudwatch, std::string space) {
  if (!PrintableName(space) || space.starts_with("AWS/")) {
    return InvalidArgument("metric namespace \"" + space +
                           "\" must be 1 to 255 printable characters, not starting with AWS/");
  }
  return CloudWatchMetrics(cloudwatch, std::move(space));
}

Status CloudWatchMetrics::Put(const std::vector<MetricDatum>& data) {
  for (const MetricDatum& d : data) SB_RETURN_IF_ERROR(CheckMetricDatum(d));
  for (size_t from = 0; from < data.size(); from += kMaxDataPerCall) {
    const size_t to = std::min(data.size(), from + kMaxDataPerCall);
    const std::vector<MetricDatum> batch(data.begin() + from, data.begin() + to);
    SB_RETURN_IF_ERROR(
        cloudwatch_->Call("PutMetricData", PutMetricDataParams(space_, batch)).status());
  }
  return Status::Ok();
}

}  // namespace spotbatch
