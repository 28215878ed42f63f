#include "spotbatch/clock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "common/fake_clock.h"

namespace spotbatch {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
  ~Pipe() {
    for (int fd : fds) ::close(fd);
  }
  void Write() { EXPECT_EQ(::write(fds[1], "x", 1), 1); }
};

TEST(SystemClock, SleepUnlessReadableEndsWhenAnotherThreadWrites) {
  Clock& clock = SystemClock();
  Pipe pipe;
  const int64_t start = clock.MonotonicNanos();
  std::thread writer([&] {
    clock.SleepForMillis(50);
    pipe.Write();
  });
  EXPECT_TRUE(clock.SleepForMillisUnlessReadable(60'000, pipe.fds[0]));
  writer.join();
  const int64_t waited = clock.MonotonicNanos() - start;
  EXPECT_GE(waited, 50'000'000);
  EXPECT_LT(waited, 10'000'000'000LL);
}

TEST(SystemClock, SleepUnlessReadableSleepsItsTimeWhenNothingArrives) {
  Clock& clock = SystemClock();
  Pipe pipe;
  const int64_t start = clock.MonotonicNanos();
  EXPECT_FALSE(clock.SleepForMillisUnlessReadable(80, pipe.fds[0]));
  EXPECT_GE(clock.MonotonicNanos() - start, 80'000'000);
  EXPECT_FALSE(clock.SleepForMillisUnlessReadable(10, -1)) << "no descriptor: a plain sleep";
}

TEST(FakeClock, SleepUnlessReadableAdvancesOnlyWhenNothingIsReadable) {
  FakeClock clock(1'000);
  Pipe pipe;
  EXPECT_FALSE(clock.SleepForMillisUnlessReadable(500, pipe.fds[0]));
  EXPECT_EQ(clock.NowUnixMillis(), 1'500);
  pipe.Write();
  EXPECT_TRUE(clock.SleepForMillisUnlessReadable(500, pipe.fds[0]));
  EXPECT_EQ(clock.NowUnixMillis(), 1'500);
}

TEST(SystemClock, WaitReadableNamesTheFirstReadyDescriptorAndIgnoresNegativeOnes) {
  Clock& clock = SystemClock();
  Pipe a, b;
  b.Write();
  const int fds[3] = {a.fds[0], -1, b.fds[0]};
  EXPECT_EQ(clock.WaitReadable(fds, 3, 60'000), 2);
  ::close(a.fds[1]);  // a hang-up counts as ready: the reader learns the writer is gone
  a.fds[1] = -1;
  EXPECT_EQ(clock.WaitReadable(fds, 3, 60'000), 0);
}

TEST(FakeClock, WaitReadableAdvancesTheWholeTimeWhenNothingIsReady) {
  FakeClock clock(0);
  Pipe a;
  const int fds[2] = {-1, a.fds[0]};
  EXPECT_EQ(clock.WaitReadable(fds, 2, 700), -1);
  EXPECT_EQ(clock.NowUnixMillis(), 700);
  a.Write();
  EXPECT_EQ(clock.WaitReadable(fds, 2, 700), 1);
  EXPECT_EQ(clock.NowUnixMillis(), 700);
}

}  // namespace
}  // namespace spotbatch
