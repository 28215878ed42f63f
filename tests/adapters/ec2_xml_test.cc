#include "adapters/aws/ec2_xml.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace spotbatch {
namespace {

// EC2's answer as it writes one (namespace, requestId, item order of the API reference), with
// prices of c5.large in us-east-1 from the shared DescribeSpotPriceHistory dump of
// 2022-05-31 (data/README.md).
std::string Answer(const std::string& items, const std::string& token = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
         "  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n"
         "  <spotPriceHistorySet>\n" +
         items + "  </spotPriceHistorySet>\n  <nextToken>" + token +
         "</nextToken>\n</DescribeSpotPriceHistoryResponse>\n";
}
std::string Item(const std::string& type, const std::string& product, const std::string& price,
                 const std::string& when, const std::string& zone) {
  return "    <item>\n      <instanceType>" + type + "</instanceType>\n      <productDescription>" +
         product + "</productDescription>\n      <spotPrice>" + price +
         "</spotPrice>\n      <timestamp>" + when + "</timestamp>\n      <availabilityZone>" +
         zone + "</availabilityZone>\n    </item>\n";
}

TEST(ParseDescribeSpotPriceHistory, ReadsEveryPriceChangeAndTheToken) {
  auto page = ParseDescribeSpotPriceHistory(
      Answer(Item("c5.large", "Linux/UNIX", "0.033800", "2022-05-31T18:48:13.000Z", "us-east-1a") +
                 Item("c5.large", "Windows", "0.124400", "2022-05-31T18:48:13.000Z", "us-east-1f"),
             "eyJ2IjoiMiIsImMiOiJhYmMifQ=="));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->changes.size(), 2u);
  const SpotPriceChange& linux = page->changes[0];
  EXPECT_EQ(linux.zone, "us-east-1a");
  EXPECT_EQ(linux.instance_type, "c5.large");
  EXPECT_EQ(linux.product, "Linux/UNIX");
  EXPECT_DOUBLE_EQ(linux.usd_per_hour, 0.0338);
  EXPECT_EQ(linux.unix_millis, *ParseUtcTimestamp("2022-05-31T18:48:13Z"));
  EXPECT_EQ(page->changes[1].product, "Windows");
  EXPECT_DOUBLE_EQ(page->changes[1].usd_per_hour, 0.1244);
  EXPECT_EQ(page->next_token, "eyJ2IjoiMiIsImMiOiJhYmMifQ==");
}

TEST(ParseDescribeSpotPriceHistory, AnEmptyLastPageHasNoToken) {
  auto page = ParseDescribeSpotPriceHistory(Answer(""));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->changes.empty());
  EXPECT_EQ(page->next_token, "");
  // A page without the set or the token at all reads the same.
  auto bare = ParseDescribeSpotPriceHistory(
      "<DescribeSpotPriceHistoryResponse></DescribeSpotPriceHistoryResponse>");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(bare->changes.empty());
}

TEST(ParseDescribeSpotPriceHistory, RefusesWhatIsNoPriceOfAPool) {
  const std::string ok_when = "2022-05-31T18:48:13.000Z";
  const std::vector<std::string> bad = {
      Item("c5.large", "Linux/UNIX", "-0.1", ok_when, "us-east-1a"),
      Item("c5.large", "Linux/UNIX", "1e3", ok_when, "us-east-1a"),
      Item("c5.large", "Linux/UNIX", "0.1.2", ok_when, "us-east-1a"),
      Item("c5.large", "Linux/UNIX", "", ok_when, "us-east-1a"),
      Item("c5.large", "Linux/UNIX", "99999", ok_when, "us-east-1a"),
      Item("c5.large", "Linux/UNIX", "0.1", "yesterday", "us-east-1a"),
      Item("c5.large", "Linux/UNIX", "0.1", ok_when, "US-EAST-1A"),
      Item("c5.large", "Linux/UNIX", "0.1", ok_when, ""),
      Item("c5 large", "Linux/UNIX", "0.1", ok_when, "us-east-1a"),
      Item("c5.large", "", "0.1", ok_when, "us-east-1a"),
      Item("c5.large", "Linux\x01", "0.1", ok_when, "us-east-1a"),
  };
  for (const std::string& item : bad) {
    auto page = ParseDescribeSpotPriceHistory(Answer(item));
    EXPECT_EQ(page.status().code(), StatusCode::kInternal) << item;
    EXPECT_LE(page.status().message().size(), 200u);
  }
  EXPECT_EQ(ParseDescribeSpotPriceHistory("<Other/>").status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseDescribeSpotPriceHistory("not xml").status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseDescribeSpotPriceHistory(Answer("", std::string(5000, 't'))).status().code(),
            StatusCode::kInternal);
  EXPECT_EQ(ParseDescribeSpotPriceHistory(std::string(kMaxEc2XmlBytes + 1, ' ')).status().code(),
            StatusCode::kInternal);
}

// GetSpotPlacementScores as EC2 writes it (its service model: spotPlacementScoreSet of items
// with region, availabilityZoneId and score), with scores of the SpotLake snapshot of
// 2022-07-12 for c5.xlarge, c5a.xlarge and m5.xlarge in us-east-1 (data/README.md).
std::string ScoresAnswer(const std::string& items, const std::string& token = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<GetSpotPlacementScoresResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
         "  <requestId>3e2d3a5b-8a3c-4e0f-9b7e-4c8f2EXAMPLE</requestId>\n"
         "  <spotPlacementScoreSet>\n" +
         items + "  </spotPlacementScoreSet>\n" +
         (token.empty() ? "" : "  <nextToken>" + token + "</nextToken>\n") +
         "</GetSpotPlacementScoresResponse>\n";
}
std::string Score(const std::string& zone_id, const std::string& score,
                  const std::string& region = "us-east-1") {
  return "    <item>\n      <region>" + region + "</region>\n" +
         (zone_id.empty() ? ""
                          : "      <availabilityZoneId>" + zone_id + "</availabilityZoneId>\n") +
         "      <score>" + score + "</score>\n    </item>\n";
}

TEST(ParseGetSpotPlacementScores, ReadsEachZonesScoreAndTheToken) {
  auto page = ParseGetSpotPlacementScores(
      ScoresAnswer(Score("use1-az5", "3") + Score("use1-az1", "10") + Score("", "7"), "abc=="));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->scores.size(), 3u);
  EXPECT_EQ(page->scores[0], (PlacementScore{"us-east-1", "use1-az5", 3}));
  EXPECT_EQ(page->scores[1], (PlacementScore{"us-east-1", "use1-az1", 10}));
  EXPECT_EQ(page->scores[2], (PlacementScore{"us-east-1", "", 7})) << "a region's score";
  EXPECT_EQ(page->next_token, "abc==");
  auto empty = ParseGetSpotPlacementScores(ScoresAnswer(""));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->scores.empty());
}

TEST(ParseGetSpotPlacementScores, RefusesWhatIsNoScore) {
  for (const std::string& item :
       {Score("use1-az5", "0"), Score("use1-az5", "11"), Score("use1-az5", "-3"),
        Score("use1-az5", "3.5"), Score("use1-az5", ""), Score("use1-az5", "3 "),
        Score("USE1-AZ5", "3"), Score("use1-az5", "3", ""), Score("use1 az5", "3")}) {
    auto page = ParseGetSpotPlacementScores(ScoresAnswer(item));
    EXPECT_EQ(page.status().code(), StatusCode::kInternal) << item;
    EXPECT_LE(page.status().message().size(), 200u);
  }
  EXPECT_EQ(ParseGetSpotPlacementScores(Answer("")).status().code(), StatusCode::kInternal)
      << "a price page is not a score page";
  EXPECT_EQ(ParseGetSpotPlacementScores(ScoresAnswer("", std::string(5000, 't'))).status().code(),
            StatusCode::kInternal);
}

// DescribeAvailabilityZones as the EC2 API reference shows it.
std::string ZonesAnswer(const std::string& items) {
  return "<DescribeAvailabilityZonesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
         "  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>\n"
         "  <availabilityZoneInfo>\n" +
         items + "  </availabilityZoneInfo>\n</DescribeAvailabilityZonesResponse>\n";
}
std::string Zone(const std::string& name, const std::string& id,
                 const std::string& state = "available") {
  return "    <item>\n      <zoneName>" + name + "</zoneName>\n      <zoneState>" + state +
         "</zoneState>\n      <regionName>us-east-1</regionName>\n      <zoneId>" + id +
         "</zoneId>\n      <messageSet/>\n      <optInStatus>opt-in-not-required</optInStatus>\n"
         "      <groupName>us-east-1</groupName>\n      <networkBorderGroup>us-east-1"
         "</networkBorderGroup>\n      <zoneType>availability-zone</zoneType>\n    </item>\n";
}

TEST(ParseDescribeAvailabilityZones, ReadsEachZonesNameIdAndState) {
  auto zones = ParseDescribeAvailabilityZones(
      ZonesAnswer(Zone("us-east-1a", "use1-az6") + Zone("us-east-1b", "use1-az1", "impaired")));
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[0], (AvailabilityZone{"us-east-1a", "use1-az6", "us-east-1", "available"}));
  EXPECT_EQ((*zones)[1].state, "impaired");
  for (const std::string& item :
       {Zone("", "use1-az6"), Zone("us-east-1a", ""), Zone("us-east-1a", "use1-az6", "Not<OK>"),
        Zone("us east 1a", "use1-az6")}) {
    EXPECT_EQ(ParseDescribeAvailabilityZones(ZonesAnswer(item)).status().code(),
              StatusCode::kInternal)
        << item;
  }
  EXPECT_EQ(ParseDescribeAvailabilityZones(ScoresAnswer("")).status().code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace spotbatch
