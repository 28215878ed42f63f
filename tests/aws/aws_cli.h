// The AWS CLI as an independent client of the emulator: what the tests create, upload and read
// back with it is checked by a second implementation of the same APIs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "common/time_format.h"

namespace spotbatch::testing {

// Runs `aws --endpoint-url ENDPOINT --output json ARGS` as `key`/`secret` in us-east-1, with no
// configuration files read; its stdout (and stderr), and whether it exited 0.
inline std::pair<std::string, bool> Aws(const std::string& endpoint, const std::string& args,
                                        const std::string& key = "testing",
                                        const std::string& secret = "testing") {
  const std::string command =
      "AWS_ACCESS_KEY_ID='" + key + "' AWS_SECRET_ACCESS_KEY='" + secret +
      "' AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
      "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true "
      "aws --endpoint-url " +
      endpoint + " --output json " + args + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return {"popen failed", false};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  return {out, ::pclose(p) == 0};
}

// The datapoints of spotbatch's metric `metric` with dimension Queue = `queue` from
// `from_millis` to `to_millis` in periods of `period_seconds`, each with `statistics`
// ("Maximum", "SampleCount Sum"), oldest first, as the CLI reads them back; an empty array
// (and a test failure) when it cannot.
inline nlohmann::json MetricDatapoints(const std::string& endpoint, const std::string& metric,
                                       const std::string& queue, const std::string& statistics,
                                       int period_seconds, int64_t from_millis, int64_t to_millis) {
  auto [out, ok] =
      Aws(endpoint,
          "cloudwatch get-metric-statistics --namespace spotbatch "
          "--metric-name " +
              metric + " --dimensions Name=Queue,Value=" + queue + " --statistics " + statistics +
              " --period " + std::to_string(period_seconds) + " --start-time " +
              FormatUtcTimestamp(from_millis) + " --end-time " + FormatUtcTimestamp(to_millis));
  EXPECT_TRUE(ok) << out;
  nlohmann::json points =
      ok ? nlohmann::json::parse(out).value("Datapoints", nlohmann::json::array())
         : nlohmann::json::array();
  std::sort(points.begin(), points.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a["Timestamp"].get<double>() < b["Timestamp"].get<double>();
  });
  return points;
}

}  // namespace spotbatch::testing
