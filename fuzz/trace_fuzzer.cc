// The capacity trace loader (adapters/local/trace_file.h) keeps its promises: a trace it
// returns has a positive tick, at least one value and only values from 0 to 1,000,000; it is
// `binary` exactly when every value is 0 or 1; writing it back in the same format reads back
// the same trace.
#include <nlohmann/json.hpp>

#include "adapters/local/trace_file.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 256 * 1024) return -1;
  const Result<CapacityTrace> t = ParseCapacityTrace(fuzz::AsText(data, size), "fuzz.json");
  if (!t.ok()) {
    FUZZ_CHECK(t.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(t.status().message().starts_with("trace fuzz.json: "));
    return 0;
  }
  // Callers divide by the tick (the simulator, `spotbatch market`): it must be positive.
  FUZZ_CHECK_MSG(t->gap_millis > 0, std::to_string(t->gap_millis));
  FUZZ_CHECK(!t->values.empty());
  bool binary = true;
  for (const int32_t v : t->values) {
    FUZZ_CHECK(v >= 0 && v <= 1'000'000);
    binary = binary && v <= 1;
  }
  FUZZ_CHECK(t->binary == binary);
  FUZZ_CHECK(t->span_millis() > 0);
  for (const int max : {1, 3, 256}) {
    for (const int64_t at : {int64_t{0}, t->gap_millis - 1, t->span_millis(), int64_t{1} << 40}) {
      const int room = t->CapacityAt(at, max);
      FUZZ_CHECK(room >= 0 && room <= max);
    }
  }
  // Round trip: the tick in seconds (whole milliseconds) and the values.
  nlohmann::json back = {{"metadata", {{"gap_seconds", static_cast<double>(t->gap_millis) / 1000}}},
                         {"data", t->values}};
  const Result<CapacityTrace> again = ParseCapacityTrace(back.dump(), "again.json");
  FUZZ_CHECK_MSG(again.ok(), again.status().message());
  FUZZ_CHECK_MSG(again->gap_millis == t->gap_millis, std::to_string(t->gap_millis) +
                                                         " ms read back as " +
                                                         std::to_string(again->gap_millis) + " ms");
  FUZZ_CHECK(again->values == t->values && again->binary == t->binary);
  return 0;
}
