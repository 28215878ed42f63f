#include "agent/attempt_watch.h"

#include <algorithm>

namespace spotbatch {

WatchEnd WatchAttempt(WatchedAttempt& attempt, Clock& clock, int64_t timeout_millis,
                      int64_t heartbeat_millis) {
  auto now_millis = [&clock] { return clock.MonotonicNanos() / 1'000'000; };
  const int64_t start = now_millis();
  const int64_t deadline = start + timeout_millis;
  int64_t next_heartbeat = start + heartbeat_millis;
  WatchEnd outcome;
  while (!attempt.WaitForExit(std::min(deadline, next_heartbeat) - now_millis())) {
    const int64_t now = now_millis();
    if (auto notice = attempt.Interruption()) {
      outcome.kind = WatchEnd::kInterrupted;
      outcome.notice = *notice;
      return outcome;
    }
    if (attempt.StopRequested()) {
      outcome.kind = WatchEnd::kStopping;
      return outcome;
    }
    if (now >= deadline) {
      outcome.kind = WatchEnd::kTimedOut;
      return outcome;
    }
    if (now < next_heartbeat) continue;  // woken early: nothing was due
    next_heartbeat = now + heartbeat_millis;
    Status beat = attempt.Heartbeat();
    if (!beat.ok() && !beat.retryable()) {
      outcome.kind = WatchEnd::kNoLongerOurs;
      outcome.refused = std::move(beat);
      return outcome;
    }
  }
  return outcome;
}

}  // namespace spotbatch
