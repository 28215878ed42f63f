// Clock: the only way core logic and adapters learn the time or wait.
#pragma once

#include <cstdint>

namespace spotbatch {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch; comparable across processes (leases are stored in it).
  virtual int64_t NowUnixMillis() = 0;
  // A monotonic reading in nanoseconds, for measuring intervals inside one process.
  virtual int64_t MonotonicNanos() = 0;
  // Blocks the calling thread for `millis` of this clock's time.
  virtual void SleepForMillis(int64_t millis) = 0;
  // Sleeps like SleepForMillis but ends early once file descriptor `fd` is readable (a
  // self-pipe another thread writes to wake the sleeper); true when it did.
  virtual bool SleepForMillisUnlessReadable(int64_t millis, int fd) = 0;
};

// The process-wide real clock. Never null, never destroyed.
Clock& SystemClock();

}  // namespace spotbatch
