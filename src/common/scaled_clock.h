// A clock that runs `factor` times faster than another: the trace time of a local fleet that
// replays its capacity traces faster than real time. It starts at the base clock's reading;
// from then on both its Unix and its monotonic time advance `factor` times as fast, and its
// sleeps take 1/factor of the base clock's time.
#pragma once

#include <cmath>
#include <cstdint>

#include "spotbatch/clock.h"

namespace spotbatch {

class ScaledClock final : public Clock {
 public:
  // `factor` > 0; the base must outlive this clock.
  ScaledClock(Clock& base, double factor)
      : base_(base),
        factor_(factor),
        start_unix_millis_(base.NowUnixMillis()),
        start_nanos_(base.MonotonicNanos()) {}

  int64_t NowUnixMillis() override { return start_unix_millis_ + ElapsedNanos() / 1'000'000; }
  int64_t MonotonicNanos() override { return start_nanos_ + ElapsedNanos(); }
  void SleepForMillis(int64_t millis) override { base_.SleepForMillis(BaseMillis(millis)); }
  int WaitReadable(const int* fds, int count, int64_t millis) override {
    return base_.WaitReadable(fds, count, BaseMillis(millis));
  }

  // A Unix time of the base clock (a worker's record of when an attempt ran) in this clock's.
  int64_t FromBaseUnixMillis(int64_t base_unix_millis) const {
    return start_unix_millis_ +
           static_cast<int64_t>(static_cast<double>(base_unix_millis - start_unix_millis_) *
                                factor_);
  }
  // `millis` of this clock as milliseconds of the base clock (rounded up: a wait is never
  // shorter than asked).
  int64_t BaseMillis(int64_t millis) const {
    return millis <= 0 ? 0 : static_cast<int64_t>(std::ceil(static_cast<double>(millis) / factor_));
  }

 private:
  int64_t ElapsedNanos() {
    return static_cast<int64_t>(static_cast<double>(base_.MonotonicNanos() - start_nanos_) *
                                factor_);
  }

  Clock& base_;
  const double factor_;
  const int64_t start_unix_millis_;
  const int64_t start_nanos_;
};

}  // namespace spotbatch
