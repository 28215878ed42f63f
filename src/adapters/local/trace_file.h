// Reads a capacity trace file: {"metadata": {"gap_seconds": G}, "data": [v0, v1, ...]}.
#pragma once

#include <string>
#include <string_view>

#include "core/capacity_trace.h"
#include "spotbatch/status.h"

namespace spotbatch {

// Parses a trace already in memory, naming `source` in its errors. Input is untrusted:
// kInvalidArgument naming the source and the problem for anything malformed (not JSON, no
// gap_seconds of at least a millisecond (rounded to whole milliseconds), empty data, a value that
// is not an integer from 0 to 1,000,000). A trace it returns has gap_millis > 0 and at least one
// value.
Result<CapacityTrace> ParseCapacityTrace(std::string_view json, const std::string& source);
// Reads the file `path` and parses it (ParseCapacityTrace); kNotFound for a missing file.
Result<CapacityTrace> LoadCapacityTrace(const std::string& path);

}  // namespace spotbatch
