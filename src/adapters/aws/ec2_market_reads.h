// What the market on AWS reads of EC2, each call's pages followed to the end: the spot price
// history (DescribeSpotPriceHistory), spot placement scores (GetSpotPlacementScores) and the
// region's zones (DescribeAvailabilityZones: scores name zone ids, pools name zones).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/ec2_xml.h"

namespace spotbatch {

struct SpotPriceQuery {
  std::vector<std::string> instance_types;  // 1 to 100 ("c5.large")
  std::string product = "Linux/UNIX";
  // EC2 answers the changes in [start, end], and the last one before start (the price in
  // force then).
  int64_t start_unix_millis = 0;
  int64_t end_unix_millis = 0;
  int page_size = 1000;  // MaxResults, 5..1000
  int max_pages = 100;   // a bound on the requests one read may make
};

// Every change the query names, in the order EC2 sent them. kInvalidArgument for a query out
// of its ranges (nothing is sent); kInternal for an answer that is not a page, for a page
// that names the token it was asked with (it would never end), or when max_pages pages did
// not reach the end; the client's failures otherwise.
Result<std::vector<SpotPriceChange>> DescribeSpotPriceHistory(AwsQueryClient& ec2,
                                                              const SpotPriceQuery& query);

struct PlacementScoreQuery {
  // 1 to 1000; EC2 scores one or two types (or sizes of one type) low whatever the capacity,
  // so a pool should name three or more.
  std::vector<std::string> instance_types;
  int target_capacity = 1;  // instances, 1..2,000,000,000
  std::string region;       // "us-east-1"
  int max_pages = 10;       // EC2 answers the top 10 zones at most, so one page is the rule
};

// The score of every zone of `query.region` EC2 rates, for a request of all the query's
// instance types in one zone (SingleAvailabilityZone). Scores outside the region are dropped.
// kInvalidArgument for a query out of its ranges; kInternal as for prices; the client's
// failures otherwise (UnauthorizedOperation kFailedPrecondition: an account without the
// permission, ec2:GetSpotPlacementScores).
Result<std::vector<PlacementScore>> GetSpotPlacementScores(AwsQueryClient& ec2,
                                                           const PlacementScoreQuery& query);

// The zones of the region the client speaks to, whatever their state. The client's failures,
// or kInternal for an answer that is not the zone list.
Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones(AwsQueryClient& ec2);

}  // namespace spotbatch
