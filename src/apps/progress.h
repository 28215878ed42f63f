// The progress display of `spotbatch run`: a redrawn bar on a terminal, plain lines otherwise.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace spotbatch {

struct ProgressCounts {
  int64_t total = 0;
  int64_t done = 0;  // succeeded
  int64_t running = 0;
  int64_t queued = 0;
  int64_t failed = 0;  // failed or cancelled
  std::string fleet;   // instances per pool, notices, cost so far ("" for plain workers)
};

// How long `run` waits before it counts tasks again, given the counts `c` taken
// `elapsed_millis` after its first count (which had `finished_at_start` finished): a quarter
// of the time the rest should take at the rate seen so far (before any rate, a quarter of the
// time waited), between kMinLookMillis and kMaxLookMillis. A fixed period made short runs end up to
// a whole period after their last task (250 ms: 20% of a 2,000-task benchmark); counting at the
// minimum through a long run takes CPU from the workers.
inline constexpr int64_t kMinLookMillis = 10;
inline constexpr int64_t kMaxLookMillis = 250;
int64_t NextLookMillis(const ProgressCounts& c, int64_t finished_at_start, int64_t elapsed_millis);

class Progress {
 public:
  // Draws on `out`; a bar when `out` is a terminal.
  explicit Progress(FILE* out);
  // Shows `c` at monotonic time `now_millis`; plain output prints at most every 5 s.
  void Update(const ProgressCounts& c, int64_t now_millis);
  // Whether an Update at `now_millis` would draw (what goes into the line need not be
  // gathered otherwise).
  bool WillDraw(int64_t now_millis) const;
  // Shows the final counts and ends the line.
  void Finish(const ProgressCounts& c, int64_t now_millis);

 private:
  void Draw(const ProgressCounts& c, int64_t now_millis, bool final);
  FILE* out_;
  bool tty_;
  int64_t start_millis_ = -1;
  int64_t start_finished_ = 0;
  int64_t last_plain_millis_ = -1;
};

}  // namespace spotbatch
