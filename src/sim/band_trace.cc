#include "sim/band_trace.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace spotbatch {

int RoomForPlacementScore(int score, int max_score, int max_instances) {
  const double share = std::clamp(static_cast<double>(score) / std::max(1, max_score), 0.0, 1.0);
  return std::max(1, static_cast<int>(std::lround(share * max_instances)));
}

CapacityTrace BandCapacityTrace(double reclaims_per_hour, int room, const BandTraceModel& model,
                                uint64_t seed) {
  CapacityTrace t;
  t.gap_millis = model.gap_millis;
  t.binary = false;
  const double tick_hours = static_cast<double>(model.gap_millis) / kMillisPerHour;
  const auto ticks = static_cast<size_t>(std::ceil(model.span_hours / tick_hours));
  if (!(reclaims_per_hour > 0)) {
    t.values.assign(ticks, room);
    return t;
  }
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> up(reclaims_per_hour);
  std::exponential_distribution<double> down(1 / model.mean_outage_hours);
  t.values.reserve(ticks);
  // Appends `hours` of `value`, at least a tick, no further than the trace's end.
  auto add = [&](double hours, int value) {
    const double n = std::max(1.0, std::round(hours / tick_hours));
    const size_t left = ticks - t.values.size();
    t.values.insert(t.values.end(), n < static_cast<double>(left) ? static_cast<size_t>(n) : left,
                    value);
  };
  while (t.values.size() < ticks) {
    add(up(rng), room);
    add(down(rng), 0);
  }
  return t;
}

}  // namespace spotbatch
