// What a local pool does at one moment, as pure functions.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spotbatch {

struct PoolPlan {
  int launch = 0;  // instances to start
  int notice = 0;  // the newest instances without a notice that get one
};

// `capacity`: instances the pool can hold now; `alive`: instances running without a notice.
// Launches only when there is work for new instances.
inline PoolPlan PlanPool(int capacity, int alive, bool want_more) {
  PoolPlan p;
  if (alive > capacity) p.notice = alive - capacity;
  if (alive < capacity && want_more) p.launch = capacity - alive;
  return p;
}

// Real time on a fleet replaying its traces `time_scale` times faster, as trace seconds.
inline double TraceSeconds(int64_t real_millis, double time_scale) {
  return static_cast<double>(real_millis) / 1000.0 * time_scale;
}

inline double CostUsd(double trace_seconds, double price_per_hour) {
  return trace_seconds / 3600.0 * price_per_hour;
}

// How often an instance polls its metadata: often enough to see a notice with most of its
// time left (a quarter of it), never more often than every 10 ms, never less than `configured`.
inline int64_t MetadataPollMillis(int64_t notice_real_millis, int64_t configured_millis) {
  return std::clamp<int64_t>(notice_real_millis / 4, 10, std::max<int64_t>(10, configured_millis));
}

}  // namespace spotbatch
