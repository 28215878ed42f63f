// The XML of EC2's answers that the market reads: pages of DescribeSpotPriceHistory (its
// error documents are read by aws_json_error.h). EC2 speaks the query protocol; its
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
inline constexpr size_t kMaxEc2XmlBytes = 4 << 20;
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

}  // namespace spotbatch
