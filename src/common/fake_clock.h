// A manual clock for tests: time moves only when the test (or a sleeper) advances it.
#pragma once

#include <poll.h>

#include <algorithm>
#include <atomic>

#include "common/wait_readable.h"
#include "spotbatch/clock.h"

namespace spotbatch {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_unix_millis = 1'700'000'000'000) : now_ms_(start_unix_millis) {}
  int64_t NowUnixMillis() override { return now_ms_.load(); }
  int64_t MonotonicNanos() override { return now_ms_.load() * 1'000'000; }
  // Sleeping advances time: code under test that waits finishes at once, deterministically.
  void SleepForMillis(int64_t millis) override { Advance(millis); }
  // Readable already: no time passes; otherwise the whole sleep does.
  int WaitReadable(const int* fds, int count, int64_t millis) override {
    struct pollfd p[kMaxWaitFds];
    count = std::min(count, kMaxWaitFds);
    for (int i = 0; i < count; ++i) p[i] = {fds[i], POLLIN, 0};
    if (::poll(p, static_cast<nfds_t>(count), 0) > 0) return FirstReady(p, count);
    Advance(millis);
    return -1;
  }
  void Advance(int64_t millis) { now_ms_ += millis; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace spotbatch
