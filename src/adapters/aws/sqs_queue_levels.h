// The SQS queues one spotbatch queue is made of (sqs_task_queue.h): a queue per priority
// level ("<prefix>q", "<prefix>q-p<N>"), the "-later" queue of delays beyond SQS's 15
// minutes, and the RedrivePolicy every level carries. URLs are cached once known; the levels
// that exist are listed (ListQueues by prefix) at most every level_refresh_millis, and a
// policy another process set is read as often. Internal to the SQS task queue. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/aws/aws_json_client.h"
#include "adapters/aws/sqs_task_queue.h"
#include "spotbatch/clock.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

// What is known of one spotbatch queue.
struct SqsQueueInfo {
  std::vector<int> levels;  // existing SQS queues, highest level first
  int64_t levels_read_at = INT64_MIN;
  bool policy_known = false;
  int64_t policy_read_at = INT64_MIN;
  int max_receives = 0;     // 0: no limit
  std::string dead_letter;  // spotbatch name
  std::string raw_policy;   // RedrivePolicy as set on its levels ("" none)
};

class SqsQueueLevels {
 public:
  // `options`, `client` and `clock` must outlive it.
  SqsQueueLevels(const SqsQueueOptions& options, AwsJsonClient& client, Clock& clock);

  // TaskQueue::Configure: creates the queue and its dead-letter queue and sets the
  // RedrivePolicy on every level that exists (only where it differs on level 0).
  Status Configure(std::string_view queue, const QueueOptions& options);

  // kInvalidArgument for a name SQS would refuse with the prefix and level suffixes.
  Status ValidateName(std::string_view queue) const;
  std::string SqsName(std::string_view queue, int level) const;
  std::string LaterName(std::string_view queue) const;
  int max_levels() const { return max_levels_; }

  // The URL of `level` of `queue`, created if needed (CreateQueue is idempotent), and known
  // from then on to exist; a level above 0 gets the queue's RedrivePolicy.
  Result<std::string> EnsureLevel(std::string_view queue, int level);
  // The URL of the queue's "-later" queue, created if needed.
  Result<std::string> EnsureLater(std::string_view queue);
  // The levels of `queue` that exist, highest first: ListQueues by its prefix, at most every
  // level_refresh_millis unless `force`. The URLs listed are cached ("-later"'s too).
  Result<std::vector<int>> Levels(std::string_view queue, bool force);
  // A level found deleted: not asked again until the next listing.
  void ForgetLevel(std::string_view queue, int level);
  // The queue's limit and dead-letter queue: as this instance configured them, or read from
  // its RedrivePolicy (refreshed as the levels are); none when it has no policy.
  Result<SqsQueueInfo> Policy(std::string_view queue);

  // The cached URL of the SQS queue `name`; "" when none is known.
  std::string KnownUrl(const std::string& name);
  void ForgetUrl(const std::string& name);
  // The cached URL, else GetQueueUrl's (then cached); the call's failure as it is.
  Result<std::string> LookUp(const std::string& name);

 private:
  Result<nlohmann::json> Call(std::string_view action, const nlohmann::json& input);
  Status SetPolicy(const std::string& url, const std::string& policy);

  const SqsQueueOptions& options_;
  const int max_levels_;
  AwsJsonClient& client_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, std::string> urls_;  // SQS queue name -> URL
  std::map<std::string, SqsQueueInfo, std::less<>> queues_;
};

}  // namespace spotbatch
