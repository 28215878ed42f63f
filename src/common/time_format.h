// UTC timestamps as EC2's instance metadata writes them: "2026-11-25T15:04:05Z".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spotbatch {

// "YYYY-MM-DDTHH:MM:SSZ", optionally with fractional seconds before the Z. nullopt for
// anything else (other offsets, out-of-range fields, trailing bytes). Second 60 (a leap
// second) only at 23:59, read as the next day's 00:00:00; every time it returns is one
// FormatUtcTimestamp writes back (years 0000-9999).
std::optional<int64_t> ParseUtcTimestamp(std::string_view text);
// Whole seconds, always with the Z (as EC2 writes them); with `millis`, ".mmm" before the Z.
std::string FormatUtcTimestamp(int64_t unix_millis, bool millis = false);

}  // namespace spotbatch
