// Watching a running attempt: waiting for its command to exit while heartbeating on schedule,
// and deciding when to stop waiting (an interruption notice, a stop request, the timeout, a
// heartbeat refused). It decides only; the worker stops the command and ends the attempt as
// the outcome says.
#pragma once

#include <cstdint>
#include <optional>

#include "spotbatch/clock.h"
#include "spotbatch/instance_metadata.h"
#include "spotbatch/status.h"

namespace spotbatch {

// What the watch asks of the attempt it watches.
class WatchedAttempt {
 public:
  virtual ~WatchedAttempt() = default;
  // Waits up to `millis` for the command to exit, returning early when woken (a notice or a
  // stop request arrived). True once the command has exited.
  virtual bool WaitForExit(int64_t millis) = 0;
  // The interruption notice of this instance, once one arrived.
  virtual std::optional<SpotInterruption> Interruption() = 0;
  virtual bool StopRequested() = 0;
  // Extends the lease and records progress (a changed checkpoint). Ok, or a retryable error
  // (the lease has slack for another try): the attempt goes on. Anything else: the attempt is
  // no longer this worker's (cancelled, or leased to another).
  virtual Status Heartbeat() = 0;
};

struct WatchEnd {
  enum Kind {
    kExited,        // the command exited by itself: its exit status decides
    kInterrupted,   // the interruption notice `notice` arrived first
    kStopping,      // the worker was asked to stop
    kTimedOut,      // the attempt ran for its whole timeout
    kNoLongerOurs,  // a heartbeat was refused with `refused`
  };
  Kind kind = kExited;
  SpotInterruption notice;
  Status refused;
};

// Waits on `attempt` until one of the outcomes, heartbeating every `heartbeat_millis` of
// `clock` from the start, for at most `timeout_millis`. When several hold at one wake-up,
// the first in this order wins: interruption (its checkpoint must be kept before anything
// slow), stop, timeout, refused heartbeat.
WatchEnd WatchAttempt(WatchedAttempt& attempt, Clock& clock, int64_t timeout_millis,
                      int64_t heartbeat_millis);

}  // namespace spotbatch
