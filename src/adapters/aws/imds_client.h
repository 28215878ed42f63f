// The IMDSv2 adapter of InstanceMetadata: interruption and rebalance notices and the target
// lifecycle state, read through an ImdsSession (imds_session.h: the token flow, timeouts);
// and the instance's identity, which the worker on EC2 reads once.
#pragma once

#include <memory>

#include "adapters/aws/imds_session.h"
#include "spotbatch/clock.h"
#include "spotbatch/instance_metadata.h"

namespace spotbatch {

// kInvalidArgument as ImdsSession::Create.
Result<std::unique_ptr<InstanceMetadata>> NewImdsClient(const ImdsOptions& options, Clock& clock);

// Who the instance is: instance-id, instance-type, placement/availability-zone and
// placement/region, and whether instance-life-cycle says "spot".
struct InstanceIdentity {
  std::string instance_id;
  std::string instance_type;
  std::string zone;
  std::string region;
  bool spot = false;
};
// kInvalidArgument as ImdsSession::Create or for a value that is not a name
// (ParseIdentityValue); kNotFound when the service lacks one; kUnavailable as Get.
Result<InstanceIdentity> ReadInstanceIdentity(const ImdsOptions& options, Clock& clock);

}  // namespace spotbatch
