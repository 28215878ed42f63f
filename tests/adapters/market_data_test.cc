#include "adapters/local/market_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/on_demand_prices.h"
#include "test_util.h"

namespace spotbatch {
namespace {

const std::string kData = SPOTBATCH_DATA_DIR;

// Every malformed case must fail with kInvalidArgument and name the source and the problem.
template <typename Parse>
void ExpectRefused(Parse parse, const std::string& text, const std::string& why) {
  auto r = parse(text, "f.csv");
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  EXPECT_NE(r.status().message().find("f.csv"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(why), std::string::npos)
      << "\"" << text << "\": " << r.status().message();
}

TEST(SpotAdvisor, ReadsBothPublishedFeeds) {
  for (const char* date : {"2021-02-10", "2025-06-28"}) {
    auto a = LoadSpotAdvisor(kData + "/market/spot-advisor/" + date + "/spot-advisor-data.json");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->band_labels,
              (std::vector<std::string>{"<5%", "5-10%", "10-15%", "15-20%", ">20%"}));
    EXPECT_GT(a->entries.size(), 1000u);
    int max_savings = 0;
    for (const AdvisorEntry& e : a->entries) max_savings = std::max(max_savings, e.savings_percent);
    EXPECT_EQ(max_savings, 90) << "the reference architecture's \"up to 90%\"";
    EXPECT_EQ(a->instance_types.at("c5.xlarge").cores, 4);
  }
}

TEST(SpotAdvisor, MalformedFeedsAreRefused) {
  auto parse = [](const std::string& t, const std::string& s) { return ParseSpotAdvisor(t, s); };
  ExpectRefused(parse, "{", "not valid JSON");
  ExpectRefused(parse, "{}", "spot_advisor");
  ExpectRefused(parse, R"({"spot_advisor": {}})", "no pools");
  ExpectRefused(parse, R"({"spot_advisor": {"r": {"Linux": {"c5.xlarge": {"s": 50}}}}})",
                "spot_advisor.r.Linux.c5.xlarge");
  ExpectRefused(parse, R"({"spot_advisor": {"r": {"Linux": {"t": {"s": 150, "r": 0}}}}})",
                "savings 150%");
  ExpectRefused(parse, R"({"spot_advisor": {"r": {"Linux": {"t": {"s": 50, "r": 7}}}}})",
                "no interruption band 7");
  ExpectRefused(parse, R"({"ranges": [{"index": 3, "label": "x"}], "spot_advisor": {}})",
                "ranges[0]");
}

// Found by fuzz/spot_advisor_fuzzer: instance types with no cores, negative memory or more
// cores than an int holds (4294967297 became 1) were taken as they came.
TEST(SpotAdvisor, InstanceTypesOutOfRangeAreRefusedNotNarrowed) {
  auto parse = [](const std::string& t, const std::string& s) { return ParseSpotAdvisor(t, s); };
  const std::string pools = R"("spot_advisor": {"r": {"Linux": {"t": {"s": 10, "r": 1}}}})";
  ExpectRefused(parse,
                "{" + pools + R"(, "instance_types": {"t": {"cores": 4294967297, "ram_gb": 1}}})",
                "instance_types.t: cores must be 1 to 100000");
  ExpectRefused(parse, "{" + pools + R"(, "instance_types": {"t": {"cores": 0, "ram_gb": 1}}})",
                "cores must be");
  ExpectRefused(parse, "{" + pools + R"(, "instance_types": {"t": {"cores": 2, "ram_gb": -1.5}}})",
                "instance_types.t: ram_gb must be a positive number");
  auto ok = ParseSpotAdvisor(
      "{" + pools + R"(, "instance_types": {"t": {"cores": 2, "ram_gb": 0.5}}})", "f");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->instance_types.at("t").cores, 2);
}

TEST(OnDemandPrices, ReadsEverySnapshotAndTheLatestPrice) {
  auto p = LoadOnDemandPrices(kData + "/market/ondemand_us-east-1_linux.csv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->size(), 3561u);
  std::set<std::string> snapshots;
  for (const OnDemandPrice& x : *p) snapshots.insert(x.snapshot);
  EXPECT_EQ(snapshots.size(), 4u);
  const auto latest = LatestOnDemandPrices(*p, "us-east-1");
  EXPECT_DOUBLE_EQ(latest.at("p3.2xlarge"), 3.06);
  EXPECT_TRUE(LatestOnDemandPrices(*p, "eu-west-1").empty());
}

// The table compiled into spotbatch (data/market/ondemand_linux.csv) is the source's newest
// price of every type it lists, nothing more and nothing less.
TEST(OnDemandPrices, TheShippedTableIsTheLatestPriceOfEveryTypeOfItsSource) {
  auto p = LoadOnDemandPrices(kData + "/market/ondemand_us-east-1_linux.csv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const auto latest = LatestOnDemandPrices(*p, "us-east-1");
  EXPECT_EQ(ShippedOnDemandRates().size(), latest.size());
  for (const auto& [type, price] : latest) {
    EXPECT_EQ(ShippedOnDemandPrice(type, "us-east-1"), price) << type;
  }
}

TEST(OnDemandPrices, MalformedTablesAreRefused) {
  auto parse = [](const std::string& t, const std::string& s) { return ParseOnDemandPrices(t, s); };
  const std::string header =
      "snapshot_generated_at,source_commit,region,instance_type,ondemand_usd_per_hour\n";
  ExpectRefused(parse, "a,b\n", "line 1: header");
  ExpectRefused(parse, header, "no prices");
  ExpectRefused(parse, header + "s,c,us-east-1,m5.large\n", "line 2: expected 5 columns");
  ExpectRefused(parse, header + "s,c,us-east-1,m5.large,abc\n", "price \"abc\" is not a number");
  ExpectRefused(parse, header + "s,c,us-east-1,m5.large,-1\n", "out of range");
  ExpectRefused(parse, header + "s,c,,m5.large,1\n", "region is empty");
}

TEST(SpotLake, ReadsTheSnapshotWithBandsFromIf) {
  auto p = LoadSpotLake(kData + "/market/spotlake_2022-07-12.csv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->size(), 18198u);
  std::set<std::string> regions;
  int bands[kBandCount] = {};
  for (const SpotLakePool& x : *p) {
    regions.insert(x.region);
    ASSERT_GE(x.band, 0);
    ++bands[x.band];
  }
  EXPECT_EQ(regions.size(), 17u);
  EXPECT_EQ(bands[0], 5540) << "IF 3.0 is the calmest band";
  EXPECT_EQ(bands[4], 4390) << "IF 1.0 is the worst band";
}

TEST(SpotLake, MalformedSnapshotsAreRefused) {
  auto parse = [](const std::string& t, const std::string& s) { return ParseSpotLake(t, s); };
  const std::string header = "SpotPrice,Savings,SPS,AZ,Region,InstanceType,IF,time\n";
  ExpectRefused(parse, "x\n", "header");
  ExpectRefused(parse, header + "1,70,1,use1-az1,us-east-1,m5.large,2.2,t\n", "IF \"2.2\"");
  ExpectRefused(parse, header + "1,170,1,use1-az1,us-east-1,m5.large,2.0,t\n", "Savings");
  ExpectRefused(parse, header + "1,70,0,use1-az1,us-east-1,m5.large,2.0,t\n", "SPS");
  ExpectRefused(parse, header + "x,70,1,use1-az1,us-east-1,m5.large,2.0,t\n", "SpotPrice");
}

TEST(SpotPriceDump, ReadsEveryRecord) {
  auto p = LoadSpotPriceDump(kData + "/market/spot_prices_2022-05-31.tsv");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->size(), 33362u);
  const SpotPriceRecord& first = p->front();
  EXPECT_EQ(first.zone_id, "euw3-az2");
  EXPECT_EQ(first.product, "Linux/UNIX");
  EXPECT_DOUBLE_EQ(first.usd_per_hour, 0.4664);
  EXPECT_EQ(first.unix_millis, 1654021241000);  // 2022-05-31T18:20:41Z
}

TEST(SpotPriceDump, MalformedDumpsAreRefused) {
  auto parse = [](const std::string& t, const std::string& s) { return ParseSpotPriceDump(t, s); };
  ExpectRefused(parse, "", "no prices");
  ExpectRefused(parse, "a\tb\tc\t1\n", "expected 5 columns");
  ExpectRefused(parse, "a\tb\tc\t1\t2022-05-31T18:20:41+02:00\n", "not UTC");
  ExpectRefused(parse, "a\tb\tc\tx\t2022-05-31T18:20:41Z\n", "price");
}

TEST(PriceSeries, Reads2016SeriesAndRepeatsPastTheEnd) {
  auto p = LoadPriceSeries(kData + "/traces/price-2016/m4xlarge/useast1a.txt");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->gap_millis, 300'000);
  EXPECT_GT(p->usd_per_hour.size(), 10'000u);
  EXPECT_DOUBLE_EQ(p->At(0), 0.0334);
  EXPECT_DOUBLE_EQ(p->At(p->span_millis()), p->At(0));
  EXPECT_DOUBLE_EQ(PriceSeries::Constant(0.97).At(123'456'789), 0.97);
}

TEST(PriceSeries, MalformedSeriesAreRefused) {
  auto parse = [](const std::string& t, const std::string& s) { return ParsePriceSeries(t, s); };
  ExpectRefused(parse, "0.1\n", "first line must be \"x\"");
  ExpectRefused(parse, "x\n", "no prices");
  ExpectRefused(parse, "x\n0.1\nnan\n", "line 3");
}

TEST(AsgSizeTrace, StepsBecomeInstanceCountsPerTick) {
  auto t = ParseAsgSizeTrace("0,2\n90,5\n200,1\n", "f.csv", /*t_in_hours=*/false, 60);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(t->binary);
  EXPECT_EQ(t->values, (std::vector<int32_t>{2, 2, 5, 5}));  // ticks at 0, 60, 120, 180
  auto hours = ParseAsgSizeTrace("0,1\n0.05,3\n", "f.csv", /*t_in_hours=*/true, 60);
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(hours->values, (std::vector<int32_t>{1, 1, 1, 3}));  // 0.05 h = 180 s
}

TEST(AsgSizeTrace, TimeUnitFollowsTheFileName) {
  const std::string dir = kData + "/traces/asg-size-2020/";
  auto seconds = LoadAsgSizeTrace(
      dir + "aws-spot-instances-g4dn-xlarge-us-east-1c-2020-11-20-1930-to-2020-11-21-2200.csv");
  auto scaled = LoadAsgSizeTrace(
      dir +
      "aws-spot-instances-g4dn-xlarge-us-east-1c-2020-11-20-1930-to-2020-11-21-2200_scaled.csv");
  auto days = LoadAsgSizeTrace(dir + "aws-spot-instances-p2-xlarge-2020-11-20-to-2020-11-23.csv");
  ASSERT_TRUE(seconds.ok() && scaled.ok() && days.ok());
  // The same 24.5 hours either way (88,194 s; 24.498 h).
  EXPECT_NEAR(static_cast<double>(seconds->span_millis()), 88'194'000, 60'000);
  EXPECT_NEAR(static_cast<double>(scaled->span_millis()), 88'192'800, 60'000);
  EXPECT_NEAR(static_cast<double>(days->span_millis()) / 3.6e6, 88.7, 0.1);
  EXPECT_EQ(*std::max_element(days->values.begin(), days->values.end()), 16);
}

TEST(AsgSizeTrace, MalformedTracesAreRefused) {
  auto parse = [](const std::string& t, const std::string& s) {
    return ParseAsgSizeTrace(t, s, false, 60);
  };
  ExpectRefused(parse, "", "no steps");
  ExpectRefused(parse, "10,1\n5,2\n", "line 2: time goes backwards");
  ExpectRefused(parse, "0,1.5\n", "instance count");
  ExpectRefused(parse, "-1,1\n", "time");
  ExpectRefused(parse, "0,1,2\n", "expected 2 columns");
}

TEST(MarketData, MissingFilesAreNotFound) {
  EXPECT_EQ(LoadSpotAdvisor("/nonexistent/a.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadOnDemandPrices("/nonexistent/a.csv").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadSpotLake("/nonexistent/a.csv").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadSpotPriceDump("/nonexistent/a.tsv").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadPriceSeries("/nonexistent/a.txt").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadAsgSizeTrace("/nonexistent/a.csv").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace spotbatch
