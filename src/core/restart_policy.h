// When to restart a local worker that died: at once, unless it keeps dying right after it
// starts (a broken machine or config), then after a delay that doubles up to 30 s.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spotbatch {

// `quick_deaths`: how many times in a row the worker died within `kQuickDeathMillis` of its
// start, this death included (0 when it had run longer).
inline constexpr int64_t kQuickDeathMillis = 1000;
inline int64_t RestartDelayMillis(int quick_deaths) {
  if (quick_deaths <= 0) return 0;
  return std::min<int64_t>(30'000, int64_t{250} << std::min(quick_deaths, 7));
}
// A worker died `lived_millis` after its start: counts it into `*quick_deaths` and returns
// how long to wait before the next start.
inline int64_t DelayAfterDeath(int64_t lived_millis, int* quick_deaths) {
  *quick_deaths = lived_millis < kQuickDeathMillis ? *quick_deaths + 1 : 0;
  return RestartDelayMillis(*quick_deaths);
}

}  // namespace spotbatch
