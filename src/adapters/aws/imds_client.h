// The IMDSv2 adapter of InstanceMetadata: interruption and rebalance notices and the target
// lifecycle state, read through an ImdsSession (imds_session.h: the token flow, timeouts).
#pragma once

#include <memory>

#include "adapters/aws/imds_session.h"
#include "spotbatch/clock.h"
#include "spotbatch/instance_metadata.h"

namespace spotbatch {

// kInvalidArgument as ImdsSession::Create.
Result<std::unique_ptr<InstanceMetadata>> NewImdsClient(const ImdsOptions& options, Clock& clock);

}  // namespace spotbatch
