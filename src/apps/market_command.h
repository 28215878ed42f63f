// `spotbatch market -c FILE [--json]`: the config's pools ranked by expected cost per useful
// hour, with their availability and interruption rates.
#pragma once

#include "apps/config.h"

namespace spotbatch {

// Prints a markdown table (or, with `json`, {"changeover_hours", "pools": [...]}) to stdout;
// 0, or 1 without pools.
int MarketCommand(const Config& config, bool json);

}  // namespace spotbatch
