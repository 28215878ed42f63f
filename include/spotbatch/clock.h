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
  // Sleeps like SleepForMillis but ends early once one of the `count` file descriptors in
  // `fds` is readable or hung up (negative ones are ignored): returns the index of the first
  // such descriptor, or -1 when the time ran out. How every wait on a child process, a pipe or
  // a wake-up pipe passes time, so a fake clock drives their timeouts too.
  virtual int WaitReadable(const int* fds, int count, int64_t millis) = 0;
  // WaitReadable on one descriptor (a self-pipe another thread writes to wake the sleeper);
  // true when it became readable.
  bool SleepForMillisUnlessReadable(int64_t millis, int fd) {
    return WaitReadable(&fd, 1, millis) == 0;
  }
};

// The process-wide real clock. Never null, never destroyed.
Clock& SystemClock();

}  // namespace spotbatch
