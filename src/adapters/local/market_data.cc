#include "adapters/local/market_data.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "adapters/local/data_file.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

// Splits `text` into lines (without "\n" or a trailing "\r"), numbered from 1.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn&& fn) {
  int number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    SB_RETURN_IF_ERROR(fn(line, number));
  }
  return Status::Ok();
}

std::vector<std::string_view> Split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(sep, start);
    out.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

bool ParseDouble(std::string_view s, double* out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

// Errors name the file and line: "market/x.csv line 7: price "abc" is not a number".
struct LineError {
  const std::string& source;
  int line;
  Status operator()(const std::string& why) const {
    return InvalidArgument(source + " line " + std::to_string(line) + ": " + why);
  }
};

Status NeedColumns(const std::vector<std::string_view>& fields, size_t n, const LineError& bad) {
  if (fields.size() == n) return Status::Ok();
  return bad("expected " + std::to_string(n) + " columns, found " + std::to_string(fields.size()));
}

// A price in $/h: a finite non-negative number below an absurd bound.
Status ParsePrice(std::string_view field, const char* what, const LineError& bad, double* out) {
  if (!ParseDouble(field, out)) {
    return bad(std::string(what) + " \"" + std::string(field) + "\" is not a number");
  }
  if (*out < 0 || *out > 100'000) {
    return bad(std::string(what) + " " + std::string(field) + " is out of range");
  }
  return Status::Ok();
}

Status ParseWhole(std::string_view field, const char* what, int lo, int hi, const LineError& bad,
                  int* out) {
  double v = 0;
  if (!ParseDouble(field, &v) || v != std::floor(v) || v < lo || v > hi) {
    return bad(std::string(what) + " \"" + std::string(field) + "\" is not a whole number from " +
               std::to_string(lo) + " to " + std::to_string(hi));
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status NonEmpty(std::string_view field, const char* what, const LineError& bad) {
  return field.empty() ? bad(std::string(what) + " is empty") : Status::Ok();
}

}  // namespace

Result<SpotAdvisor> ParseSpotAdvisor(std::string_view json, const std::string& source) {
  auto bad = [&](const std::string& why) { return InvalidArgument(source + ": " + why); };
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object() || !j.contains("spot_advisor") || !j["spot_advisor"].is_object()) {
    return bad("needs an object \"spot_advisor\": {region: {os: {type: {\"s\", \"r\"}}}}");
  }
  SpotAdvisor out;
  if (j.contains("ranges")) {
    if (!j["ranges"].is_array()) return bad("\"ranges\" is not an array");
    for (size_t i = 0; i < j["ranges"].size(); ++i) {
      const auto& r = j["ranges"][i];
      if (!r.is_object() || !r.contains("index") || !r["index"].is_number_integer() ||
          r["index"].get<int64_t>() != static_cast<int64_t>(i) || !r.contains("label") ||
          !r["label"].is_string()) {
        return bad("ranges[" + std::to_string(i) + "] needs \"index\": " + std::to_string(i) +
                   " and a \"label\"");
      }
      out.band_labels.push_back(r["label"].get<std::string>());
    }
  }
  const int bands = out.band_labels.empty() ? kBandCount : static_cast<int>(out.band_labels.size());
  for (const auto& [region, by_os] : j["spot_advisor"].items()) {
    if (!by_os.is_object()) return bad("spot_advisor." + region + " is not an object");
    for (const auto& [os, by_type] : by_os.items()) {
      if (!by_type.is_object())
        return bad("spot_advisor." + region + "." + os + " is not an object");
      for (const auto& [type, e] : by_type.items()) {
        const std::string at = "spot_advisor." + region + "." + os + "." + type;
        if (!e.is_object() || !e.contains("s") || !e["s"].is_number_integer() || !e.contains("r") ||
            !e["r"].is_number_integer()) {
          return bad(at + " needs integers \"s\" (savings %) and \"r\" (interruption band)");
        }
        const int64_t s = e["s"].get<int64_t>();
        const int64_t r = e["r"].get<int64_t>();
        // Negative savings are real: a few pools have cost more on spot than on demand.
        if (s < -1000 || s > 100) {
          return bad(at + ": savings " + std::to_string(s) + "% out of range");
        }
        if (r < 0 || r >= bands) return bad(at + ": no interruption band " + std::to_string(r));
        out.entries.push_back({region, os, type, static_cast<int>(s), static_cast<int>(r)});
      }
    }
  }
  if (out.entries.empty()) return bad("no pools in \"spot_advisor\"");
  if (j.contains("instance_types")) {
    if (!j["instance_types"].is_object()) return bad("\"instance_types\" is not an object");
    for (const auto& [type, t] : j["instance_types"].items()) {
      if (!t.is_object() || !t.contains("cores") || !t["cores"].is_number_integer() ||
          !t.contains("ram_gb") || !t["ram_gb"].is_number()) {
        return bad("instance_types." + type + " needs \"cores\" and \"ram_gb\"");
      }
      // Checked as the JSON has them, before they are narrowed: 2^32 + 1 cores must not
      // become 1.
      const int64_t cores = t["cores"].get<int64_t>();
      const double ram = t["ram_gb"].get<double>();
      if (cores < 1 || cores > 100'000) {
        return bad("instance_types." + type + ": cores must be 1 to 100000");
      }
      if (!(ram > 0) || ram > 1e7) {
        return bad("instance_types." + type + ": ram_gb must be a positive number of GiB");
      }
      out.instance_types[type] = {static_cast<int>(cores), ram};
    }
  }
  std::sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.region, a.os, a.instance_type) < std::tie(b.region, b.os, b.instance_type);
  });
  return out;
}

Result<SpotAdvisor> LoadSpotAdvisor(const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "spot advisor feed"));
  return ParseSpotAdvisor(text, path);
}

Result<std::vector<OnDemandPrice>> ParseOnDemandPrices(std::string_view csv,
                                                       const std::string& source) {
  std::vector<OnDemandPrice> out;
  SB_RETURN_IF_ERROR(ForEachLine(csv, [&](std::string_view line, int n) -> Status {
    const LineError bad{source, n};
    if (n == 1) {
      return line == "snapshot_generated_at,source_commit,region,instance_type,ondemand_usd_per_"
                     "hour"
                 ? Status::Ok()
                 : bad("header must be snapshot_generated_at,source_commit,region,"
                       "instance_type,ondemand_usd_per_hour");
    }
    if (line.empty()) return Status::Ok();
    const auto f = Split(line, ',');
    SB_RETURN_IF_ERROR(NeedColumns(f, 5, bad));
    OnDemandPrice p{std::string(f[0]), std::string(f[2]), std::string(f[3]), 0};
    SB_RETURN_IF_ERROR(NonEmpty(f[2], "region", bad));
    SB_RETURN_IF_ERROR(NonEmpty(f[3], "instance_type", bad));
    SB_RETURN_IF_ERROR(ParsePrice(f[4], "price", bad, &p.usd_per_hour));
    out.push_back(std::move(p));
    return Status::Ok();
  }));
  if (out.empty()) return InvalidArgument(source + ": no prices");
  return out;
}

Result<std::vector<OnDemandPrice>> LoadOnDemandPrices(const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "on-demand price table"));
  return ParseOnDemandPrices(text, path);
}

std::map<std::string, double> LatestOnDemandPrices(const std::vector<OnDemandPrice>& prices,
                                                   const std::string& region) {
  std::map<std::string, double> out;
  for (const OnDemandPrice& p : prices) {
    if (p.region == region) out[p.instance_type] = p.usd_per_hour;
  }
  return out;
}

Result<std::vector<SpotLakePool>> ParseSpotLake(std::string_view csv, const std::string& source) {
  std::vector<SpotLakePool> out;
  SB_RETURN_IF_ERROR(ForEachLine(csv, [&](std::string_view line, int n) -> Status {
    const LineError bad{source, n};
    if (n == 1) {
      return line == "SpotPrice,Savings,SPS,AZ,Region,InstanceType,IF,time"
                 ? Status::Ok()
                 : bad("header must be SpotPrice,Savings,SPS,AZ,Region,InstanceType,IF,time");
    }
    if (line.empty()) return Status::Ok();
    const auto f = Split(line, ',');
    SB_RETURN_IF_ERROR(NeedColumns(f, 8, bad));
    SpotLakePool p;
    SB_RETURN_IF_ERROR(ParsePrice(f[0], "SpotPrice", bad, &p.spot_usd_per_hour));
    SB_RETURN_IF_ERROR(ParseWhole(f[1], "Savings", 0, 100, bad, &p.savings_percent));
    SB_RETURN_IF_ERROR(ParseWhole(f[2], "SPS", 1, 10, bad, &p.placement_score));
    SB_RETURN_IF_ERROR(NonEmpty(f[3], "AZ", bad));
    SB_RETURN_IF_ERROR(NonEmpty(f[4], "Region", bad));
    SB_RETURN_IF_ERROR(NonEmpty(f[5], "InstanceType", bad));
    double score = 0;
    // IF is 3.0 for the calmest band (<5%) down to 1.0 for the worst (>20%), in steps of 0.5.
    if (!ParseDouble(f[6], &score) || score < 1.0 || score > 3.0 ||
        score * 2 != std::floor(score * 2)) {
      return bad("IF \"" + std::string(f[6]) + "\" is not one of 1.0, 1.5, 2.0, 2.5, 3.0");
    }
    p.band = static_cast<int>(std::lround((3.0 - score) * 2));
    p.zone_id = std::string(f[3]);
    p.region = std::string(f[4]);
    p.instance_type = std::string(f[5]);
    p.time = std::string(f[7]);
    out.push_back(std::move(p));
    return Status::Ok();
  }));
  if (out.empty()) return InvalidArgument(source + ": no pools");
  return out;
}

Result<std::vector<SpotLakePool>> LoadSpotLake(const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "SpotLake snapshot"));
  return ParseSpotLake(text, path);
}

Result<std::vector<SpotPriceRecord>> ParseSpotPriceDump(std::string_view tsv,
                                                        const std::string& source) {
  std::vector<SpotPriceRecord> out;
  SB_RETURN_IF_ERROR(ForEachLine(tsv, [&](std::string_view line, int n) -> Status {
    const LineError bad{source, n};
    if (line.empty()) return Status::Ok();
    const auto f = Split(line, '\t');
    SB_RETURN_IF_ERROR(NeedColumns(f, 5, bad));
    SpotPriceRecord r;
    SB_RETURN_IF_ERROR(NonEmpty(f[0], "zone id", bad));
    SB_RETURN_IF_ERROR(NonEmpty(f[1], "instance type", bad));
    SB_RETURN_IF_ERROR(NonEmpty(f[2], "product", bad));
    SB_RETURN_IF_ERROR(ParsePrice(f[3], "price", bad, &r.usd_per_hour));
    // The dump writes UTC as "+00:00"; any other offset is refused.
    std::string stamp(f[4]);
    if (stamp.size() > 6 && stamp.compare(stamp.size() - 6, 6, "+00:00") == 0) {
      stamp.replace(stamp.size() - 6, 6, "Z");
    }
    const std::optional<int64_t> when = ParseUtcTimestamp(stamp);
    if (!when) return bad("timestamp \"" + std::string(f[4]) + "\" is not UTC ISO 8601");
    r.zone_id = std::string(f[0]);
    r.instance_type = std::string(f[1]);
    r.product = std::string(f[2]);
    r.unix_millis = *when;
    out.push_back(std::move(r));
    return Status::Ok();
  }));
  if (out.empty()) return InvalidArgument(source + ": no prices");
  return out;
}

Result<std::vector<SpotPriceRecord>> LoadSpotPriceDump(const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "spot price dump"));
  return ParseSpotPriceDump(text, path);
}

Result<PriceSeries> ParsePriceSeries(std::string_view text, const std::string& source,
                                     int64_t gap_seconds) {
  if (gap_seconds <= 0)
    return InvalidArgument(source + ": the gap between prices must be positive");
  PriceSeries out;
  out.gap_millis = gap_seconds * 1000;
  SB_RETURN_IF_ERROR(ForEachLine(text, [&](std::string_view line, int n) -> Status {
    const LineError bad{source, n};
    if (n == 1) return line == "x" ? Status::Ok() : bad("the first line must be \"x\"");
    if (line.empty()) return Status::Ok();
    double price = 0;
    SB_RETURN_IF_ERROR(ParsePrice(line, "price", bad, &price));
    out.usd_per_hour.push_back(price);
    return Status::Ok();
  }));
  if (out.usd_per_hour.empty()) return InvalidArgument(source + ": no prices");
  return out;
}

Result<PriceSeries> LoadPriceSeries(const std::string& path, int64_t gap_seconds) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "price series"));
  return ParsePriceSeries(text, path, gap_seconds);
}

Result<CapacityTrace> ParseAsgSizeTrace(std::string_view csv, const std::string& source,
                                        bool t_in_hours, int64_t gap_seconds) {
  if (gap_seconds <= 0) return InvalidArgument(source + ": the sampling gap must be positive");
  struct Step {
    double seconds;
    int count;
  };
  std::vector<Step> steps;
  SB_RETURN_IF_ERROR(ForEachLine(csv, [&](std::string_view line, int n) -> Status {
    const LineError bad{source, n};
    if (line.empty()) return Status::Ok();
    const auto f = Split(line, ',');
    SB_RETURN_IF_ERROR(NeedColumns(f, 2, bad));
    double t = 0;
    if (!ParseDouble(f[0], &t) || t < 0) {
      return bad("time \"" + std::string(f[0]) + "\" is not a non-negative number");
    }
    if (t_in_hours) t *= 3600;
    if (!steps.empty() && t < steps.back().seconds) return bad("time goes backwards");
    if (t > 366.0 * 24 * 3600) return bad("time is more than a year after the start");
    int count = 0;
    SB_RETURN_IF_ERROR(ParseWhole(f[1], "instance count", 0, 1'000'000, bad, &count));
    steps.push_back({t, count});
    return Status::Ok();
  }));
  if (steps.empty()) return InvalidArgument(source + ": no steps");
  CapacityTrace out;
  out.gap_millis = gap_seconds * 1000;
  out.binary = false;
  // One value per tick from 0 to the last step: the count of the last step at or before it.
  const auto ticks =
      static_cast<int64_t>(steps.back().seconds / static_cast<double>(gap_seconds)) + 1;
  size_t at = 0;
  int current = 0;
  for (int64_t i = 0; i < ticks; ++i) {
    const double t = static_cast<double>(i * gap_seconds);
    while (at < steps.size() && steps[at].seconds <= t) current = steps[at++].count;
    out.values.push_back(current);
  }
  return out;
}

Result<CapacityTrace> LoadAsgSizeTrace(const std::string& path, int64_t gap_seconds) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "auto scaling group trace"));
  const std::string name = path.substr(path.rfind('/') + 1);
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // "..._scaled.csv" and the whole-days "...-YYYY-MM-DD-to-YYYY-MM-DD.csv" count hours; the
  // rest, whose names carry start and end times (YYYY-MM-DD-HHMM), count seconds.
  bool hours = ends_with("_scaled.csv");
  if (!hours && name.size() > 28) {
    const std::string tail = name.substr(name.size() - 28);  // "YYYY-MM-DD-to-YYYY-MM-DD.csv"
    hours = tail.compare(10, 4, "-to-") == 0 && tail[4] == '-' && tail[7] == '-' &&
            tail[18] == '-' && tail[21] == '-';
  }
  return ParseAsgSizeTrace(text, path, hours, gap_seconds);
}

}  // namespace spotbatch
