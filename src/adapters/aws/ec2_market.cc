#include "adapters/aws/ec2_market.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "adapters/aws/ec2_market_reads.h"
#include "core/on_demand_prices.h"

namespace spotbatch {
namespace {

// DescribeSpotPriceHistory takes at most 100 instance types a query.
constexpr size_t kTypesPerPriceQuery = 100;
// A change EC2 publishes may carry a time a little before it became visible: each read
// reaches back this far before the last one.
constexpr int64_t kPriceReadOverlapMillis = 5 * 60'000;
// Scores not renewed in this many refresh periods are dropped rather than trusted.
constexpr int64_t kScoreLifetimePeriods = 3;

int64_t RetryAfterFailure(int64_t period) { return std::max<int64_t>(1000, period / 5); }

}  // namespace

Result<std::unique_ptr<Ec2Market>> Ec2Market::New(Ec2MarketOptions options, AwsQueryClient& ec2,
                                                  Clock& clock) {
  if (options.region.empty()) return InvalidArgument("the EC2 market names no region");
  if (options.pools.empty()) return InvalidArgument("the EC2 market has no pool");
  std::set<std::string> names;
  for (const GroupPoolSpec& p : options.pools) {
    if (p.name.empty()) return InvalidArgument("an EC2 pool has no name");
    if (!names.insert(p.name).second) {
      return InvalidArgument("two EC2 pools are named \"" + p.name + "\"");
    }
    if (p.instance_types.empty()) {
      return InvalidArgument("EC2 pool \"" + p.name + "\" names no instance type");
    }
    if (p.max_instances < 1) {
      return InvalidArgument("EC2 pool \"" + p.name + "\" has no room for an instance");
    }
  }
  if (options.price_refresh_millis <= 0 || options.score_refresh_millis <= 0 ||
      options.advisor_refresh_millis <= 0 || options.history_millis <= 0 ||
      options.stale_after_millis <= 0) {
    return InvalidArgument("the EC2 market's refresh, staleness and history periods are positive");
  }
  if (options.on_demand.empty()) {
    for (const OnDemandRate& r : ShippedOnDemandRates()) {
      if (r.region == options.region)
        options.on_demand[std::string(r.instance_type)] = r.usd_per_hour;
    }
  }
  return std::unique_ptr<Ec2Market>(new Ec2Market(std::move(options), ec2, clock));
}

Ec2Market::Ec2Market(Ec2MarketOptions options, AwsQueryClient& ec2, Clock& clock)
    : options_(std::move(options)), ec2_(ec2), clock_(clock) {
  std::set<std::string> seen;
  for (const GroupPoolSpec& p : options_.pools) {
    if (!p.spot) continue;
    for (const std::string& t : p.instance_types) {
      if (seen.insert(t).second) spot_types_.push_back(t);
    }
  }
  view_.on_demand = options_.on_demand;
  scores_allowed_ = options_.placement_scores;
}

void Ec2Market::Failed(const Status& s, const char* going_on) {
  ++stats_.failed_reads;
  stats_.last_failure = s.ToString();
  std::fprintf(stderr, "spotbatch market: %s; %s\n", stats_.last_failure.c_str(), going_on);
}

void Ec2Market::AddPrices(std::vector<SpotPriceChange> changes, GroupMarketView& into) const {
  const std::string vpc_variant = options_.product + " (";  // "Linux/UNIX (Amazon VPC)"
  for (SpotPriceChange& c : changes) {
    if (c.product != options_.product && !c.product.starts_with(vpc_variant)) continue;
    std::vector<PricePoint>& points =
        into.spot_prices[{std::move(c.zone), std::move(c.instance_type)}];
    auto at =
        std::lower_bound(points.begin(), points.end(), c.unix_millis,
                         [](const PricePoint& p, int64_t t) { return p.from_unix_millis < t; });
    if (at != points.end() && at->from_unix_millis == c.unix_millis) {
      at->usd_per_hour = c.usd_per_hour;
    } else {
      points.insert(at, {c.unix_millis, c.usd_per_hour});
    }
  }
}

Status Ec2Market::ReadPricesLocked(int64_t now) {
  const int64_t start = prices_read_at_ == 0 ? now - options_.history_millis
                                             : prices_read_at_ - kPriceReadOverlapMillis;
  std::vector<SpotPriceChange> changes;
  for (size_t i = 0; i < spot_types_.size(); i += kTypesPerPriceQuery) {
    SpotPriceQuery q;
    const size_t end = std::min(spot_types_.size(), i + kTypesPerPriceQuery);
    q.instance_types.assign(spot_types_.begin() + static_cast<ptrdiff_t>(i),
                            spot_types_.begin() + static_cast<ptrdiff_t>(end));
    q.product = options_.product;
    q.start_unix_millis = start;
    q.end_unix_millis = now;
    SB_ASSIGN_OR_RETURN(std::vector<SpotPriceChange> got, DescribeSpotPriceHistory(ec2_, q));
    changes.insert(changes.end(), std::make_move_iterator(got.begin()),
                   std::make_move_iterator(got.end()));
  }
  AddPrices(std::move(changes), view_);
  if (prices_read_at_ == 0) history_from_ = start;
  prices_read_at_ = now;
  ++stats_.price_reads;
  PruneLocked(now);
  return Status::Ok();
}

void Ec2Market::PruneLocked(int64_t now) {
  const int64_t cutoff = now - options_.history_millis;
  stats_.price_points = 0;
  for (auto& [key, points] : view_.spot_prices) {
    // Keep the point in force at the cutoff, drop those before it.
    auto in_force =
        std::upper_bound(points.begin(), points.end(), cutoff,
                         [](int64_t t, const PricePoint& p) { return t < p.from_unix_millis; });
    if (in_force - points.begin() > 1) points.erase(points.begin(), std::prev(in_force));
    stats_.price_points += points.size();
  }
  history_from_ = std::max(history_from_, cutoff);
}

Status Ec2Market::ReadZonesLocked() {
  SB_ASSIGN_OR_RETURN(const std::vector<AvailabilityZone> zones, DescribeAvailabilityZones(ec2_));
  ++stats_.zone_reads;
  zone_names_.clear();
  for (const AvailabilityZone& z : zones) {
    if (z.region == options_.region) zone_names_[z.id] = z.name;
  }
  return Status::Ok();
}

Status Ec2Market::ReadScoresLocked(int64_t now) {
  if (zone_names_.empty()) SB_RETURN_IF_ERROR(ReadZonesLocked());
  for (const GroupPoolSpec& pool : options_.pools) {
    if (!pool.spot || pool.instance_types.size() < 3) continue;
    Result<std::vector<PlacementScore>> scores =
        GetSpotPlacementScores(ec2_, {.instance_types = pool.instance_types,
                                      .target_capacity = pool.max_instances,
                                      .region = options_.region});
    if (!scores.ok()) return scores.status();
    ++stats_.score_reads;
    bool reread_zones = false;
    std::map<std::string, int> by_zone;
    for (const PlacementScore& s : *scores) {
      auto name = zone_names_.find(s.zone_id);
      if (name == zone_names_.end() && !reread_zones) {
        reread_zones = true;  // a zone new to the region: read them again, once
        SB_RETURN_IF_ERROR(ReadZonesLocked());
        name = zone_names_.find(s.zone_id);
      }
      if (name != zone_names_.end()) by_zone[name->second] = s.score;
    }
    view_.placement_scores[pool.name] = std::move(by_zone);
    scores_read_at_[pool.name] = now;
  }
  return Status::Ok();
}

void Ec2Market::RefreshLocked(int64_t now) {
  if (!spot_types_.empty() && now >= next_price_read_) {
    const Status s = ReadPricesLocked(now);
    if (!s.ok()) Failed(s, "going on with the prices read before");
    next_price_read_ = now + (s.ok() ? options_.price_refresh_millis
                                     : RetryAfterFailure(options_.price_refresh_millis));
  }
  if (scores_allowed_ && now >= next_score_read_) {
    const Status s = ReadScoresLocked(now);
    if (s.code() == StatusCode::kFailedPrecondition) {
      // Not allowed to score (ec2:GetSpotPlacementScores): quote without scores from now on.
      scores_allowed_ = false;
      view_.placement_scores.clear();
      Failed(s, "quoting without placement scores from now on");
    } else if (!s.ok()) {
      Failed(s, "going on with the scores read before");
    }
    next_score_read_ = now + (s.ok() ? options_.score_refresh_millis
                                     : RetryAfterFailure(options_.score_refresh_millis));
  }
  for (auto it = scores_read_at_.begin(); it != scores_read_at_.end();) {
    if (now - it->second > kScoreLifetimePeriods * options_.score_refresh_millis) {
      view_.placement_scores.erase(it->first);
      it = scores_read_at_.erase(it);
    } else {
      ++it;
    }
  }
  if (options_.advisor_bands && now >= next_advisor_read_) {
    Result<std::map<std::string, int>> bands = options_.advisor_bands();
    if (bands.ok()) {
      view_.bands = std::move(*bands);
      ++stats_.advisor_reads;
    } else {
      Failed(bands.status(), "going on with the bands read before");
    }
    next_advisor_read_ = now + (bands.ok() ? options_.advisor_refresh_millis
                                           : RetryAfterFailure(options_.advisor_refresh_millis));
  }
}

Result<std::vector<GroupQuote>> Ec2Market::GroupQuotesLocked() {
  const int64_t now = clock_.NowUnixMillis();
  RefreshLocked(now);
  if (!spot_types_.empty()) {
    if (prices_read_at_ == 0) {
      return Unavailable("EC2 spot prices were never read: " + stats_.last_failure);
    }
    if (now - prices_read_at_ > options_.stale_after_millis) {
      return Unavailable("EC2 spot prices were last read " +
                         std::to_string((now - prices_read_at_) / 1000) +
                         " s ago: " + stats_.last_failure);
    }
  }
  std::vector<GroupQuote> out;
  out.reserve(options_.pools.size());
  for (const GroupPoolSpec& pool : options_.pools) {
    out.push_back(QuoteGroupPool(pool, view_, now, options_.rules));
  }
  return out;
}

Result<std::vector<GroupQuote>> Ec2Market::GroupQuotes() {
  std::lock_guard lock(mu_);
  return GroupQuotesLocked();
}

Result<std::vector<PoolQuote>> Ec2Market::Quotes() {
  std::lock_guard lock(mu_);
  SB_ASSIGN_OR_RETURN(std::vector<GroupQuote> quotes, GroupQuotesLocked());
  std::vector<PoolQuote> out;
  out.reserve(quotes.size());
  for (GroupQuote& q : quotes) out.push_back(std::move(q.quote));
  return out;
}

Result<std::vector<PricePoint>> Ec2Market::PriceHistory(std::string_view pool_name,
                                                        int64_t from_unix_millis,
                                                        int64_t to_unix_millis) {
  auto pool = std::find_if(options_.pools.begin(), options_.pools.end(),
                           [&](const GroupPoolSpec& p) { return p.name == pool_name; });
  if (pool == options_.pools.end()) {
    return NotFound("no EC2 pool is named \"" + std::string(pool_name) + "\"");
  }
  if (to_unix_millis < from_unix_millis) {
    return InvalidArgument("a price history cannot end before it starts");
  }
  std::lock_guard lock(mu_);
  RefreshLocked(clock_.NowUnixMillis());
  if (!pool->spot || (prices_read_at_ != 0 && from_unix_millis >= history_from_)) {
    return GroupPoolPriceHistory(*pool, view_, from_unix_millis, to_unix_millis);
  }
  // Further back than memory holds: this pool's types over the window, read now.
  SpotPriceQuery q;
  q.instance_types = pool->instance_types;
  q.product = options_.product;
  q.start_unix_millis = from_unix_millis;
  q.end_unix_millis = to_unix_millis;
  SB_ASSIGN_OR_RETURN(std::vector<SpotPriceChange> changes, DescribeSpotPriceHistory(ec2_, q));
  GroupMarketView window;
  AddPrices(std::move(changes), window);
  return GroupPoolPriceHistory(*pool, window, from_unix_millis, to_unix_millis);
}

Ec2MarketStats Ec2Market::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace spotbatch
