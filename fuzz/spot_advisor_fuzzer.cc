// The Spot Instance Advisor loader (adapters/local/market_data.h): what it returns is what
// its header promises (at least one pool, sorted by region, OS and type, savings from -1000%
// to 100%, bands that exist, instance types with at least one core and a memory size that is
// a real number), and no value is changed on the way (an integer that does not fit is
// refused, not cut).
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "adapters/local/market_data.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 256 * 1024) return -1;
  const std::string_view text = fuzz::AsText(data, size);
  const Result<SpotAdvisor> a = ParseSpotAdvisor(text, "fuzz.json");
  if (!a.ok()) {
    FUZZ_CHECK(a.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(a.status().message().starts_with("fuzz.json: "));
    return 0;
  }
  FUZZ_CHECK(!a->entries.empty());
  const int bands = a->band_labels.empty() ? kBandCount : static_cast<int>(a->band_labels.size());
  for (const AdvisorEntry& e : a->entries) {
    FUZZ_CHECK(e.savings_percent >= -1000 && e.savings_percent <= 100);
    FUZZ_CHECK(e.band >= 0 && e.band < bands);
  }
  FUZZ_CHECK(std::is_sorted(a->entries.begin(), a->entries.end(), [](const auto& x, const auto& y) {
    return std::tie(x.region, x.os, x.instance_type) < std::tie(y.region, y.os, y.instance_type);
  }));
  // Each entry is the JSON's own value at its place.
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  FUZZ_CHECK(!j.is_discarded());
  for (const AdvisorEntry& e : a->entries) {
    const nlohmann::json& v = j["spot_advisor"][e.region][e.os][e.instance_type];
    FUZZ_CHECK(v["s"].is_number_integer() && v["s"].get<int64_t>() == e.savings_percent);
    FUZZ_CHECK(v["r"].get<int64_t>() == e.band);
  }
  for (const auto& [type, t] : a->instance_types) {
    FUZZ_CHECK_MSG(t.cores >= 1, type + ": " + std::to_string(t.cores) + " cores");
    FUZZ_CHECK_MSG(std::isfinite(t.ram_gib) && t.ram_gib > 0, type);
    const nlohmann::json& v = j["instance_types"][type];
    FUZZ_CHECK_MSG(v["cores"].get<int64_t>() == t.cores,
                   type + ": " + v["cores"].dump() + " read as " + std::to_string(t.cores));
  }
  return 0;
}
