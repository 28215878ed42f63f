#include "agent/attempt_watch.h"

#include <gtest/gtest.h>

#include <deque>
#include <limits>
#include <vector>

#include "common/fake_clock.h"

namespace spotbatch {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max() / 4;

// An attempt on a fake clock: its command exits at `exit_at`, notices and stop requests
// arrive (and wake the wait) at their times, heartbeats answer from a script.
class ScriptedAttempt final : public WatchedAttempt {
 public:
  explicit ScriptedAttempt(FakeClock& clock) : clock_(clock), start_(clock.NowUnixMillis()) {}
  int64_t exit_at = kNever;
  int64_t interruption_at = kNever;
  int64_t stop_at = kNever;
  std::vector<int64_t> spurious_wakes;   // woken with nothing to look at
  std::deque<Status> heartbeat_answers;  // Ok once they run out
  std::vector<int64_t> heartbeats;       // when each was sent

  int64_t now() const { return clock_.NowUnixMillis() - start_; }

  bool WaitForExit(int64_t millis) override {
    EXPECT_GE(millis, 0);
    int64_t until = now() + millis;
    for (int64_t t : {exit_at, interruption_at, stop_at}) {
      if (t > now()) until = std::min(until, t);
    }
    for (int64_t t : spurious_wakes) {
      if (t > now()) until = std::min(until, t);
    }
    clock_.Advance(until - now());
    return now() >= exit_at;
  }
  std::optional<SpotInterruption> Interruption() override {
    if (now() < interruption_at) return std::nullopt;
    return SpotInterruption{SpotAction::kTerminate, start_ + interruption_at + 120'000};
  }
  bool StopRequested() override { return now() >= stop_at; }
  Status Heartbeat() override {
    heartbeats.push_back(now());
    if (heartbeat_answers.empty()) return Status::Ok();
    Status s = heartbeat_answers.front();
    heartbeat_answers.pop_front();
    return s;
  }

 private:
  FakeClock& clock_;
  int64_t start_;
};

class AttemptWatchTest : public ::testing::Test {
 protected:
  WatchEnd Watch(int64_t timeout = 10'000, int64_t heartbeat = 100) {
    return WatchAttempt(attempt_, clock_, timeout, heartbeat);
  }
  FakeClock clock_;
  ScriptedAttempt attempt_{clock_};
};

TEST_F(AttemptWatchTest, AShortCommandExitsBeforeAnyHeartbeat) {
  attempt_.exit_at = 50;
  EXPECT_EQ(Watch().kind, WatchEnd::kExited);
  EXPECT_TRUE(attempt_.heartbeats.empty());
  EXPECT_EQ(attempt_.now(), 50);
}

TEST_F(AttemptWatchTest, HeartbeatsOnScheduleUntilTheCommandExits) {
  attempt_.exit_at = 350;
  EXPECT_EQ(Watch().kind, WatchEnd::kExited);
  EXPECT_EQ(attempt_.heartbeats, (std::vector<int64_t>{100, 200, 300}));
}

TEST_F(AttemptWatchTest, WakeUpsWithNothingToDoKeepTheSchedule) {
  attempt_.exit_at = 350;
  attempt_.spurious_wakes = {30, 150, 151, 299};
  EXPECT_EQ(Watch().kind, WatchEnd::kExited);
  EXPECT_EQ(attempt_.heartbeats, (std::vector<int64_t>{100, 200, 300}));
}

TEST_F(AttemptWatchTest, AnInterruptionNoticeEndsTheWatchWhenItArrives) {
  attempt_.interruption_at = 120;
  const WatchEnd out = Watch();
  EXPECT_EQ(out.kind, WatchEnd::kInterrupted);
  EXPECT_EQ(attempt_.now(), 120) << "not at the next heartbeat";
  EXPECT_EQ(out.notice.time_unix_millis, clock_.NowUnixMillis() + 120'000);
  EXPECT_EQ(attempt_.heartbeats, (std::vector<int64_t>{100}));
}

TEST_F(AttemptWatchTest, AStopRequestEndsTheWatchWhenItArrives) {
  attempt_.stop_at = 250;
  EXPECT_EQ(Watch().kind, WatchEnd::kStopping);
  EXPECT_EQ(attempt_.now(), 250);
}

TEST_F(AttemptWatchTest, TimesOutAtTheDeadlineBetweenHeartbeats) {
  const WatchEnd out = Watch(/*timeout=*/250);
  EXPECT_EQ(out.kind, WatchEnd::kTimedOut);
  EXPECT_EQ(attempt_.now(), 250);
  EXPECT_EQ(attempt_.heartbeats, (std::vector<int64_t>{100, 200}));
}

TEST_F(AttemptWatchTest, ARetryableHeartbeatFailureLetsTheAttemptGoOn) {
  attempt_.exit_at = 450;
  attempt_.heartbeat_answers = {Unavailable("database is locked"), Unavailable("again")};
  EXPECT_EQ(Watch().kind, WatchEnd::kExited);
  EXPECT_EQ(attempt_.heartbeats.size(), 4u);
}

TEST_F(AttemptWatchTest, ARefusedHeartbeatMeansTheAttemptIsNoLongerOurs) {
  attempt_.heartbeat_answers = {Status::Ok(), FailedPrecondition("task is CANCELLED")};
  const WatchEnd out = Watch();
  EXPECT_EQ(out.kind, WatchEnd::kNoLongerOurs);
  EXPECT_EQ(out.refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(attempt_.now(), 200);
}

TEST_F(AttemptWatchTest, AnInterruptionWinsOverEverythingDueAtTheSameMoment) {
  attempt_.interruption_at = 300;
  attempt_.stop_at = 300;
  EXPECT_EQ(Watch(/*timeout=*/300).kind, WatchEnd::kInterrupted);
  EXPECT_EQ(attempt_.heartbeats, (std::vector<int64_t>{100, 200}))
      << "no heartbeat when the attempt is ending anyway";
}

TEST_F(AttemptWatchTest, AStopWinsOverTheTimeout) {
  attempt_.stop_at = 300;
  EXPECT_EQ(Watch(/*timeout=*/300).kind, WatchEnd::kStopping);
}

}  // namespace
}  // namespace spotbatch
