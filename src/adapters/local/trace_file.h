// Reads a capacity trace file: {"metadata": {"gap_seconds": G}, "data": [v0, v1, ...]}.
#pragma once

#include <string>

#include "core/capacity_trace.h"
#include "spotbatch/status.h"

namespace spotbatch {

// kNotFound for a missing file; kInvalidArgument naming the file and the problem for anything
// malformed (not JSON, no positive gap_seconds, empty data, a value that is not a
// non-negative integer).
Result<CapacityTrace> LoadCapacityTrace(const std::string& path);

}  // namespace spotbatch
