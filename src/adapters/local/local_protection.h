// The worker's side of the local fleet's scale-in protection: a PUT to its instance's own
// metadata server (LocalImdsServer), with a metadata token as every request there carries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "spotbatch/scale_in_protection.h"

namespace spotbatch {

// `endpoint`: "http://127.0.0.1:PORT". kInvalidArgument for anything but a loopback http URL.
Result<std::unique_ptr<ScaleInProtection>> NewLocalScaleInProtection(const std::string& endpoint,
                                                                     int64_t timeout_millis = 1000);

}  // namespace spotbatch
