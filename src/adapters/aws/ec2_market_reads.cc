#include "adapters/aws/ec2_market_reads.h"

#include "common/time_format.h"

namespace spotbatch {

Result<std::vector<SpotPriceChange>> DescribeSpotPriceHistory(AwsQueryClient& ec2,
                                                              const SpotPriceQuery& query) {
  if (query.instance_types.empty() || query.instance_types.size() > 100) {
    return InvalidArgument("a spot price query names 1 to 100 instance types, not " +
                           std::to_string(query.instance_types.size()));
  }
  if (query.page_size < 5 || query.page_size > 1000 || query.max_pages < 1) {
    return InvalidArgument("a spot price query reads pages of 5 to 1000 prices");
  }
  if (query.end_unix_millis < query.start_unix_millis) {
    return InvalidArgument("a spot price query ends before it starts");
  }
  QueryParams params;
  for (size_t i = 0; i < query.instance_types.size(); ++i) {
    params.emplace_back("InstanceType." + std::to_string(i + 1), query.instance_types[i]);
  }
  params.emplace_back("ProductDescription.1", query.product);
  params.emplace_back("StartTime", FormatUtcTimestamp(query.start_unix_millis));
  params.emplace_back("EndTime", FormatUtcTimestamp(query.end_unix_millis));
  params.emplace_back("MaxResults", std::to_string(query.page_size));
  std::vector<SpotPriceChange> out;
  std::string token;
  for (int page = 0; page < query.max_pages; ++page) {
    QueryParams asked = params;
    if (!token.empty()) asked.emplace_back("NextToken", token);
    SB_ASSIGN_OR_RETURN(const std::string body, ec2.Call("DescribeSpotPriceHistory", asked));
    SB_ASSIGN_OR_RETURN(SpotPricePage p, ParseDescribeSpotPriceHistory(body));
    out.insert(out.end(), std::make_move_iterator(p.changes.begin()),
               std::make_move_iterator(p.changes.end()));
    if (p.next_token.empty()) return out;
    if (p.next_token == token) {
      return Internal("EC2 DescribeSpotPriceHistory: a page that does not move on");
    }
    token = std::move(p.next_token);
  }
  return Internal("EC2 DescribeSpotPriceHistory: more than " + std::to_string(query.max_pages) +
                  " pages");
}

Result<std::vector<PlacementScore>> GetSpotPlacementScores(AwsQueryClient& ec2,
                                                           const PlacementScoreQuery& query) {
  if (query.instance_types.empty() || query.instance_types.size() > 1000) {
    return InvalidArgument("a placement score query names 1 to 1000 instance types, not " +
                           std::to_string(query.instance_types.size()));
  }
  if (query.target_capacity < 1 || query.target_capacity > 2'000'000'000) {
    return InvalidArgument("a placement score query asks for 1 to 2,000,000,000 instances");
  }
  if (query.region.empty() || query.max_pages < 1) {
    return InvalidArgument("a placement score query names its region and reads a page");
  }
  QueryParams params;
  for (size_t i = 0; i < query.instance_types.size(); ++i) {
    params.emplace_back("InstanceType." + std::to_string(i + 1), query.instance_types[i]);
  }
  params.emplace_back("TargetCapacity", std::to_string(query.target_capacity));
  params.emplace_back("TargetCapacityUnitType", "units");
  params.emplace_back("SingleAvailabilityZone", "true");
  params.emplace_back("RegionName.1", query.region);
  params.emplace_back("MaxResults", "1000");
  std::vector<PlacementScore> out;
  std::string token;
  for (int page = 0; page < query.max_pages; ++page) {
    QueryParams asked = params;
    if (!token.empty()) asked.emplace_back("NextToken", token);
    SB_ASSIGN_OR_RETURN(const std::string body, ec2.Call("GetSpotPlacementScores", asked));
    SB_ASSIGN_OR_RETURN(PlacementScorePage p, ParseGetSpotPlacementScores(body));
    for (PlacementScore& s : p.scores) {
      if (s.region == query.region && !s.zone_id.empty()) out.push_back(std::move(s));
    }
    if (p.next_token.empty()) return out;
    if (p.next_token == token) {
      return Internal("EC2 GetSpotPlacementScores: a page that does not move on");
    }
    token = std::move(p.next_token);
  }
  return Internal("EC2 GetSpotPlacementScores: more than " + std::to_string(query.max_pages) +
                  " pages");
}

Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones(AwsQueryClient& ec2) {
  SB_ASSIGN_OR_RETURN(const std::string body, ec2.Call("DescribeAvailabilityZones", {}));
  return ParseDescribeAvailabilityZones(body);
}

}  // namespace spotbatch
