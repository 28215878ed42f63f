// EC2's and Auto Scaling's answers (adapters/aws/ec2_xml.h, asg_xml.h): every input is given
// to every parser. What each accepts is what its header promises (names of [a-z0-9.-],
// printable products, prices in range, times FormatUtcTimestamp writes back, scores 1..10,
// sizes in range, lifecycle states of letters and ':', a printable token), its refusals are
// kInternal and short, and what it accepts reads back the same when written as the service
// writes it. (EC2's error documents are aws_json_error_fuzzer's.)
#include <charconv>
#include <pugixml.hpp>
#include <sstream>

#include "adapters/aws/asg_xml.h"
#include "adapters/aws/ec2_xml.h"
#include "common/control_bytes.h"
#include "common/time_format.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

bool IsName(const std::string& s) {
  if (s.empty() || s.size() > kMaxEc2NameBytes) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

std::string Save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

// `page` written as EC2 writes it; each price in the shortest fixed notation that reads back
// exactly (never longer than the text it was read from).
std::string Write(const SpotPricePage& page) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("DescribeSpotPriceHistoryResponse");
  pugi::xml_node set = root.append_child("spotPriceHistorySet");
  for (const SpotPriceChange& c : page.changes) {
    pugi::xml_node item = set.append_child("item");
    item.append_child("instanceType").text().set(c.instance_type.c_str());
    item.append_child("productDescription").text().set(c.product.c_str());
    char price[64];
    const auto written =
        std::to_chars(price, price + sizeof price - 1, c.usd_per_hour, std::chars_format::fixed);
    *written.ptr = '\0';
    item.append_child("spotPrice").text().set(price);
    item.append_child("timestamp").text().set(FormatUtcTimestamp(c.unix_millis, true).c_str());
    item.append_child("availabilityZone").text().set(c.zone.c_str());
  }
  root.append_child("nextToken").text().set(page.next_token.c_str());
  return Save(doc);
}

template <typename T>
void CheckRefusal(const Result<T>& r) {
  FUZZ_CHECK_MSG(r.status().code() == StatusCode::kInternal, r.status().ToString());
  FUZZ_CHECK_MSG(r.status().message().size() <= 300, r.status().message().substr(0, 400));
}

std::string Write(const PlacementScorePage& page) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("GetSpotPlacementScoresResponse");
  pugi::xml_node set = root.append_child("spotPlacementScoreSet");
  for (const PlacementScore& s : page.scores) {
    pugi::xml_node item = set.append_child("item");
    item.append_child("region").text().set(s.region.c_str());
    if (!s.zone_id.empty()) item.append_child("availabilityZoneId").text().set(s.zone_id.c_str());
    item.append_child("score").text().set(std::to_string(s.score).c_str());
  }
  root.append_child("nextToken").text().set(page.next_token.c_str());
  return Save(doc);
}

void CheckScores(std::string_view body) {
  const Result<PlacementScorePage> page = ParseGetSpotPlacementScores(body);
  if (!page.ok()) return CheckRefusal(page);
  for (const PlacementScore& s : page->scores) {
    FUZZ_CHECK(IsName(s.region) && (s.zone_id.empty() || IsName(s.zone_id)));
    FUZZ_CHECK(s.score >= kMinPlacementScore && s.score <= kMaxPlacementScore);
  }
  FUZZ_CHECK(page->next_token.size() <= kMaxEc2TokenBytes && IsPrintableAscii(page->next_token));
  const Result<PlacementScorePage> again = ParseGetSpotPlacementScores(Write(*page));
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->scores == page->scores && again->next_token == page->next_token);
}

void CheckZones(std::string_view body) {
  const Result<std::vector<AvailabilityZone>> zones = ParseDescribeAvailabilityZones(body);
  if (!zones.ok()) return CheckRefusal(zones);
  pugi::xml_document doc;
  pugi::xml_node set =
      doc.append_child("DescribeAvailabilityZonesResponse").append_child("availabilityZoneInfo");
  for (const AvailabilityZone& z : *zones) {
    FUZZ_CHECK(IsName(z.name) && IsName(z.id) && IsName(z.region) && IsName(z.state));
    pugi::xml_node item = set.append_child("item");
    item.append_child("zoneName").text().set(z.name.c_str());
    item.append_child("zoneState").text().set(z.state.c_str());
    item.append_child("regionName").text().set(z.region.c_str());
    item.append_child("zoneId").text().set(z.id.c_str());
  }
  const Result<std::vector<AvailabilityZone>> again = ParseDescribeAvailabilityZones(Save(doc));
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  FUZZ_CHECK(*again == *zones);
}

bool IsState(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ':')) return false;
  }
  return true;
}

void CheckGroups(std::string_view body) {
  const Result<AsgPage> page = ParseDescribeAutoScalingGroups(body);
  if (!page.ok()) return CheckRefusal(page);
  pugi::xml_document doc;
  pugi::xml_node result = doc.append_child("DescribeAutoScalingGroupsResponse")
                              .append_child("DescribeAutoScalingGroupsResult");
  pugi::xml_node groups = result.append_child("AutoScalingGroups");
  for (const AsgGroup& g : page->groups) {
    FUZZ_CHECK(!g.name.empty() && g.name.size() <= kMaxAsgNameBytes && IsPrintableAscii(g.name));
    FUZZ_CHECK(g.min_size >= 0 && g.max_size >= 0 && g.desired_capacity >= 0);
    FUZZ_CHECK(g.min_size <= kMaxAsgSize && g.max_size <= kMaxAsgSize &&
               g.desired_capacity <= kMaxAsgSize);
    pugi::xml_node m = groups.append_child("member");
    m.append_child("AutoScalingGroupName").text().set(g.name.c_str());
    m.append_child("MinSize").text().set(g.min_size);
    m.append_child("MaxSize").text().set(g.max_size);
    m.append_child("DesiredCapacity").text().set(g.desired_capacity);
    pugi::xml_node instances = m.append_child("Instances");
    for (const AsgInstance& in : g.instances) {
      FUZZ_CHECK(IsName(in.id) && (in.instance_type.empty() || IsName(in.instance_type)) &&
                 IsName(in.zone));
      FUZZ_CHECK(IsState(in.lifecycle_state) && IsState(in.health));
      pugi::xml_node i = instances.append_child("member");
      i.append_child("InstanceId").text().set(in.id.c_str());
      i.append_child("InstanceType").text().set(in.instance_type.c_str());
      i.append_child("AvailabilityZone").text().set(in.zone.c_str());
      i.append_child("LifecycleState").text().set(in.lifecycle_state.c_str());
      i.append_child("HealthStatus").text().set(in.health.c_str());
      i.append_child("ProtectedFromScaleIn")
          .text()
          .set(in.protected_from_scale_in ? "true" : "false");
    }
    pugi::xml_node tags = m.append_child("Tags");
    for (const auto& [key, value] : g.tags) {
      FUZZ_CHECK(!key.empty() && key.size() <= 128 && value.size() <= 256);
      pugi::xml_node t = tags.append_child("member");
      t.append_child("Key").text().set(key.c_str());
      t.append_child("Value").text().set(value.c_str());
    }
  }
  result.append_child("NextToken").text().set(page->next_token.c_str());
  const Result<AsgPage> again = ParseDescribeAutoScalingGroups(Save(doc));
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->groups == page->groups && again->next_token == page->next_token);
}

void CheckActivities(std::string_view body) {
  const Result<AsgActivityPage> page = ParseDescribeScalingActivities(body);
  if (!page.ok()) return CheckRefusal(page);
  pugi::xml_document doc;
  pugi::xml_node result = doc.append_child("DescribeScalingActivitiesResponse")
                              .append_child("DescribeScalingActivitiesResult");
  pugi::xml_node list = result.append_child("Activities");
  for (const AsgActivity& a : page->activities) {
    FUZZ_CHECK(IsName(a.id) && IsState(a.status_code));
    FUZZ_CHECK(!a.group.empty() && a.group.size() <= kMaxAsgNameBytes && IsPrintableAscii(a.group));
    for (const std::string* text : {&a.description, &a.status_message}) {
      FUZZ_CHECK(text->size() <= kMaxAsgActivityTextBytes);
      for (char c : *text) FUZZ_CHECK(!IsControlByte(c) || c == '\n' || c == '\t');
    }
    FUZZ_CHECK(ParseUtcTimestamp(FormatUtcTimestamp(a.start_unix_millis, true)) ==
               a.start_unix_millis);
    pugi::xml_node m = list.append_child("member");
    m.append_child("ActivityId").text().set(a.id.c_str());
    m.append_child("AutoScalingGroupName").text().set(a.group.c_str());
    m.append_child("Description").text().set(a.description.c_str());
    m.append_child("StartTime").text().set(FormatUtcTimestamp(a.start_unix_millis, true).c_str());
    m.append_child("StatusCode").text().set(a.status_code.c_str());
    m.append_child("StatusMessage").text().set(a.status_message.c_str());
  }
  result.append_child("NextToken").text().set(page->next_token.c_str());
  const Result<AsgActivityPage> again = ParseDescribeScalingActivities(Save(doc));
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->activities == page->activities && again->next_token == page->next_token);
}

void CheckPage(std::string_view body) {
  const Result<SpotPricePage> page = ParseDescribeSpotPriceHistory(body);
  if (!page.ok()) return CheckRefusal(page);
  for (const SpotPriceChange& c : page->changes) {
    FUZZ_CHECK(IsName(c.zone) && IsName(c.instance_type));
    FUZZ_CHECK(!c.product.empty() && c.product.size() <= kMaxEc2NameBytes &&
               IsPrintableAscii(c.product));
    FUZZ_CHECK(c.usd_per_hour >= 0 && c.usd_per_hour <= kMaxSpotUsdPerHour);
    FUZZ_CHECK(ParseUtcTimestamp(FormatUtcTimestamp(c.unix_millis, true)) == c.unix_millis);
  }
  FUZZ_CHECK(page->next_token.size() <= kMaxEc2TokenBytes && IsPrintableAscii(page->next_token));
  const Result<SpotPricePage> again = ParseDescribeSpotPriceHistory(Write(*page));
  FUZZ_CHECK_MSG(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->changes == page->changes);
  FUZZ_CHECK(again->next_token == page->next_token);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  spotbatch::CheckPage(body);
  spotbatch::CheckScores(body);
  spotbatch::CheckZones(body);
  spotbatch::CheckGroups(body);
  spotbatch::CheckActivities(body);
  return 0;
}
