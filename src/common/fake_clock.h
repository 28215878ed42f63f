// A manual clock for tests: time moves only when the test (or a sleeper) advances it.
#pragma once

#include <poll.h>

#include <atomic>

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
  bool SleepForMillisUnlessReadable(int64_t millis, int fd) override {
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) return true;
    Advance(millis);
    return false;
  }
  void Advance(int64_t millis) { now_ms_ += millis; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace spotbatch
