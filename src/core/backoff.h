// Exponential backoff with "equal jitter": half the delay is fixed, half is random, so
// retries of many tasks failing together spread out instead of returning in lockstep.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spotbatch {

struct BackoffPolicy {
  int64_t base_millis = 1000;
  int64_t max_millis = 60000;
};

// Delay before retry number `retry` (1 = first retry). `jitter` is a uniform draw in [0, 1)
// made by the caller, so this stays a pure function.
inline int64_t BackoffDelayMillis(const BackoffPolicy& policy, int retry, double jitter) {
  int64_t ceiling = policy.base_millis;
  for (int i = 1; i < retry && ceiling < policy.max_millis; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_millis);
  const int64_t half = ceiling / 2;
  return half + static_cast<int64_t>(static_cast<double>(ceiling - half) * jitter);
}

}  // namespace spotbatch
