// InstanceMetadata: what the provider tells an instance about its own near future.
//
// EC2 announces a spot reclaim about two minutes ahead (instance-action, and the legacy
// termination-time), may recommend rebalancing earlier (a rebalance recommendation), and Auto
// Scaling announces lifecycle transitions (target-lifecycle-state). Poll() reads all of them.
// It never blocks longer than the adapter's timeouts; a slow or failing service is
// kUnavailable (poll again later), an answer that cannot be parsed is kInvalidArgument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spotbatch/status.h"

namespace spotbatch {

enum class SpotAction { kTerminate, kStop, kHibernate };
const char* SpotActionName(SpotAction a);  // "terminate", "stop", "hibernate"

struct SpotInterruption {
  SpotAction action = SpotAction::kTerminate;
  int64_t time_unix_millis = 0;  // when the instance is reclaimed
  bool operator==(const SpotInterruption&) const = default;
};

struct MetadataNotices {
  std::optional<SpotInterruption> interruption;
  std::optional<int64_t> rebalance_unix_millis;  // when the recommendation was issued
  std::string target_lifecycle_state;            // "InService", "Terminated"...; empty: none
  bool operator==(const MetadataNotices&) const = default;
};

class InstanceMetadata {
 public:
  virtual ~InstanceMetadata() = default;
  virtual Result<MetadataNotices> Poll() = 0;
};

}  // namespace spotbatch
