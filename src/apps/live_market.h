// `spotbatch market -c FILE [--json]` on EC2 pools (provider = "ec2"): each pool's quote now,
// read from EC2 by the market on AWS (adapters/aws/ec2_market.h) — the (type, zone) a launch
// would most likely get, its spot and on-demand price, the zone's placement score, the
// advisor's band and whether a launch would get capacity.
#pragma once

#include <string>

#include "adapters/aws/ec2_market.h"
#include "apps/config.h"

namespace spotbatch {

// The market's options for the config's EC2 pools in `region`: the pools' types, zones and
// sizes, [fleet.market]'s advisor feed, scores and refresh.
Ec2MarketOptions Ec2MarketOptionsFor(const Config& config, const std::string& region);

// Prints a markdown table (or, with `json`, {"region", "pools": [...]}) to stdout. 0; 1 when
// EC2 could not be read (stderr says why).
int LiveMarketCommand(const Config& config, bool json);

}  // namespace spotbatch
