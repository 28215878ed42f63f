// Metrics to CloudWatch: what is refused before any call, the form of PutMetricData, and
// data put on moto as the AWS CLI reads them back.
#include "adapters/aws/cloudwatch_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "aws/aws_cli.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

MetricDatum Datum(double value = 1) {
  return {"QueuedTasks", value, "Count", {{"Queue", "tasks"}}, SystemClock().NowUnixMillis()};
}

TEST(CheckMetricDatum, RefusesWhatCloudWatchWouldNotStoreNamingIt) {
  EXPECT_TRUE(CheckMetricDatum(Datum()).ok());
  EXPECT_TRUE(CheckMetricDatum(Datum(0)).ok());
  EXPECT_TRUE(CheckMetricDatum(Datum(-1e100)).ok());
  for (double bad : {std::nan(""), double{INFINITY}, 1e109, 1e-110}) {
    const Status s = CheckMetricDatum(Datum(bad));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("QueuedTasks"), std::string::npos) << s.message();
  }
  MetricDatum d = Datum();
  d.name = "";
  EXPECT_FALSE(CheckMetricDatum(d).ok());
  d.name = std::string(256, 'a');
  EXPECT_FALSE(CheckMetricDatum(d).ok());
  d = Datum();
  d.name = "Queued\nTasks";
  EXPECT_FALSE(CheckMetricDatum(d).ok());
  d = Datum();
  d.dimensions.assign(31, {"Queue", "tasks"});
  EXPECT_NE(CheckMetricDatum(d).message().find("30 dimensions"), std::string::npos);
  d = Datum();
  d.dimensions = {{"Queue", ""}};
  EXPECT_FALSE(CheckMetricDatum(d).ok());
  d = Datum();
  d.unix_millis = 0;
  EXPECT_FALSE(CheckMetricDatum(d).ok());
}

TEST(PutMetricDataParams, NamesEachDatumAndDimensionAsTheQueryProtocolDoes) {
  MetricDatum d = Datum(2.5);
  d.unix_millis = 1'700'000'000'123;
  d.dimensions.emplace_back("Pool", "spot");
  const QueryParams p = PutMetricDataParams("spotbatch", std::vector<MetricDatum>{d, Datum()});
  const QueryParams first(p.begin(), p.begin() + 9);
  EXPECT_EQ(first, (QueryParams{{"Namespace", "spotbatch"},
                                {"MetricData.member.1.MetricName", "QueuedTasks"},
                                {"MetricData.member.1.Value", "2.5"},
                                {"MetricData.member.1.Unit", "Count"},
                                {"MetricData.member.1.Timestamp", "2023-11-14T22:13:20.123Z"},
                                {"MetricData.member.1.Dimensions.member.1.Name", "Queue"},
                                {"MetricData.member.1.Dimensions.member.1.Value", "tasks"},
                                {"MetricData.member.1.Dimensions.member.2.Name", "Pool"},
                                {"MetricData.member.1.Dimensions.member.2.Value", "spot"}}));
  EXPECT_EQ(p[9].first, "MetricData.member.2.MetricName");
}

class CloudWatchMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log();
    client_ = *AwsQueryClient::New(
        {.endpoint = moto_.endpoint(), .region = "us-east-1", .api = kCloudWatchApi}, credentials_,
        SystemClock());
  }
  // The sample count and sum of `metric` over the last ten minutes, as the CLI reads them.
  std::pair<double, double> Read(const std::string& metric) {
    const int64_t now = SystemClock().NowUnixMillis();
    std::pair<double, double> total{0, 0};
    for (const auto& p :
         testing::MetricDatapoints(moto_.endpoint(), metric, "tasks", "SampleCount Sum", 3600,
                                   now - 600'000, now + 60'000)) {
      total.first += p["SampleCount"].get<double>();
      total.second += p["Sum"].get<double>();
    }
    return total;
  }
  testing::MotoServer moto_;
  testing::StaticCredentials credentials_;
  std::unique_ptr<AwsQueryClient> client_;
};

TEST_F(CloudWatchMetricsTest, PutsEveryDatumInCallsOfAThousand) {
  auto metrics = CloudWatchMetrics::New(*client_, "spotbatch");
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  std::vector<MetricDatum> data;
  for (int i = 0; i < 1001; ++i) data.push_back(Datum(i));
  ASSERT_TRUE(metrics->Put(data).ok());
  const auto [count, sum] = Read("QueuedTasks");
  EXPECT_EQ(count, 1001);
  EXPECT_EQ(sum, 1000 * 1001 / 2);
}

TEST_F(CloudWatchMetricsTest, AnyBadDatumSendsNothing) {
  auto metrics = CloudWatchMetrics::New(*client_, "spotbatch");
  ASSERT_TRUE(metrics.ok());
  std::vector<MetricDatum> data(1500, Datum());
  data.back().value = std::nan("");
  EXPECT_EQ(metrics->Put(data).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Read("QueuedTasks").first, 0) << "not even the first thousand";
}

TEST_F(CloudWatchMetricsTest, RefusesANamespaceOfAws) {
  EXPECT_EQ(CloudWatchMetrics::New(*client_, "AWS/EC2").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CloudWatchMetrics::New(*client_, "").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
