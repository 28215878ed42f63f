#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "common/wait_readable.h"
#include "spotbatch/clock.h"

namespace spotbatch {
namespace {

class RealClock final : public Clock {
 public:
  int64_t NowUnixMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNanos() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SleepForMillis(int64_t millis) override {
    if (millis > 0) std::this_thread::sleep_for(std::chrono::milliseconds(millis));
  }
  int WaitReadable(const int* fds, int count, int64_t millis) override {
    const int64_t deadline = MonotonicNanos() + std::max<int64_t>(0, millis) * 1'000'000;
    struct pollfd p[kMaxWaitFds];
    count = std::min(count, kMaxWaitFds);
    for (int i = 0; i < count; ++i) p[i] = {fds[i], POLLIN, 0};
    while (true) {
      const int64_t left = (deadline - MonotonicNanos() + 999'999) / 1'000'000;
      const int ready = ::poll(p, static_cast<nfds_t>(count),
                               static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30)));
      if (ready > 0) return FirstReady(p, count);
      if ((ready < 0 && errno != EINTR) || MonotonicNanos() >= deadline) return -1;
    }
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock* clock = new RealClock();  // never destroyed: usable during exit
  return *clock;
}

}  // namespace spotbatch
