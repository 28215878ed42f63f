#include "adapters/aws/ec2_xml.h"

#include <charconv>
#include <cmath>
#include <pugixml.hpp>

#include "adapters/aws/query_xml.h"
#include "common/control_bytes.h"
#include "common/time_format.h"

namespace spotbatch {

static_assert(kMaxEc2XmlBytes == kMaxQueryXmlBytes && kMaxEc2NameBytes == kMaxQueryNameBytes &&
              kMaxEc2TokenBytes == kMaxQueryTokenBytes);

namespace {

Status Bad(std::string_view action, std::string_view field, std::string_view value) {
  return QueryXmlBad("EC2 " + std::string(action), field, value);
}
Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view body,
                                std::string_view action, std::string_view root_name) {
  return LoadQueryXmlRoot(doc, body, "EC2 " + std::string(action), root_name);
}
Result<std::string> Token(std::string_view action, pugi::xml_node root) {
  return QueryXmlToken("EC2 " + std::string(action), root, "nextToken");
}
bool IsName(std::string_view s) { return IsQueryName(s); }

// "0.028700": digits with at most one point, nothing else (no sign, exponent or spaces).
std::optional<double> Price(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  int points = 0;
  for (char c : text) {
    if (c == '.') {
      ++points;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  if (points > 1 || text == ".") return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) ||
      v > kMaxSpotUsdPerHour) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

Result<SpotPricePage> ParseDescribeSpotPriceHistory(std::string_view body) {
  constexpr std::string_view kAction = "DescribeSpotPriceHistory";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadRoot(doc, body, kAction, "DescribeSpotPriceHistoryResponse"));
  SpotPricePage page;
  int items = 0;
  for (pugi::xml_node item : root.child("spotPriceHistorySet").children("item")) {
    if (++items > kMaxQueryItems) return Bad(kAction, "too many items", "");
    SpotPriceChange c;
    c.zone = item.child("availabilityZone").text().get();
    c.instance_type = item.child("instanceType").text().get();
    c.product = item.child("productDescription").text().get();
    if (!IsName(c.zone)) return Bad(kAction, "availabilityZone", c.zone);
    if (!IsName(c.instance_type)) return Bad(kAction, "instanceType", c.instance_type);
    if (c.product.empty() || c.product.size() > kMaxEc2NameBytes || !IsPrintableAscii(c.product)) {
      return Bad(kAction, "productDescription", c.product);
    }
    const std::string_view price = item.child("spotPrice").text().get();
    const std::optional<double> usd = Price(price);
    if (!usd) return Bad(kAction, "spotPrice", price);
    c.usd_per_hour = *usd;
    const std::string_view when = item.child("timestamp").text().get();
    const std::optional<int64_t> millis = ParseUtcTimestamp(when);
    if (!millis) return Bad(kAction, "timestamp", when);
    c.unix_millis = *millis;
    page.changes.push_back(std::move(c));
  }
  SB_ASSIGN_OR_RETURN(page.next_token, Token(kAction, root));
  return page;
}

Result<PlacementScorePage> ParseGetSpotPlacementScores(std::string_view body) {
  constexpr std::string_view kAction = "GetSpotPlacementScores";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadRoot(doc, body, kAction, "GetSpotPlacementScoresResponse"));
  PlacementScorePage page;
  int items = 0;
  for (pugi::xml_node item : root.child("spotPlacementScoreSet").children("item")) {
    if (++items > kMaxQueryItems) return Bad(kAction, "too many items", "");
    PlacementScore s;
    s.region = item.child("region").text().get();
    s.zone_id = item.child("availabilityZoneId").text().get();
    if (!IsName(s.region)) return Bad(kAction, "region", s.region);
    // Scores of regions (asked without SingleAvailabilityZone) name no zone.
    if (!s.zone_id.empty() && !IsName(s.zone_id)) {
      return Bad(kAction, "availabilityZoneId", s.zone_id);
    }
    const std::string_view score = item.child("score").text().get();
    const std::optional<int> v = QueryXmlInt(score, kMinPlacementScore, kMaxPlacementScore);
    if (!v) return Bad(kAction, "score", score);
    s.score = *v;
    page.scores.push_back(std::move(s));
  }
  SB_ASSIGN_OR_RETURN(page.next_token, Token(kAction, root));
  return page;
}

Result<std::vector<AvailabilityZone>> ParseDescribeAvailabilityZones(std::string_view body) {
  constexpr std::string_view kAction = "DescribeAvailabilityZones";
  pugi::xml_document doc;
  SB_ASSIGN_OR_RETURN(const pugi::xml_node root,
                      LoadRoot(doc, body, kAction, "DescribeAvailabilityZonesResponse"));
  std::vector<AvailabilityZone> zones;
  int items = 0;
  for (pugi::xml_node item : root.child("availabilityZoneInfo").children("item")) {
    if (++items > kMaxQueryItems) return Bad(kAction, "too many items", "");
    AvailabilityZone z;
    z.name = item.child("zoneName").text().get();
    z.id = item.child("zoneId").text().get();
    z.region = item.child("regionName").text().get();
    z.state = item.child("zoneState").text().get();
    if (!IsName(z.name)) return Bad(kAction, "zoneName", z.name);
    if (!IsName(z.id)) return Bad(kAction, "zoneId", z.id);
    if (!IsName(z.region)) return Bad(kAction, "regionName", z.region);
    if (!IsName(z.state)) return Bad(kAction, "zoneState", z.state);
    zones.push_back(std::move(z));
  }
  return zones;
}

}  // namespace spotbatch
