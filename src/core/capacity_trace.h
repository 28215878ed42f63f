// A pool's capacity over time, as the traces in data/traces give it: one value per tick of
// `gap_millis`. In a trace of only 0 and 1, 1 means room for all of the pool's instances and 0
// none; larger values are a number of instances.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace spotbatch {

struct CapacityTrace {
  int64_t gap_millis = 0;
  std::vector<int32_t> values;
  bool binary = true;  // only 0 and 1

  // Instances the pool can hold at `trace_millis` after the trace start (the trace repeats
  // past its end).
  int CapacityAt(int64_t trace_millis, int max_instances) const {
    if (values.empty() || gap_millis <= 0) return max_instances;
    const int64_t tick = (trace_millis < 0 ? 0 : trace_millis) / gap_millis;
    const int32_t v = values[static_cast<size_t>(tick % static_cast<int64_t>(values.size()))];
    if (binary) return v > 0 ? max_instances : 0;
    return v < max_instances ? v : max_instances;
  }
  int64_t span_millis() const { return gap_millis * static_cast<int64_t>(values.size()); }
};

}  // namespace spotbatch
