// `spotbatch simulate -c FILE [--json]`: compares fleet policies on the config's pools.
#pragma once

#include <string>
#include <vector>

#include "apps/config.h"
#include "core/market.h"

namespace spotbatch {

// The config's [[fleet.pool]] entries as the simulator's market (each trace rotated by its
// trace_offset_seconds).
std::vector<MarketPool> MarketPoolsOf(const Config& config);

// Prints a markdown table (or, with `json`, {"results": [...]}) to stdout; with `svg_dir`,
// also writes timeline.svg and cost_vs_slack.svg there. 0, or 1 on error.
int SimulateCommand(const Config& config, bool json, const std::string& svg_dir = "");

}  // namespace spotbatch
