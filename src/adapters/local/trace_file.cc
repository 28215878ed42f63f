#include "adapters/local/trace_file.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "adapters/local/data_file.h"

namespace spotbatch {

Result<CapacityTrace> ParseCapacityTrace(std::string_view json, const std::string& source) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("trace " + source + ": " + why);
  };
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object() || !j.contains("metadata") || !j["metadata"].is_object() ||
      !j["metadata"].contains("gap_seconds") || !j["metadata"]["gap_seconds"].is_number()) {
    return bad("needs {\"metadata\": {\"gap_seconds\": G}, \"data\": [...]}");
  }
  const double gap = j["metadata"]["gap_seconds"].get<double>();
  if (!(gap > 0) || gap > 1e7) return bad("gap_seconds must be positive");
  // Ticks are whole milliseconds, rounded (1.005 s is 1005 ms, not the 1004 that truncating
  // its binary value gives); less than one would be a tick of 0 ms, which every reader of a
  // trace divides by.
  const int64_t gap_millis = std::llround(gap * 1000);
  if (gap_millis < 1) return bad("gap_seconds must be at least 0.001 (one millisecond)");
  if (!j.contains("data") || !j["data"].is_array() || j["data"].empty()) {
    return bad("data must be a non-empty array");
  }
  CapacityTrace t;
  t.gap_millis = gap_millis;
  t.values.reserve(j["data"].size());
  for (size_t i = 0; i < j["data"].size(); ++i) {
    const auto& v = j["data"][i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 1'000'000) {
      return bad("data[" + std::to_string(i) + "] is not a non-negative integer");
    }
    t.values.push_back(v.get<int32_t>());
    t.binary = t.binary && t.values.back() <= 1;
  }
  return t;
}

Result<CapacityTrace> LoadCapacityTrace(const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::string text, ReadDataFile(path, "trace"));
  return ParseCapacityTrace(text, path);
}

}  // namespace spotbatch
