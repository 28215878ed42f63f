// The Market on AWS against moto behind the EC2 harness (tests/aws/ec2_harness.h): real
// signed requests, moto's zones, and what moto lacks served from recorded real data — the
// DescribeSpotPriceHistory dump of 2022-05-31 and the SpotLake snapshot's placement scores —
// with the Spot Instance Advisor feed served over HTTP. The market's clock is a fake one set
// inside the dump's day, so that "now" has recorded prices.
#include "adapters/aws/ec2_market.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/spot_advisor_feed.h"
#include "aws/ec2_harness.h"
#include "aws/local_http_server.h"
#include "aws/moto_server.h"
#include "common/fake_clock.h"
#include "integration/cli_util.h"

namespace spotbatch {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
const std::string kDataDir = SPOTBATCH_DATA_DIR;
const std::string kAdvisorFile =
    kDataDir + "/market/spot-advisor/2025-06-28/spot-advisor-data.json";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// moto's names of us-east-1's zones (docs/moto-ec2-autoscaling.md: 1a..1f are use1-az6, az1,
// az2, az4, az3, az5).
constexpr char kAz4[] = "us-east-1d";
constexpr char kAz5[] = "us-east-1f";

GroupPoolSpec SpotPool() {
  return {.name = "spot-c5",
          .spot = true,
          .instance_types = {"c5.xlarge", "c5a.xlarge", "m5.xlarge"},
          .zones = {},
          .max_instances = 20};
}

class Ec2MarketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log();
    auto prices = LoadSpotPriceDump(kDataDir + "/market/spot_prices_2022-05-31.tsv");
    ASSERT_TRUE(prices.ok()) << prices.status().ToString();
    auto scores = LoadSpotLake(kDataDir + "/market/spotlake_2022-07-12.csv");
    ASSERT_TRUE(scores.ok()) << scores.status().ToString();
    harness_ =
        std::make_unique<testing::Ec2Harness>(moto_.endpoint(), "us-east-1", *prices, *scores);
    ASSERT_EQ(harness_->zones_known(), 6u) << "moto's us-east-1 has six zones";
    auto ec2 = AwsQueryClient::New({.endpoint = harness_->endpoint(),
                                    .region = "us-east-1",
                                    .retry = {.max_attempts = 2, .base_delay_millis = 1}},
                                   credentials_, clock_);
    ASSERT_TRUE(ec2.ok()) << ec2.status().ToString();
    ec2_ = std::move(*ec2);
  }

  std::unique_ptr<Ec2Market> Market(std::vector<GroupPoolSpec> pools,
                                    Ec2MarketOptions options = {}) {
    options.region = "us-east-1";
    options.pools = std::move(pools);
    auto market = Ec2Market::New(std::move(options), *ec2_, clock_);
    EXPECT_TRUE(market.ok()) << market.status().ToString();
    return market.ok() ? std::move(*market) : nullptr;
  }

  testing::MotoServer moto_;
  std::unique_ptr<testing::Ec2Harness> harness_;
  testing::StaticCredentials credentials_;
  FakeClock clock_{*ParseUtcTimestamp("2022-05-31T23:00:00Z")};
  std::unique_ptr<AwsQueryClient> ec2_;
};

// At 23:00 the recorded changes of the three types (Linux/UNIX) are: c5a 0.0758 in az4, m5
// 0.0696 in az5, 0.0680 in az4 and 0.0717 in az1, c5 0.0824 in az4 and 0.0850 in az2. SpotLake
// scores every zone of theirs 3, so all are candidates: m5.xlarge in az4 is the cheapest. The
// advisor (2025-06-28) puts m5.xlarge in us-east-1 in band 4 (">20%"); the shipped table
// prices it at 0.192 on demand.
TEST_F(Ec2MarketTest, QuotesTheCheapestTypeAndZoneAmongTheBestScoredZones) {
  testing::LocalHttpServer feed;
  const std::string advisor = ReadFile(kAdvisorFile);
  ASSERT_FALSE(advisor.empty());
  feed.server().Get("/spot-advisor-data.json",
                    [&](const httplib::Request&, httplib::Response& res) {
                      res.set_content(advisor, "application/json");
                    });
  Ec2MarketOptions options;
  const std::string url = feed.endpoint() + "/spot-advisor-data.json";
  options.advisor_bands = [url] { return ReadSpotAdvisorBands(url, "us-east-1"); };
  auto market = Market({SpotPool()}, options);
  ASSERT_NE(market, nullptr);

  auto quotes = market->GroupQuotes();
  ASSERT_TRUE(quotes.ok()) << quotes.status().ToString();
  ASSERT_EQ(quotes->size(), 1u);
  const GroupQuote& q = (*quotes)[0];
  EXPECT_EQ(q.quote.pool, "spot-c5");
  EXPECT_EQ(q.instance_type, "m5.xlarge");
  EXPECT_EQ(q.zone, kAz4);
  EXPECT_DOUBLE_EQ(q.quote.usd_per_hour, 0.0680);
  EXPECT_DOUBLE_EQ(q.quote.on_demand_usd_per_hour, 0.192);
  EXPECT_EQ(q.quote.interruption_band, 4);
  EXPECT_EQ(q.placement_score, 3);
  EXPECT_TRUE(q.quote.can_launch);

  // The request was the pool's: its types, its max_instances, one zone, the region.
  const auto asked = harness_->Requests("GetSpotPlacementScores");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].find("InstanceType.1")->second, "c5.xlarge");
  EXPECT_EQ(asked[0].find("InstanceType.3")->second, "m5.xlarge");
  EXPECT_EQ(asked[0].find("TargetCapacity")->second, "20");
  EXPECT_EQ(asked[0].find("SingleAvailabilityZone")->second, "true");
  EXPECT_EQ(asked[0].find("RegionName.1")->second, "us-east-1");
  EXPECT_EQ(harness_->Calls("DescribeAvailabilityZones"), 1) << "read once, for the scores";

  // az5 now scores best: its m5 price is the quote. At 2 everywhere, no launch would get
  // capacity. Scores are read again only once their period has passed.
  harness_->SetScore("use1-az5", 8);
  clock_.Advance(31 * kMinute);
  quotes = market->GroupQuotes();
  ASSERT_TRUE(quotes.ok()) << quotes.status().ToString();
  EXPECT_EQ((*quotes)[0].zone, kAz5);
  EXPECT_DOUBLE_EQ((*quotes)[0].quote.usd_per_hour, 0.0696);
  for (const char* az : {"use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"}) {
    harness_->SetScore(az, 2);
  }
  clock_.Advance(31 * kMinute);
  auto plain = market->Quotes();
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE((*plain)[0].can_launch);
  EXPECT_EQ(harness_->Calls("GetSpotPlacementScores"), 3);
  EXPECT_EQ(market->stats().advisor_reads, 1) << "the advisor is read every 6 hours";
}

TEST_F(Ec2MarketTest, ReadsOnlyTheChangesSinceTheLastReadAndOnlyWhenDue) {
  auto market = Market({SpotPool()});
  ASSERT_NE(market, nullptr);
  const int64_t t0 = clock_.NowUnixMillis();
  ASSERT_TRUE(market->Quotes().ok());
  clock_.Advance(4 * kMinute);
  ASSERT_TRUE(market->Quotes().ok());
  EXPECT_EQ(harness_->Calls("DescribeSpotPriceHistory"), 1) << "within the 5 minutes";
  clock_.Advance(2 * kMinute);
  ASSERT_TRUE(market->Quotes().ok());
  const auto asked = harness_->Requests("DescribeSpotPriceHistory");
  ASSERT_EQ(asked.size(), 2u);
  // The first read reaches back the history kept (24 h); the next from the last, less an
  // overlap of 5 minutes; both end now.
  EXPECT_EQ(asked[0].find("StartTime")->second, FormatUtcTimestamp(t0 - 24 * kHour));
  EXPECT_EQ(asked[0].find("EndTime")->second, FormatUtcTimestamp(t0));
  EXPECT_EQ(asked[1].find("StartTime")->second, FormatUtcTimestamp(t0 - 5 * kMinute));
  EXPECT_EQ(asked[1].find("ProductDescription.1")->second, "Linux/UNIX");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(asked[0].find("InstanceType." + std::to_string(i))->second,
              SpotPool().instance_types[static_cast<size_t>(i - 1)]);
  }
  // Reading the overlap again adds no point twice.
  const size_t points = market->stats().price_points;
  clock_.Advance(6 * kMinute);
  ASSERT_TRUE(market->Quotes().ok());
  EXPECT_EQ(market->stats().price_points, points);
  EXPECT_EQ(market->stats().price_reads, 3);
}

TEST_F(Ec2MarketTest, GoesOnWithTheLastPricesUntilTheyAreStale) {
  auto market = Market({SpotPool()});
  ASSERT_NE(market, nullptr);
  ASSERT_TRUE(market->Quotes().ok());
  // EC2 throttles every price read from now on (each is tried twice by the client).
  harness_->FailNext("DescribeSpotPriceHistory", 1000, 503, "RequestLimitExceeded");
  clock_.Advance(10 * kMinute);
  auto quotes = market->Quotes();
  ASSERT_TRUE(quotes.ok()) << "10 minutes old is not stale: " << quotes.status().ToString();
  EXPECT_DOUBLE_EQ((*quotes)[0].usd_per_hour, 0.0680);
  EXPECT_EQ(market->stats().failed_reads, 1);
  EXPECT_NE(market->stats().last_failure.find("RequestLimitExceeded"), std::string::npos);
  // A failed read is tried again after a fifth of the period, not at every call.
  const int calls = harness_->Calls("DescribeSpotPriceHistory");
  ASSERT_TRUE(market->Quotes().ok());
  EXPECT_EQ(harness_->Calls("DescribeSpotPriceHistory"), calls);
  clock_.Advance(21 * kMinute);
  quotes = market->Quotes();
  EXPECT_EQ(quotes.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(quotes.status().message().find("RequestLimitExceeded"), std::string::npos)
      << quotes.status().ToString();
  // Once EC2 answers again, so does the market.
  harness_->FailNext("DescribeSpotPriceHistory", 0, 503, "RequestLimitExceeded");
  clock_.Advance(1 * kMinute);
  EXPECT_TRUE(market->Quotes().ok());
}

TEST_F(Ec2MarketTest, ANeverReadMarketSaysWhyItHasNoQuotes) {
  harness_->FailNext("DescribeSpotPriceHistory", 1, 403, "UnauthorizedOperation");
  auto market = Market({SpotPool()});
  ASSERT_NE(market, nullptr);
  auto quotes = market->Quotes();
  EXPECT_EQ(quotes.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(quotes.status().message().find("UnauthorizedOperation"), std::string::npos)
      << quotes.status().ToString();
}

TEST_F(Ec2MarketTest, AnAccountThatMayNotScoreIsQuotedWithoutScores) {
  harness_->FailNext("GetSpotPlacementScores", 1, 403, "UnauthorizedOperation");
  auto market = Market({SpotPool()});
  ASSERT_NE(market, nullptr);
  auto quotes = market->GroupQuotes();
  ASSERT_TRUE(quotes.ok()) << quotes.status().ToString();
  EXPECT_EQ((*quotes)[0].placement_score, 0);
  EXPECT_TRUE((*quotes)[0].quote.can_launch);
  EXPECT_DOUBLE_EQ((*quotes)[0].quote.usd_per_hour, 0.0680);
  clock_.Advance(2 * kHour);
  ASSERT_TRUE(market->Quotes().ok());
  EXPECT_EQ(harness_->Calls("GetSpotPlacementScores"), 1) << "not asked again";
}

TEST_F(Ec2MarketTest, APoolOfFewerThanThreeTypesIsNotScored) {
  GroupPoolSpec pool = SpotPool();
  pool.instance_types = {"m5.xlarge", "c5.xlarge"};
  auto market = Market({pool});
  ASSERT_NE(market, nullptr);
  auto quotes = market->GroupQuotes();
  ASSERT_TRUE(quotes.ok()) << quotes.status().ToString();
  EXPECT_EQ(harness_->Calls("GetSpotPlacementScores"), 0);
  EXPECT_EQ((*quotes)[0].instance_type, "m5.xlarge");
  EXPECT_TRUE((*quotes)[0].quote.can_launch);
}

TEST_F(Ec2MarketTest, AnOnDemandPoolIsPricedFromTheTableWithoutCallingEc2) {
  GroupPoolSpec pool = SpotPool();
  pool.name = "od-c5";
  pool.spot = false;
  auto market = Market({pool});
  ASSERT_NE(market, nullptr);
  auto quotes = market->Quotes();
  ASSERT_TRUE(quotes.ok()) << quotes.status().ToString();
  EXPECT_FALSE((*quotes)[0].spot);
  EXPECT_DOUBLE_EQ((*quotes)[0].usd_per_hour, 0.154);  // c5a.xlarge
  EXPECT_EQ(harness_->Calls("DescribeSpotPriceHistory"), 0);
  EXPECT_EQ(harness_->Calls("GetSpotPlacementScores"), 0);
}

TEST_F(Ec2MarketTest, PriceHistoryIsTheCheapestPriceOverTimeReadBackWhenOlderThanMemory) {
  GroupPoolSpec pool = SpotPool();
  pool.instance_types = {"m5.xlarge"};
  pool.zones = {kAz4, kAz5};
  auto market = Market({pool}, {.history_millis = 2 * kHour});
  ASSERT_NE(market, nullptr);
  // In memory: m5 in az5 0.0696 from 20:18, in az4 0.0680 from 20:56.
  const int64_t from = *ParseUtcTimestamp("2022-05-31T21:00:00Z");
  const int64_t to = clock_.NowUnixMillis();
  auto recent = market->PriceHistory("spot-c5", from, to);
  ASSERT_TRUE(recent.ok()) << recent.status().ToString();
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].from_unix_millis, *ParseUtcTimestamp("2022-05-31T20:56:46Z"));
  EXPECT_DOUBLE_EQ((*recent)[0].usd_per_hour, 0.0680);
  EXPECT_EQ(harness_->Calls("DescribeSpotPriceHistory"), 1);
  // From 20:00 is further back than the 2 hours held: read for the pool, the window's own.
  auto older = market->PriceHistory("spot-c5", *ParseUtcTimestamp("2022-05-31T20:00:00Z"), to);
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ((*older)[0].from_unix_millis, *ParseUtcTimestamp("2022-05-31T20:18:01Z"));
  EXPECT_DOUBLE_EQ((*older)[0].usd_per_hour, 0.0696);
  EXPECT_DOUBLE_EQ((*older)[1].usd_per_hour, 0.0680);
  const auto asked = harness_->Requests("DescribeSpotPriceHistory");
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[1].find("StartTime")->second, "2022-05-31T20:00:00Z");

  EXPECT_EQ(market->PriceHistory("nope", from, to).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(market->PriceHistory("spot-c5", to, from).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Ec2MarketOptions, RefusesOptionsThatAreNoMarket) {
  testing::StaticCredentials credentials;
  auto ec2 = AwsQueryClient::New({.endpoint = "http://127.0.0.1:9", .region = "us-east-1"},
                                 credentials, SystemClock());
  ASSERT_TRUE(ec2.ok());
  auto refuse = [&](Ec2MarketOptions o) {
    return Ec2Market::New(std::move(o), **ec2, SystemClock()).status().code();
  };
  const GroupPoolSpec pool = SpotPool();
  EXPECT_EQ(refuse({.region = "", .pools = {pool}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(refuse({.region = "us-east-1", .pools = {}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(refuse({.region = "us-east-1", .pools = {pool, pool}}), StatusCode::kInvalidArgument);
  GroupPoolSpec typeless = pool;
  typeless.instance_types.clear();
  EXPECT_EQ(refuse({.region = "us-east-1", .pools = {typeless}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(refuse({.region = "us-east-1", .pools = {pool}, .price_refresh_millis = 0}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refuse({.region = "us-east-1", .pools = {pool}}), StatusCode::kOk);
}

TEST(SpotAdvisorFeed, ReadsTheBandsOfARegionFromAUrlOrAFile) {
  testing::LocalHttpServer feed;
  const std::string advisor = ReadFile(kAdvisorFile);
  feed.server().Get("/feed.json", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(advisor, "application/json");
  });
  feed.server().Get("/broken.json", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"spot_advisor\": 3}", "application/json");
  });
  auto bands = ReadSpotAdvisorBands(feed.endpoint() + "/feed.json", "us-east-1");
  ASSERT_TRUE(bands.ok()) << bands.status().ToString();
  EXPECT_EQ(bands->at("m5.xlarge"), 4);
  EXPECT_EQ(bands->at("c5.xlarge"), 0);
  auto from_file = ReadSpotAdvisorBands(kAdvisorFile, "us-east-1");
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(*from_file, *bands);
  // Other regions have their own bands.
  auto west = ReadSpotAdvisorBands(kAdvisorFile, "us-west-2");
  ASSERT_TRUE(west.ok());
  EXPECT_NE(*west, *bands);

  EXPECT_EQ(ReadSpotAdvisorBands(feed.endpoint() + "/missing.json", "us-east-1").status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(ReadSpotAdvisorBands(feed.endpoint() + "/broken.json", "us-east-1").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSpotAdvisorBands(kAdvisorFile, "xx-nowhere-1").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ReadSpotAdvisorBands("ftp://example/feed.json", "us-east-1").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadSpotAdvisorBands("/no/such/feed.json", "us-east-1").status().code(),
            StatusCode::kNotFound);
  // A server that is not there is a passing fault.
  EXPECT_EQ(ReadSpotAdvisorBands("http://127.0.0.1:9/feed.json", "us-east-1").status().code(),
            StatusCode::kUnavailable);
}

// `spotbatch market` on a config of EC2 pools: the binary reads EC2 (the harness: it is 2022's
// last recorded prices that are in force now) and the advisor file the config names.
TEST_F(Ec2MarketTest, TheMarketCommandQuotesEc2PoolsLive) {
  testing::TempDir dir;
  testing::WriteFile(dir / "sb.toml",
                     "[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\nec2 = \"" +
                         harness_->endpoint() +
                         "\"\n"
                         "[[fleet.pool]]\nname = \"spot-c5\"\nprovider = \"ec2\"\n"
                         "instance_types = [\"c5.xlarge\", \"c5a.xlarge\", "
                         "\"m5.xlarge\"]\nmax_instances = 20\n"
                         "[[fleet.pool]]\nname = \"od-c5\"\nprovider = \"ec2\"\n"
                         "market = \"on-demand\"\ninstance_types = [\"c5.xlarge\"]\n"
                         "[fleet.market]\nadvisor = \"" +
                         kAdvisorFile + "\"\n");
  const testing::CliEnv env = {{"AWS_ACCESS_KEY_ID", "testing"},
                               {"AWS_SECRET_ACCESS_KEY", "testing"},
                               {"AWS_PROFILE", std::nullopt},
                               {"AWS_CONFIG_FILE", dir / "none"},
                               {"AWS_SHARED_CREDENTIALS_FILE", dir / "none"}};
  auto r = testing::RunCli({"market", "-c", dir / "sb.toml", "--json"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["region"], "us-east-1");
  ASSERT_EQ(out["pools"].size(), 2u) << r.out;
  const auto& spot = out["pools"][0];
  EXPECT_EQ(spot["name"], "spot-c5");
  EXPECT_EQ(spot["instance_type"], "m5.xlarge");
  EXPECT_EQ(spot["zone"], kAz4);
  EXPECT_DOUBLE_EQ(spot["usd_per_hour"].get<double>(), 0.0680);
  EXPECT_DOUBLE_EQ(spot["on_demand_usd_per_hour"].get<double>(), 0.192);
  EXPECT_EQ(spot["placement_score"], 3);
  EXPECT_EQ(spot["interruption_band"], ">20%");
  EXPECT_EQ(spot["can_launch"], true);
  EXPECT_EQ(out["pools"][1]["market"], "on-demand");
  EXPECT_DOUBLE_EQ(out["pools"][1]["usd_per_hour"].get<double>(), 0.17);
  EXPECT_EQ(harness_->Calls("DescribeSpotPriceHistory"), 1);

  auto table = testing::RunCli({"market", "-c", dir / "sb.toml"}, "", env);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("| spot-c5 | spot | m5.xlarge | us-east-1d | 0.0680 | 0.1920 | 65% | 3 "
                           "| >20% | yes |"),
            std::string::npos)
      << table.out;
  // The simulator replays capacity traces, which EC2 pools have not.
  auto run = testing::RunCli({"simulate", "-c", dir / "sb.toml"}, "", env);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("EC2 pools"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace spotbatch
