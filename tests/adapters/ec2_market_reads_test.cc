// DescribeSpotPriceHistory through the EC2 client: against moto (real requests, signed and
// parsed; its prices are a constant stub), and against a local server for what moto does not
// do (pages, throttling, refusals).
#include "adapters/aws/ec2_market_reads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "aws/local_http_server.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

std::unique_ptr<AwsQueryClient> ClientOf(const std::string& endpoint,
                                         testing::StaticCredentials& credentials) {
  auto c = AwsQueryClient::New({.endpoint = endpoint,
                                .region = "us-east-1",
                                .retry = {.max_attempts = 3, .base_delay_millis = 1}},
                               credentials, SystemClock());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

SpotPriceQuery Query(std::vector<std::string> types) {
  SpotPriceQuery q;
  q.instance_types = std::move(types);
  q.start_unix_millis = *ParseUtcTimestamp("2022-05-31T00:00:00Z");
  q.end_unix_millis = *ParseUtcTimestamp("2022-06-01T00:00:00Z");
  return q;
}

TEST(Ec2SpotPricesOnMoto, ReadsThePricesOfTheTypesAsked) {
  testing::MotoServer moto;
  ASSERT_FALSE(moto.endpoint().empty()) << moto.log();
  testing::StaticCredentials credentials;
  auto ec2 = ClientOf(moto.endpoint(), credentials);
  auto prices = DescribeSpotPriceHistory(*ec2, Query({"c5.large", "m5.xlarge"}));
  ASSERT_TRUE(prices.ok()) << prices.status().ToString();
  ASSERT_FALSE(prices->empty());
  std::set<std::string> types;
  for (const SpotPriceChange& c : *prices) {
    types.insert(c.instance_type);
    EXPECT_TRUE(c.zone.starts_with("us-east-1")) << c.zone;
    EXPECT_GT(c.usd_per_hour, 0);
  }
  EXPECT_EQ(types, (std::set<std::string>{"c5.large", "m5.xlarge"}));

  // A call EC2 refuses names its code.
  auto refused = ec2->Call("TerminateInstances", {{"InstanceId.1", "i-00000000000000000"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("TerminateInstances: InvalidInstanceID"),
            std::string::npos)
      << refused.status().ToString();
}

std::string Page(const std::string& zone, const std::string& token) {
  return "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
         "<spotPriceHistorySet><item><instanceType>c5.large</instanceType>"
         "<productDescription>Linux/UNIX</productDescription><spotPrice>0.0338</spotPrice>"
         "<timestamp>2022-05-31T18:48:13.000Z</timestamp><availabilityZone>" +
         zone + "</availabilityZone></item></spotPriceHistorySet><nextToken>" + token +
         "</nextToken></DescribeSpotPriceHistoryResponse>";
}

std::string Error(const std::string& code) {
  return "<Response><Errors><Error><Code>" + code + "</Code><Message>said " + code +
         "</Message></Error></Errors><RequestID>r</RequestID></Response>";
}

// EC2 pages by token, throttles with RequestLimitExceeded (503) and refuses with
// UnauthorizedOperation (403): the reader follows the pages to the end, sending the query
// again with each token, retries the throttled request and gives up at once on a refusal.
TEST(Ec2SpotPrices, FollowsEveryPageRetriesThrottlingAndStopsAtARefusal) {
  testing::LocalHttpServer ec2;
  std::mutex mu;
  std::vector<httplib::Params> asked;
  std::atomic<int> throttle_left{1};
  std::atomic<bool> refuse{false};
  ec2.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    {
      std::lock_guard<std::mutex> lock(mu);
      asked.push_back(form);
    }
    if (refuse) {
      res.status = 403;
      res.set_content(Error("UnauthorizedOperation"), "text/xml");
      return;
    }
    if (throttle_left-- > 0) {
      res.status = 503;
      res.set_content(Error("RequestLimitExceeded"), "text/xml");
      return;
    }
    const auto token = form.find("NextToken");
    const std::string at = token == form.end() ? "" : token->second;
    if (at.empty()) {
      res.set_content(Page("us-east-1a", "page 2/3"), "text/xml");
    } else if (at == "page 2/3") {
      res.set_content(Page("us-east-1b", "page+3"), "text/xml");
    } else {
      res.set_content(Page("us-east-1c", ""), "text/xml");
    }
  });
  testing::StaticCredentials credentials;
  auto client = ClientOf(ec2.endpoint(), credentials);
  auto prices = DescribeSpotPriceHistory(*client, Query({"c5.large"}));
  ASSERT_TRUE(prices.ok()) << prices.status().ToString();
  ASSERT_EQ(prices->size(), 3u);
  EXPECT_EQ((*prices)[0].zone, "us-east-1a");
  EXPECT_EQ((*prices)[2].zone, "us-east-1c");
  ASSERT_EQ(asked.size(), 4u) << "one throttled request, then three pages";
  for (const httplib::Params& form : asked) {
    EXPECT_EQ(form.find("Action")->second, "DescribeSpotPriceHistory");
    EXPECT_EQ(form.find("InstanceType.1")->second, "c5.large");
    EXPECT_EQ(form.find("StartTime")->second, "2022-05-31T00:00:00Z");
    EXPECT_EQ(form.find("MaxResults")->second, "1000");
  }
  EXPECT_EQ(asked[2].find("NextToken")->second, "page 2/3");
  EXPECT_EQ(asked[3].find("NextToken")->second, "page+3");

  refuse = true;
  const size_t before = asked.size();
  auto refused = DescribeSpotPriceHistory(*client, Query({"c5.large"}));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("UnauthorizedOperation: said"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(asked.size(), before + 1) << "a refusal is not retried";
}

TEST(Ec2SpotPrices, APageThatNamesItsOwnTokenEndsTheRead) {
  testing::LocalHttpServer ec2;
  ec2.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(Page("us-east-1a", "again"), "text/xml");
  });
  testing::StaticCredentials credentials;
  auto client = ClientOf(ec2.endpoint(), credentials);
  auto prices = DescribeSpotPriceHistory(*client, Query({"c5.large"}));
  EXPECT_EQ(prices.status().code(), StatusCode::kInternal) << prices.status().ToString();
}

TEST(Ec2SpotPrices, RefusesAQueryOutOfItsRangesBeforeSendingIt) {
  testing::StaticCredentials credentials;
  auto client = ClientOf("http://127.0.0.1:1", credentials);
  EXPECT_EQ(DescribeSpotPriceHistory(*client, Query({})).status().code(),
            StatusCode::kInvalidArgument);
  SpotPriceQuery backwards = Query({"c5.large"});
  std::swap(backwards.start_unix_millis, backwards.end_unix_millis);
  EXPECT_EQ(DescribeSpotPriceHistory(*client, backwards).status().code(),
            StatusCode::kInvalidArgument);
  SpotPriceQuery tiny = Query({"c5.large"});
  tiny.page_size = 1;
  EXPECT_EQ(DescribeSpotPriceHistory(*client, tiny).status().code(), StatusCode::kInvalidArgument);
}

TEST(Ec2Zones, ReadsTheZonesOfMotosRegion) {
  testing::MotoServer moto;
  ASSERT_FALSE(moto.endpoint().empty()) << moto.log();
  testing::StaticCredentials credentials;
  auto ec2 = ClientOf(moto.endpoint(), credentials);
  auto zones = DescribeAvailabilityZones(*ec2);
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  std::set<std::string> ids;
  for (const AvailabilityZone& z : *zones) {
    EXPECT_EQ(z.region, "us-east-1");
    EXPECT_TRUE(z.name.starts_with("us-east-1")) << z.name;
    EXPECT_TRUE(z.id.starts_with("use1-az")) << z.id;
    ids.insert(z.id);
  }
  EXPECT_EQ(ids.size(), 6u);
}

std::string ScorePage(const std::string& items, const std::string& token) {
  return "<GetSpotPlacementScoresResponse><spotPlacementScoreSet>" + items +
         "</spotPlacementScoreSet><nextToken>" + token +
         "</nextToken></GetSpotPlacementScoresResponse>";
}
std::string ScoreItem(const std::string& region, const std::string& zone, int score) {
  return "<item><region>" + region + "</region><availabilityZoneId>" + zone +
         "</availabilityZoneId><score>" + std::to_string(score) + "</score></item>";
}

// moto does not score: a local server pages the answer and mixes in another region's zones
// and a region's own score, which the reader drops.
TEST(Ec2PlacementScores, FollowsThePagesAndKeepsTheZonesOfTheRegion) {
  testing::LocalHttpServer ec2;
  std::mutex mu;
  std::vector<httplib::Params> asked;
  ec2.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    {
      std::lock_guard<std::mutex> lock(mu);
      asked.push_back(form);
    }
    if (form.find("NextToken") == form.end()) {
      res.set_content(
          ScorePage(ScoreItem("us-east-1", "use1-az4", 9) + ScoreItem("us-west-2", "usw2-az1", 10),
                    "more"),
          "text/xml");
    } else {
      res.set_content(ScorePage(ScoreItem("us-east-1", "use1-az1", 2) +
                                    "<item><region>us-east-1</region><score>5</score></item>",
                                ""),
                      "text/xml");
    }
  });
  testing::StaticCredentials credentials;
  auto client = ClientOf(ec2.endpoint(), credentials);
  auto scores =
      GetSpotPlacementScores(*client, {.instance_types = {"c5.xlarge", "c5a.xlarge", "m5.xlarge"},
                                       .target_capacity = 40,
                                       .region = "us-east-1"});
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  ASSERT_EQ(scores->size(), 2u);
  EXPECT_EQ((*scores)[0], (PlacementScore{"us-east-1", "use1-az4", 9}));
  EXPECT_EQ((*scores)[1], (PlacementScore{"us-east-1", "use1-az1", 2}));
  ASSERT_EQ(asked.size(), 2u);
  const httplib::Params& form = asked[0];
  EXPECT_EQ(form.find("Action")->second, "GetSpotPlacementScores");
  EXPECT_EQ(form.find("InstanceType.2")->second, "c5a.xlarge");
  EXPECT_EQ(form.find("TargetCapacity")->second, "40");
  EXPECT_EQ(form.find("TargetCapacityUnitType")->second, "units");
  EXPECT_EQ(form.find("SingleAvailabilityZone")->second, "true");
  EXPECT_EQ(form.find("RegionName.1")->second, "us-east-1");
  EXPECT_EQ(asked[1].find("NextToken")->second, "more");

  EXPECT_EQ(GetSpotPlacementScores(*client, {.instance_types = {}, .region = "us-east-1"})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      GetSpotPlacementScores(
          *client, {.instance_types = {"c5.xlarge"}, .target_capacity = 0, .region = "us-east-1"})
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(asked.size(), 2u) << "refused queries are not sent";
}

}  // namespace
}  // namespace spotbatch
