// The Spot Instance Advisor's feed: the JSON behind the advisor's web page, with each spot
// pool's band of interruptions over the trailing month (market.h). AWS publishes it at
// kSpotAdvisorFeedUrl, unsigned and updated about daily; a copy can also be read from a file
// (data/market/spot-advisor/ ships two). It joins an AWS adapter's HTTP to the local loaders'
// parser, so it lives with the wiring; the market takes its bands as a function
// (Ec2MarketOptions::advisor_bands).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "adapters/aws/http_client.h"
#include "spotbatch/status.h"

namespace spotbatch {

inline constexpr std::string_view kSpotAdvisorFeedUrl =
    "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json";
// The feed is about 1 MB; a source that sends more is not the feed.
inline constexpr size_t kMaxSpotAdvisorFeedBytes = 16 << 20;

// The advisor's band of each Linux instance type of `region`, read from `source`: an
// "http://" or "https://" URL (one GET, bounded by kMaxSpotAdvisorFeedBytes and `http`'s
// timeouts) or a file path. kInvalidArgument for a source that is neither, kUnavailable when
// the server cannot be reached or answers other than 200 (try again later), kNotFound for a
// missing file, kInvalidArgument for a feed that does not parse (market_data.h), kNotFound
// when it lists nothing for the region.
Result<std::map<std::string, int>> ReadSpotAdvisorBands(std::string_view source,
                                                        std::string_view region,
                                                        HttpClientOptions http = {});

}  // namespace spotbatch
