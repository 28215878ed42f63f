// The progress display of `spotbatch run`: a redrawn bar on a terminal, plain lines otherwise.
#pragma once

#include <cstdint>
#include <cstdio>

namespace spotbatch {

struct ProgressCounts {
  int64_t total = 0;
  int64_t done = 0;  // succeeded
  int64_t running = 0;
  int64_t queued = 0;
  int64_t failed = 0;  // failed or cancelled
};

class Progress {
 public:
  // Draws on `out`; a bar when `out` is a terminal.
  explicit Progress(FILE* out);
  // Shows `c` at monotonic time `now_millis`; plain output prints at most every 5 s.
  void Update(const ProgressCounts& c, int64_t now_millis);
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
