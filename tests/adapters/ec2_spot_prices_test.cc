// DescribeSpotPriceHistory through the EC2 client: against moto (real requests, signed and
// parsed; its prices are a constant stub), and against a local server for what moto does not
// do (pages, throttling, refusals).
#include "adapters/aws/ec2_spot_prices.h"

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

std::unique_ptr<Ec2Client> ClientOf(const std::string& endpoint,
                                    testing::StaticCredentials& credentials) {
  auto c = Ec2Client::New({.endpoint = endpoint,
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

}  // namespace
}  // namespace spotbatch
