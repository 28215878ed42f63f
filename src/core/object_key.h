// Validation of object keys, which are untrusted input (they arrive from the command line,
// from file names in an input folder and, on AWS, from S3 events).
#pragma once

#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

inline constexpr size_t kMaxKeyBytes = 1024;

// OK for a key a store can hold: 1..1024 bytes of valid UTF-8, no NUL or other control
// character, no leading '/', no empty, "." or ".." segment, and a bucket (first segment) that
// does not start with '.' or '_' (reserved for the store and for spotbatch itself).
// Spaces, '+', '%' and any printable unicode are fine and taken literally.
Status ValidateObjectKey(std::string_view key);
// Same rules for a prefix (used to list), which may also be empty or end with '/'.
Status ValidateKeyPrefix(std::string_view prefix);
// Same rules for a key spotbatch writes itself (its bucket may start with '_').
Status ValidateInternalKey(std::string_view key);

}  // namespace spotbatch
