// What a worker does with a spot interruption notice, as pure functions of time.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spotbatch {

// How long the running command may take to stop after a notice that leaves `left_millis`
// until the reclaim: at most `configured_millis`, and at most half of what is left, so that
// uploading its checkpoint and releasing the task still fit before the instance goes.
inline int64_t InterruptionGraceMillis(int64_t left_millis, int64_t configured_millis) {
  return std::max<int64_t>(0, std::min(configured_millis, left_millis / 2));
}

// Work an interrupted attempt loses: from its last checkpoint (or its start, when the command
// wrote none since) until it stopped.
inline int64_t LostWorkMillis(int64_t stopped_at, int64_t attempt_started_at,
                              int64_t last_checkpoint_at) {
  return std::max<int64_t>(0, stopped_at - std::max(attempt_started_at, last_checkpoint_at));
}

}  // namespace spotbatch
