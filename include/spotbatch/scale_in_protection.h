// ScaleInProtection: how a worker tells its fleet that it holds a task, so that scale-in
// passes its instance by (the Fleet refuses to terminate a protected instance; see fleet.h).
//
// On EC2 it is the instance's scale-in protection in its Auto Scaling group
// (SetInstanceProtection), set by the worker on itself as the reference architecture's sample
// does; on the local fleet, a call to the instance's own metadata server. Protection never
// stops a spot reclaim.
#pragma once

#include "spotbatch/status.h"

namespace spotbatch {

class ScaleInProtection {
 public:
  virtual ~ScaleInProtection() = default;
  // Protects this instance (`busy`) or lifts its protection. kUnavailable when the fleet
  // cannot be reached (the worker goes on: a failed protection risks only a scale-in, which
  // hands the task back).
  virtual Status Protect(bool busy) = 0;
};

}  // namespace spotbatch
