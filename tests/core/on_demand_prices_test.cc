#include "core/on_demand_prices.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

namespace spotbatch {
namespace {

TEST(ShippedOnDemandPrices, KnowsTheTypesOfTheDesignAndTheExamples) {
  // us-east-1 Linux on-demand prices, as AWS lists them (and as the examples give them).
  EXPECT_EQ(ShippedOnDemandPrice("c5.xlarge"), 0.17);
  EXPECT_EQ(ShippedOnDemandPrice("p3.2xlarge"), 3.06);
  EXPECT_EQ(ShippedOnDemandPrice("p3.16xlarge"), 24.48);
  EXPECT_EQ(ShippedOnDemandPrice("c5.xlarge", "us-east-1"), 0.17);
}

TEST(ShippedOnDemandPrices, UnknownTypesAndRegionsHaveNoPrice) {
  EXPECT_EQ(ShippedOnDemandPrice("x9.imaginary"), std::nullopt);
  EXPECT_EQ(ShippedOnDemandPrice(""), std::nullopt);
  EXPECT_EQ(ShippedOnDemandPrice("C5.XLARGE"), std::nullopt) << "types are matched exactly";
  EXPECT_EQ(ShippedOnDemandPrice("c5.xlarge", "eu-west-1"), std::nullopt)
      << "no region's price stands in for another's";
}

TEST(ShippedOnDemandPrices, EveryRowIsUniqueAndPriced) {
  const auto rates = ShippedOnDemandRates();
  // Every type of the source's newest snapshot plus the two it dropped (data/README.md).
  EXPECT_EQ(rates.size(), 1369u);
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const OnDemandRate& r : rates) {
    EXPECT_EQ(r.region, kDefaultPriceRegion) << r.instance_type;
    EXPECT_GT(r.usd_per_hour, 0) << r.instance_type;
    EXPECT_TRUE(seen.emplace(r.region, r.instance_type).second)
        << r.instance_type << " is listed twice: a lookup would be ambiguous";
  }
}

}  // namespace
}  // namespace spotbatch
