#include "apps/progress.h"

#include <unistd.h>

#include <algorithm>
#include <string>

namespace spotbatch {

int64_t NextLookMillis(const ProgressCounts& c, int64_t finished_at_start, int64_t elapsed_millis) {
  const int64_t finished = c.done + c.failed;
  const int64_t left = c.total - finished;
  if (left <= 0) return kMinLookMillis;
  const int64_t progressed = finished - finished_at_start;
  if (progressed <= 0) {  // no rate yet: look often early on, less as the wait grows
    return std::clamp(elapsed_millis / 4, kMinLookMillis, kMaxLookMillis);
  }
  const double eta_millis = static_cast<double>(left) * static_cast<double>(elapsed_millis) /
                            static_cast<double>(progressed);
  return std::clamp(static_cast<int64_t>(eta_millis / 4), kMinLookMillis, kMaxLookMillis);
}

Progress::Progress(FILE* out) : out_(out), tty_(::isatty(::fileno(out)) == 1) {}

void Progress::Update(const ProgressCounts& c, int64_t now) {
  if (start_millis_ < 0) {
    start_millis_ = now;
    start_finished_ = c.done + c.failed;
  }
  if (!WillDraw(now)) return;
  if (!tty_) last_plain_millis_ = now;
  Draw(c, now, false);
}

bool Progress::WillDraw(int64_t now) const {
  return tty_ || last_plain_millis_ < 0 || now - last_plain_millis_ >= 5000;
}

void Progress::Finish(const ProgressCounts& c, int64_t now) {
  if (start_millis_ < 0) start_millis_ = now;
  Draw(c, now, true);
}

void Progress::Draw(const ProgressCounts& c, int64_t now, bool final) {
  const int64_t finished = c.done + c.failed;
  const double seconds = static_cast<double>(now - start_millis_) / 1000.0;
  const double rate = seconds > 0.5 ? static_cast<double>(finished - start_finished_) / seconds : 0;
  std::string eta = "-";
  if (rate > 0 && finished < c.total) {
    const auto left = static_cast<int64_t>(static_cast<double>(c.total - finished) / rate);
    eta = std::to_string(left / 60) + ":" + (left % 60 < 10 ? "0" : "") + std::to_string(left % 60);
  }
  char counts[256];
  std::snprintf(counts, sizeof(counts),
                "%lld/%lld done, %lld running, %lld queued, %lld failed, %.1f/s, ETA %s",
                static_cast<long long>(c.done), static_cast<long long>(c.total),
                static_cast<long long>(c.running), static_cast<long long>(c.queued),
                static_cast<long long>(c.failed), rate, eta.c_str());
  const std::string line = c.fleet.empty() ? counts : counts + std::string(" | ") + c.fleet;
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled = c.total > 0 ? static_cast<int>(kWidth * finished / c.total) : kWidth;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(out_, "\r\033[K[%s] %s%s", bar.c_str(), line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(out_, "progress: %s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace spotbatch
