#include "adapters/aws/ec2_xml.h"

#include <charconv>
#include <cmath>
#include <pugixml.hpp>

#include "common/control_bytes.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

constexpr size_t kQuoteBytes = 100;
constexpr int kMaxItems = 10'000;  // EC2 pages hold at most 1000

Status Bad(std::string_view field, std::string_view value) {
  return Internal("EC2 DescribeSpotPriceHistory: " + std::string(field) + " \"" +
                  Quotable(value, kQuoteBytes) + "\"");
}

bool IsName(std::string_view s) {
  if (s.empty() || s.size() > kMaxEc2NameBytes) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

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
  if (body.size() > kMaxEc2XmlBytes) {
    return Internal("EC2 DescribeSpotPriceHistory: the answer is " + std::to_string(body.size()) +
                    " bytes, over the bound");
  }
  pugi::xml_document doc;
  const pugi::xml_parse_result r =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r)
    return Internal(std::string("EC2 DescribeSpotPriceHistory: not XML (") + r.description() + ")");
  const pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "DescribeSpotPriceHistoryResponse") {
    return Bad("the answer's root element is", root.name());
  }
  SpotPricePage page;
  int items = 0;
  for (pugi::xml_node item : root.child("spotPriceHistorySet").children("item")) {
    if (++items > kMaxItems) return Internal("EC2 DescribeSpotPriceHistory: too many items");
    SpotPriceChange c;
    c.zone = item.child("availabilityZone").text().get();
    c.instance_type = item.child("instanceType").text().get();
    c.product = item.child("productDescription").text().get();
    if (!IsName(c.zone)) return Bad("availabilityZone", c.zone);
    if (!IsName(c.instance_type)) return Bad("instanceType", c.instance_type);
    if (c.product.empty() || c.product.size() > kMaxEc2NameBytes || !IsPrintableAscii(c.product)) {
      return Bad("productDescription", c.product);
    }
    const std::string_view price = item.child("spotPrice").text().get();
    const std::optional<double> usd = Price(price);
    if (!usd) return Bad("spotPrice", price);
    c.usd_per_hour = *usd;
    const std::string_view when = item.child("timestamp").text().get();
    const std::optional<int64_t> millis = ParseUtcTimestamp(when);
    if (!millis) return Bad("timestamp", when);
    c.unix_millis = *millis;
    page.changes.push_back(std::move(c));
  }
  page.next_token = root.child("nextToken").text().get();
  if (page.next_token.size() > kMaxEc2TokenBytes || !IsPrintableAscii(page.next_token)) {
    return Bad("nextToken", page.next_token);
  }
  return page;
}

}  // namespace spotbatch
