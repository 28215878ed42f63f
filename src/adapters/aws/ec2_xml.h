// The XML of EC2's answers that the market reads: pages of DescribeSpotPriceHistory and
// GetSpotPlacementScores, and DescribeAvailabilityZones (EC2's error documents are read by
// aws_json_error.h). EC2 speaks the query protocol; its
// answers are untrusted input: a body over kMaxEc2XmlBytes is refused, every field is bounded
// and checked, and a refusal is kInternal quoting at most about 100 bytes of what was wrong.
// No parser here crashes or throws on any input (fuzz/ec2_xml_fuzzer.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

// A page holds at most 1000 prices of ~300 bytes: 4 MiB is more than any real answer.
inline constexpr size_t kMaxEc2XmlBytes = 16 << 20;
inline constexpr size_t kMaxEc2NameBytes = 64;     // zones, instance types, products
inline constexpr size_t kMaxEc2TokenBytes = 4096;  // NextToken
inline constexpr double kMaxSpotUsdPerHour = 1e4;  // far above any instance's price

// One price change: from `unix_millis` on, `usd_per_hour` for `instance_type` running
// `product` ("Linux/UNIX", "Windows", ...) in `zone` ("us-east-1a").
struct SpotPriceChange {
  std::string zone;
  std::string instance_type;
  std::string product;
  double usd_per_hour = 0;
  int64_t unix_millis = 0;
  bool operator==(const SpotPriceChange&) const = default;
};
struct SpotPricePage {
  std::vector<SpotPriceChange> changes;
  std::string next_token;  // empty on the last page
};

// A DescribeSpotPriceHistoryResponse. kInternal for another document, an item whose zone or
// instance type is not 1..64 bytes of [a-z0-9.-], whose product is not 1..64 printable bytes,
// whose price is not a decimal number in [0, kMaxSpotUsdPerHour], whose timestamp is not
// ISO 8601, or a token over kMaxEc2TokenBytes or not printable.
Result<SpotPricePage> ParseDescribeSpotPriceHistory(std::string_view body);

// One score of GetSpotPlacementScores: how likely (1 to 10) a spot request for the asked
// instance types and capacity is to succeed in `zone_id` ("use1-az4": zone ids, not names,
// which differ between accounts) of `region`, or in the region as a whole when `zone_id` is
// empty (scores asked without SingleAvailabilityZone).
inline constexpr int kMinPlacementScore = 1;
inline constexpr int kMaxPlacementScore = 10;
struct PlacementScore {
  std::string region;
  std::string zone_id;
  int score = 0;
  bool operator==(const PlacementScore&) const = default;
};
struct PlacementScorePage {
  std::vector<PlacementScore> scores;
  std::string next_token;  // empty on the last page
};
// A GetSpotPlacementScoresResponse. kInternal for another document, a region or zone id that
// is not a name as above, a score that is not an integer 1..10, or a bad token.
Result<PlacementScorePage> ParseGetSpotPlacementScores(std::string_view body);

// A zone of the region: its name in this account ("us-east-1a"), its id ("use1-az6"), its
// region and its state ("available", "impaired", ...).
struct AvailabilityZone {
  std::string name;
  std::string id;
  std::string region;
  std::string state;
  bool operator==(const AvailabilityZone&) const = default;
};
// A DescribeAvailabilityZonesResponse (one page: EC2 does not page it). kInternal for another
// document or a field that is not 1..64 bytes of [a-z0-9.-].
Result<std::vector<AvailabilityZone>> ParseDescribeAvailabilityZones(std::string_view body);

}  // namespace spotbatch
