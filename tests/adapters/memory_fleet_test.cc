#include "adapters/memory/memory_fleet.h"

#include "contract/fleet_contract.h"

namespace spotbatch {
namespace {

std::vector<MemoryPool> ContractPools() {
  return {{.pool = {"spot", true, "c5.large", "us-east-1a", 3},
           .usd_per_hour = 0.03,
           .on_demand_usd_per_hour = 0.085},
          {.pool = {"od", false, "c5.large", "us-east-1a", 2},
           .usd_per_hour = 0.085,
           .on_demand_usd_per_hour = 0.085}};
}

using contract::FleetContract;
INSTANTIATE_TEST_SUITE_P(Memory, FleetContract,
                         ::testing::Values(contract::FleetAdapter{
                             "memory",
                             [](const std::string&, Clock& clock) {
                               auto fleet = std::make_shared<MemoryFleet>(clock, ContractPools());
                               contract::FleetUnderTest f;
                               f.fleet = fleet;
                               f.exhaust = [fleet](const std::string& pool) {
                                 (void)fleet->SetCapacity(pool, 0);
                               };
                               f.set_busy = [fleet](const std::string& id, bool busy) {
                                 (void)fleet->SetBusy(id, busy);
                               };
                               return f;
                             }}),
                         contract::AdapterName);

class MemoryFleetTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  MemoryFleet fleet_{clock_, ContractPools()};
};

TEST_F(MemoryFleetTest, QuotesFollowCapacityAndPrice) {
  ASSERT_TRUE(fleet_.SetCapacity("spot", 1).ok());
  auto q = fleet_.Quotes();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)[0].spare, 1);
  EXPECT_TRUE((*q)[0].can_launch);
  EXPECT_EQ((*q)[1].spare, 2);
  ASSERT_TRUE(fleet_.Launch("spot").ok());
  q = fleet_.Quotes();
  EXPECT_EQ((*q)[0].spare, 0);
  EXPECT_FALSE((*q)[0].can_launch);
  clock_.Advance(10'000);
  ASSERT_TRUE(fleet_.SetPrice("spot", 0.05).ok());
  EXPECT_DOUBLE_EQ((*fleet_.Quotes())[0].usd_per_hour, 0.05);
  const int64_t start = clock_.NowUnixMillis() - 10'000;
  auto h = fleet_.PriceHistory("spot", start + 5'000, start + 20'000);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u) << "the price in force at the start, then the change";
  EXPECT_DOUBLE_EQ((*h)[0].usd_per_hour, 0.03);
  EXPECT_EQ((*h)[1].from_unix_millis, start + 10'000);
  EXPECT_EQ(fleet_.PriceHistory("spot", 5, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fleet_.PriceHistory("x", 0, 1).status().code(), StatusCode::kNotFound);
}

TEST_F(MemoryFleetTest, NoticesAndReclaimsAreReported) {
  auto id = fleet_.Launch("spot");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(fleet_.Notice(*id, clock_.NowUnixMillis() + 120'000).ok());
  ASSERT_TRUE(fleet_.RecommendRebalance(*id).ok());
  auto all = fleet_.Describe();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].interruption_unix_millis, clock_.NowUnixMillis() + 120'000);
  EXPECT_TRUE((*all)[0].rebalance_recommended);
  ASSERT_TRUE(fleet_.SetBusy(*id, true).ok());
  ASSERT_TRUE(fleet_.Reclaim(*id).ok()) << "protection does not stop the provider";
  all = fleet_.Describe();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].state, InstanceState::kTerminated);
  EXPECT_TRUE((*all)[0].reclaimed);
  EXPECT_EQ(fleet_.Reclaim(*id).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace spotbatch
