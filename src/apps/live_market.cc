#include "apps/live_market.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/aws/env_credentials.h"
#include "apps/aws_services.h"
#include "apps/spot_advisor_feed.h"
#include "core/market.h"

namespace spotbatch {

Ec2MarketOptions Ec2MarketOptionsFor(const Config& config, const std::string& region) {
  Ec2MarketOptions o;
  o.region = region;
  for (const PoolConfig& p : config.pools) {
    o.pools.push_back({p.name, p.spot, p.instance_types, p.zones, p.max_instances,
                       p.on_demand_price_given ? p.on_demand_price_per_hour : 0});
  }
  o.rules.min_placement_score = config.ec2_market.min_placement_score;
  o.placement_scores = config.ec2_market.placement_scores;
  o.price_refresh_millis = static_cast<int64_t>(config.ec2_market.price_refresh_seconds * 1000);
  const std::string advisor = config.ec2_market.advisor.empty() ? std::string(kSpotAdvisorFeedUrl)
                                                                : config.ec2_market.advisor;
  o.advisor_bands = [advisor, region] { return ReadSpotAdvisorBands(advisor, region); };
  return o;
}

int LiveMarketCommand(const Config& config, bool json) {
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "spotbatch market: %s\n", s.ToString().c_str());
    return 1;
  };
  Result<std::string> region = AwsRegionFor(config, ProcessEnvironment());
  if (!region.ok()) return fail(region.status());
  auto credentials = AwsCredentialsFor(config, ProcessEnvironment(), SystemClock(), "");
  if (!credentials.ok()) return fail(credentials.status());
  auto ec2 = AwsQueryClientFor(config, "ec2", kEc2Api, *region, **credentials, SystemClock());
  if (!ec2.ok()) return fail(ec2.status());
  auto market = Ec2Market::New(Ec2MarketOptionsFor(config, *region), **ec2, SystemClock());
  if (!market.ok()) return fail(market.status());
  auto quotes = (*market)->GroupQuotes();
  if (!quotes.ok()) return fail(quotes.status());
  auto savings = [](const PoolQuote& q) {
    return q.on_demand_usd_per_hour > 0 ? 1 - q.usd_per_hour / q.on_demand_usd_per_hour : 0.0;
  };
  if (json) {
    nlohmann::json out = {{"region", *region}, {"pools", nlohmann::json::array()}};
    for (const GroupQuote& g : *quotes) {
      out["pools"].push_back(
          {{"name", g.quote.pool},
           {"market", g.quote.spot ? "spot" : "on-demand"},
           {"instance_type", g.instance_type},
           {"zone", g.zone},
           {"usd_per_hour", g.quote.usd_per_hour},
           {"on_demand_usd_per_hour", g.quote.on_demand_usd_per_hour},
           {"savings", savings(g.quote)},
           {"placement_score", g.placement_score},
           {"interruption_band", InterruptionBandLabel(g.quote.interruption_band)},
           {"can_launch", g.quote.can_launch}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf(
      "EC2 pools in %s, as a launch would find them now\n\n"
      "| pool | market | type | zone | $/h | on demand $/h | savings | placement score | "
      "interruptions | can launch |\n|---|---|---|---|---|---|---|---|---|---|\n",
      region->c_str());
  for (const GroupQuote& g : *quotes) {
    std::printf("| %s | %s | %s | %s | %.4f | %.4f | %.0f%% | %s | %s | %s |\n",
                g.quote.pool.c_str(), g.quote.spot ? "spot" : "on-demand",
                g.instance_type.empty() ? "-" : g.instance_type.c_str(),
                g.zone.empty() ? "any" : g.zone.c_str(), g.quote.usd_per_hour,
                g.quote.on_demand_usd_per_hour, 100 * savings(g.quote),
                g.placement_score > 0 ? std::to_string(g.placement_score).c_str() : "-",
                InterruptionBandLabel(g.quote.interruption_band),
                g.quote.can_launch ? "yes" : "no");
  }
  return 0;
}

}  // namespace spotbatch
