// Reading the market data and trace files a config names: whole, into memory, bounded.
#pragma once

#include <cstdint>
#include <string>

#include "spotbatch/status.h"

namespace spotbatch {

// The largest data file read (the biggest the project carries is under 4 MiB).
inline constexpr int64_t kMaxDataFileBytes = 256 << 20;

// The contents of the regular file `path`. kNotFound ("<what> <path> cannot be read") when it
// cannot be opened; kInvalidArgument when it is not a regular file (a device or a pipe would
// never end, or block) or is over kMaxDataFileBytes.
Result<std::string> ReadDataFile(const std::string& path, const std::string& what);

}  // namespace spotbatch
