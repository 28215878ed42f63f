// What the local fleet decides for its pools as the provider, as pure functions.
#pragma once

#include <algorithm>
#include <cstdint>

namespace spotbatch {

// How many of a spot pool's instances get a notice now: those running without one beyond
// what its capacity (`capacity`) holds (`alive`); the newest go.
inline int NoticesToSend(int capacity, int alive) { return std::max(0, alive - capacity); }

// How often an instance polls its metadata: often enough to see a notice with most of its
// time left (a quarter of it), never more often than every 10 ms, never less than `configured`.
inline int64_t MetadataPollMillis(int64_t notice_real_millis, int64_t configured_millis) {
  return std::clamp<int64_t>(notice_real_millis / 4, 10, std::max<int64_t>(10, configured_millis));
}

}  // namespace spotbatch
