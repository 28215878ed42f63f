// Polls the instance metadata on its own thread, so that a slow or failing metadata service
// never holds up the worker, and wakes the worker when a notice appears.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "spotbatch/instance_metadata.h"

namespace spotbatch {

struct NoticeState {
  std::optional<SpotInterruption> interruption;  // once seen, kept: a reclaim is not undone
  bool rebalance = false;                        // a rebalance recommendation was issued
  bool terminating = false;                      // Auto Scaling wants the instance gone
  int64_t polls = 0;
  int64_t failed_polls = 0;
  std::string last_error;
};

class NoticeWatcher {
 public:
  // Polls `metadata` every `interval_millis` (the first poll at once); calls `on_notice` from
  // the polling thread whenever the interruption, rebalance or terminating flag first appears.
  NoticeWatcher(InstanceMetadata& metadata, int64_t interval_millis,
                std::function<void()> on_notice);
  ~NoticeWatcher();  // stops polling; waits for a poll in flight (bounded by its timeouts)
  NoticeWatcher(const NoticeWatcher&) = delete;
  NoticeWatcher& operator=(const NoticeWatcher&) = delete;

  NoticeState Current() const;

 private:
  void Loop();

  InstanceMetadata& metadata_;
  const int64_t interval_millis_;
  std::function<void()> on_notice_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  NoticeState state_;
  std::thread thread_;
};

}  // namespace spotbatch
