// The Market on AWS: each pool's quote from EC2's own reads (ec2_market_reads.h) — the spot
// price history of its instance types in its zones, spot placement scores, the Spot Instance
// Advisor's bands (spot_advisor_feed.h) — and on-demand prices from the shipped table (or the
// config's), made into quotes by core/group_pool_quotes.h.
//
// Reads are refreshed on a schedule, when a call of the port finds them due, never more
// often: prices every price_refresh_millis (a read asks only for the changes since the last
// one), scores every score_refresh_millis, the advisor every advisor_refresh_millis. Each
// pool asks for its scores with the same request each time (its types in its order, its
// max_instances): EC2 limits how many *new* request configurations an account may score in
// 24 hours, not how often one is asked again. A pool of fewer than three types is not scored
// (EC2 scores it low whatever the capacity, which would stop every launch).
//
// A failed read keeps what the last one read: quotes go on from prices up to
// stale_after_millis old, after which Quotes is kUnavailable (the fleet manager decides on
// its last quotes). An account that may not score (UnauthorizedOperation) is quoted without
// scores from then on. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/ec2_xml.h"
#include "core/group_pool_quotes.h"
#include "spotbatch/clock.h"
#include "spotbatch/market.h"

namespace spotbatch {

struct Ec2MarketOptions {
  std::string region;                // "us-east-1": the region of the client's endpoint
  std::vector<GroupPoolSpec> pools;  // in the fleet's pool order
  std::string product = "Linux/UNIX";
  GroupQuoteRules rules;
  int64_t price_refresh_millis = 5 * 60'000;
  int64_t score_refresh_millis = 30 * 60'000;
  int64_t advisor_refresh_millis = 6 * 3'600'000;
  int64_t history_millis = 24 * 3'600'000;  // price history kept in memory
  int64_t stale_after_millis = 30 * 60'000;
  bool placement_scores = true;
  // $/h on demand by instance type; empty: the shipped table's prices in `region`.
  std::map<std::string, double> on_demand;
  // The advisor's band by instance type (spot_advisor_feed.h); empty: bands are unknown.
  std::function<Result<std::map<std::string, int>>()> advisor_bands;
};

// What the market read and how it went, for tests and for the control plane's metrics.
struct Ec2MarketStats {
  int price_reads = 0;  // DescribeSpotPriceHistory calls that succeeded (each may be pages)
  int score_reads = 0;  // GetSpotPlacementScores, per pool
  int zone_reads = 0;   // DescribeAvailabilityZones
  int advisor_reads = 0;
  int failed_reads = 0;
  std::string last_failure;
  size_t price_points = 0;  // held in memory now
};

class Ec2Market final : public Market {
 public:
  // kInvalidArgument for options that are no market: no region or pool, a pool without a
  // name, with a name twice or without instance types, a refresh, staleness or history
  // period that is not positive. `ec2` and `clock` must outlive the market.
  static Result<std::unique_ptr<Ec2Market>> New(Ec2MarketOptions options, AwsQueryClient& ec2,
                                                Clock& clock);

  // Market (market.h). Quotes: kUnavailable (with the last failure) while prices are older
  // than stale_after_millis or were never read. PriceHistory: kNotFound for an unknown
  // pool, kInvalidArgument when to < from; a window reaching back before the history held in
  // memory is read from EC2 for the pool alone (its failures are the client's).
  Result<std::vector<PoolQuote>> Quotes() override;
  Result<std::vector<PricePoint>> PriceHistory(std::string_view pool, int64_t from_unix_millis,
                                               int64_t to_unix_millis) override;

  // Quotes with the type, zone and score behind each (for `spotbatch market`).
  Result<std::vector<GroupQuote>> GroupQuotes();
  Ec2MarketStats stats();

 private:
  Ec2Market(Ec2MarketOptions options, AwsQueryClient& ec2, Clock& clock);
  // Whatever is due; each read's failure is kept in stats_ and leaves the last values.
  void RefreshLocked(int64_t now);
  Status ReadPricesLocked(int64_t now);
  Status ReadScoresLocked(int64_t now);
  Status ReadZonesLocked();
  void Failed(const Status& s, const char* going_on);
  void AddPrices(std::vector<SpotPriceChange> changes, GroupMarketView& into) const;
  void PruneLocked(int64_t now);
  Result<std::vector<GroupQuote>> GroupQuotesLocked();

  const Ec2MarketOptions options_;
  AwsQueryClient& ec2_;
  Clock& clock_;
  std::vector<std::string> spot_types_;  // of every spot pool, each once

  std::mutex mu_;
  GroupMarketView view_;
  std::map<std::string, std::string> zone_names_;  // zone id -> name
  int64_t prices_read_at_ = 0;  // the `now` of the last read that succeeded; 0: never
  int64_t history_from_ = 0;    // view_ holds every price change since then
  int64_t next_price_read_ = 0, next_score_read_ = 0, next_advisor_read_ = 0;
  std::map<std::string, int64_t> scores_read_at_;  // pool -> when
  bool scores_allowed_ = true;
  Ec2MarketStats stats_;
};

}  // namespace spotbatch
