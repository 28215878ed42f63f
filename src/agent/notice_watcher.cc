#include "agent/notice_watcher.h"

#include <chrono>

namespace spotbatch {

NoticeWatcher::NoticeWatcher(InstanceMetadata& metadata, int64_t interval_millis,
                             std::function<void()> on_notice)
    : metadata_(metadata),
      interval_millis_(std::max<int64_t>(1, interval_millis)),
      on_notice_(std::move(on_notice)),
      thread_([this] { Loop(); }) {}

NoticeWatcher::~NoticeWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

NoticeState NoticeWatcher::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

void NoticeWatcher::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Result<MetadataNotices> polled = metadata_.Poll();
    lock.lock();
    ++state_.polls;
    bool news = false;
    if (!polled.ok()) {
      ++state_.failed_polls;
      state_.last_error = polled.status().ToString();
    } else {
      if (polled->interruption && !state_.interruption) {
        state_.interruption = polled->interruption;
        news = true;
      }
      if (polled->rebalance_unix_millis && !state_.rebalance) {
        state_.rebalance = true;
        news = true;
      }
      // Auto Scaling's lifecycle: anything but InService (or nothing) is on its way out.
      const std::string& lc = polled->target_lifecycle_state;
      if (!lc.empty() && lc != "InService" && !state_.terminating) {
        state_.terminating = true;
        news = true;
      }
    }
    if (news) {
      lock.unlock();
      on_notice_();
      lock.lock();
    }
    wake_.wait_for(lock, std::chrono::milliseconds(interval_millis_), [this] { return stopping_; });
  }
}

}  // namespace spotbatch
