// The line-based market data loaders (adapters/local/market_data.h): the on-demand price
// table, the SpotLake snapshot, the DescribeSpotPriceHistory dump, the 2016 price series and
// the auto-scaling-group size traces. Every input goes through all of them (each refuses the
// others' formats at once), so one corpus serves them all. Each parser's promises are
// checked: fields in range, nothing empty that must not be, and what was read written back
// in the same format reads back the same.
#include <cmath>
#include <cstdio>

#include "adapters/local/market_data.h"
#include "common/time_format.h"
#include "fuzz_check.h"

namespace spotbatch {
namespace {

bool PriceInRange(double p) { return std::isfinite(p) && p >= 0 && p <= 100'000; }

// Shortest text that reads back as exactly `v`.
std::string Exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool CleanField(std::string_view f, char sep) {
  return f.find(sep) == std::string_view::npos && f.find('\n') == std::string_view::npos;
}

void CheckError(const Status& s) {
  FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument);
  FUZZ_CHECK_MSG(s.message().starts_with("fuzz.csv"), s.message());
}

void OnDemand(std::string_view text) {
  const auto prices = ParseOnDemandPrices(text, "fuzz.csv");
  if (!prices.ok()) return CheckError(prices.status());
  FUZZ_CHECK(!prices->empty());
  std::string back =
      "snapshot_generated_at,source_commit,region,instance_type,ondemand_usd_per_hour\n";
  for (const OnDemandPrice& p : *prices) {
    FUZZ_CHECK(!p.region.empty() && !p.instance_type.empty());
    FUZZ_CHECK(CleanField(p.region, ',') && CleanField(p.instance_type, ',') &&
               CleanField(p.snapshot, ','));
    FUZZ_CHECK_MSG(PriceInRange(p.usd_per_hour), Exact(p.usd_per_hour));
    back +=
        p.snapshot + ",c," + p.region + "," + p.instance_type + "," + Exact(p.usd_per_hour) + "\n";
  }
  const auto again = ParseOnDemandPrices(back, "fuzz.csv");
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK(again->size() == prices->size());
  for (size_t i = 0; i < prices->size(); ++i) {
    FUZZ_CHECK((*again)[i].usd_per_hour == (*prices)[i].usd_per_hour);
    FUZZ_CHECK((*again)[i].instance_type == (*prices)[i].instance_type);
  }
  const auto latest = LatestOnDemandPrices(*prices, (*prices)[0].region);
  FUZZ_CHECK(!latest.empty() && latest.size() <= prices->size());
}

void SpotLake(std::string_view text) {
  const auto pools = ParseSpotLake(text, "fuzz.csv");
  if (!pools.ok()) return CheckError(pools.status());
  FUZZ_CHECK(!pools->empty());
  for (const SpotLakePool& p : *pools) {
    FUZZ_CHECK(PriceInRange(p.spot_usd_per_hour));
    FUZZ_CHECK(p.savings_percent >= 0 && p.savings_percent <= 100);
    FUZZ_CHECK(p.placement_score >= 1 && p.placement_score <= 10);
    FUZZ_CHECK_MSG(p.band >= 0 && p.band < kBandCount, std::to_string(p.band));
    FUZZ_CHECK(!p.zone_id.empty() && !p.region.empty() && !p.instance_type.empty());
    FUZZ_CHECK(CleanField(p.zone_id, ',') && CleanField(p.time, ','));
  }
}

void SpotPriceDump(std::string_view text) {
  const auto records = ParseSpotPriceDump(text, "fuzz.csv");
  if (!records.ok()) return CheckError(records.status());
  FUZZ_CHECK(!records->empty());
  for (const SpotPriceRecord& r : *records) {
    FUZZ_CHECK(PriceInRange(r.usd_per_hour));
    FUZZ_CHECK(!r.zone_id.empty() && !r.instance_type.empty() && !r.product.empty());
    FUZZ_CHECK(CleanField(r.product, '\t'));
    // The time reads back from the way it is written.
    const std::string stamp = FormatUtcTimestamp(r.unix_millis, /*millis=*/true);
    FUZZ_CHECK_MSG(ParseUtcTimestamp(stamp) == r.unix_millis, stamp);
    const std::string line = r.zone_id + "\t" + r.instance_type + "\t" + r.product + "\t" +
                             Exact(r.usd_per_hour) + "\t" + stamp;
    const auto again = ParseSpotPriceDump(line, "fuzz.csv");
    FUZZ_CHECK_MSG(again.ok(), again.status().message());
    FUZZ_CHECK((*again)[0].unix_millis == r.unix_millis);
    FUZZ_CHECK((*again)[0].usd_per_hour == r.usd_per_hour);
  }
}

void PriceSeriesFormat(std::string_view text) {
  const auto series = ParsePriceSeries(text, "fuzz.csv");
  if (!series.ok()) return CheckError(series.status());
  FUZZ_CHECK(series->gap_millis == 300'000);
  FUZZ_CHECK(!series->usd_per_hour.empty());
  double lo = series->usd_per_hour[0], hi = lo;
  std::string back = "x\n";
  for (const double p : series->usd_per_hour) {
    FUZZ_CHECK(PriceInRange(p));
    lo = std::min(lo, p);
    hi = std::max(hi, p);
    back += Exact(p) + "\n";
  }
  const double mean = series->Mean();
  FUZZ_CHECK_MSG(mean >= lo * (1 - 1e-12) && mean <= hi * (1 + 1e-12), Exact(mean));
  const auto again = ParsePriceSeries(back, "fuzz.csv");
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK(again->usd_per_hour == series->usd_per_hour);
}

void AsgSize(std::string_view text, bool hours) {
  constexpr int64_t kGap = 60;
  const auto trace = ParseAsgSizeTrace(text, "fuzz.csv", hours, kGap);
  if (!trace.ok()) return CheckError(trace.status());
  FUZZ_CHECK(trace->gap_millis == kGap * 1000);
  FUZZ_CHECK(!trace->binary);
  FUZZ_CHECK(!trace->values.empty());
  // At most a year of one-minute ticks: the size of what it returns is bounded.
  FUZZ_CHECK(trace->values.size() <= 366 * 24 * 60 + 1);
  for (const int32_t v : trace->values) FUZZ_CHECK(v >= 0 && v <= 1'000'000);
}

}  // namespace
}  // namespace spotbatch

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 64 * 1024) return -1;
  const std::string_view text = fuzz::AsText(data, size);
  OnDemand(text);
  SpotLake(text);
  SpotPriceDump(text);
  PriceSeriesFormat(text);
  AsgSize(text, /*hours=*/false);
  AsgSize(text, /*hours=*/true);
  return 0;
}
