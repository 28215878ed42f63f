// The spot price history of EC2 (DescribeSpotPriceHistory), read page after page: what the
// market on AWS turns into each pool's PricePoints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/aws/ec2_client.h"
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
Result<std::vector<SpotPriceChange>> DescribeSpotPriceHistory(Ec2Client& ec2,
                                                              const SpotPriceQuery& query);

}  // namespace spotbatch
