#include "agent/fleet_manager.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_fleet.h"
#include "common/fake_clock.h"
#include "core/backlog_scaling.h"

namespace spotbatch {
namespace {

class ScriptedWork final : public WorkSource {
 public:
  WorkSnapshot now;
  Result<WorkSnapshot> Work() override { return now; }
};

std::vector<MemoryPool> Pools() {
  return {{.pool = {"spot-a", true, "c5.large", "us-east-1a", 10},
           .usd_per_hour = 0.036,
           .on_demand_usd_per_hour = 0.085},
          {.pool = {"spot-b", true, "c5.large", "us-east-1b", 10},
           .usd_per_hour = 0.045,
           .on_demand_usd_per_hour = 0.085},
          {.pool = {"od", false, "c5.large", "us-east-1a", 10},
           .usd_per_hour = 0.085,
           .on_demand_usd_per_hour = 0.085}};
}

class FleetManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(manager_.Init().ok()); }
  std::vector<FleetDecision> Tick() {
    auto made = manager_.Tick();
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : std::vector<FleetDecision>{};
  }
  std::vector<FleetInstance> Live() {
    std::vector<FleetInstance> live;
    for (const FleetInstance& in : *fleet_.Describe()) {
      if (in.state != InstanceState::kTerminated) live.push_back(in);
    }
    return live;
  }
  static int Count(const std::vector<FleetDecision>& made, FleetDecision::What what,
                   const std::string& pool = "") {
    int n = 0;
    for (const FleetDecision& d : made) n += d.what == what && (pool.empty() || d.pool == pool);
    return n;
  }

  FakeClock clock_;
  MemoryFleet fleet_{clock_, Pools()};
  ScriptedWork work_;
  ScalingOptions options_;
  std::unique_ptr<FleetPolicy> policy_ = NewBacklogScalingPolicy(options_);
  FleetManager manager_{fleet_, fleet_, *policy_, work_, clock_, 60};
};

TEST_F(FleetManagerTest, ABurstScalesOutAndADrainedQueueBackToZero) {
  EXPECT_TRUE(Tick().empty()) << "nothing to do";
  work_.now = {.queued = 4, .left = 4};
  auto made = Tick();
  EXPECT_EQ(Count(made, FleetDecision::kLaunched), 4);
  std::vector<FleetInstance> live = Live();
  ASSERT_EQ(live.size(), 4u);
  for (const FleetInstance& in : live) ASSERT_TRUE(fleet_.SetBusy(in.id, true).ok());
  work_.now = {.running = 4, .left = 4, .mean_done_task_seconds = 0};
  clock_.Advance(600'000);
  EXPECT_TRUE(Tick().empty()) << "all busy, nothing queued: hold";
  for (const FleetInstance& in : live) ASSERT_TRUE(fleet_.SetBusy(in.id, false).ok());
  work_.now = {.mean_done_task_seconds = 600};
  clock_.Advance(1'000);
  EXPECT_TRUE(Tick().empty()) << "idle, but within the grace";
  clock_.Advance(300'000);
  made = Tick();
  EXPECT_EQ(Count(made, FleetDecision::kTerminated), 4);
  EXPECT_TRUE(Live().empty());
  Tick();  // sees the ends
  const Bill bill = manager_.BillNow();
  // Four instances for 901 s each, in the pools the policy chose.
  int64_t billed = 0;
  for (const PoolBill& p : bill.pools) billed += p.billed_millis;
  EXPECT_EQ(billed, 4 * 901'000);
  EXPECT_EQ(bill.idle, bill.total) << "no attempt was recorded";
  EXPECT_GT(bill.total, 0);
}

TEST_F(FleetManagerTest, NoSpotCapacityFallsBackToTheOtherPoolThenOnDemand) {
  ASSERT_TRUE(fleet_.SetCapacity("spot-a", 0).ok());
  work_.now = {.queued = 2, .left = 2};
  auto made = Tick();
  EXPECT_EQ(Count(made, FleetDecision::kLaunched, "spot-b"), 2) << "spot-a quotes no room";
  ASSERT_TRUE(fleet_.SetCapacity("spot-b", 2).ok());
  work_.now = {.queued = 4, .left = 4};
  made = Tick();
  EXPECT_EQ(Count(made, FleetDecision::kLaunched, "od"), 1) << "one on-demand step";
}

TEST_F(FleetManagerTest, ALaunchTheQuoteAllowedButTheFleetRefusesIsLogged) {
  // A market that still quotes room where the fleet has none (quotes lag, as on EC2).
  class StaleMarket final : public Market {
   public:
    explicit StaleMarket(Market& m) : m_(m) {}
    Result<std::vector<PoolQuote>> Quotes() override {
      auto q = m_.Quotes();
      if (q.ok()) {
        for (PoolQuote& p : *q) p.spare = 5, p.can_launch = true;
      }
      return q;
    }
    Result<std::vector<PricePoint>> PriceHistory(std::string_view p, int64_t f,
                                                 int64_t t) override {
      return m_.PriceHistory(p, f, t);
    }
    Market& m_;
  } stale(fleet_);
  FleetManager manager(fleet_, stale, *policy_, work_, clock_, 60);
  ASSERT_TRUE(manager.Init().ok());
  ASSERT_TRUE(fleet_.SetCapacity("spot-a", 0).ok());
  work_.now = {.queued = 1, .left = 1};
  auto made = manager.Tick();
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->size(), 1u);
  EXPECT_EQ((*made)[0].what, FleetDecision::kNoCapacity);
  EXPECT_NE((*made)[0].why.find("no spot capacity"), std::string::npos) << (*made)[0].why;
}

TEST_F(FleetManagerTest, AnInstanceThatTookATaskIsNotTerminated) {
  work_.now = {.queued = 1, .left = 1};
  Tick();
  ASSERT_EQ(Live().size(), 1u);
  const std::string id = Live()[0].id;
  work_.now = {};
  clock_.Advance(400'000);
  // Described idle, but its worker protected it as it took a task (the race EC2 has too).
  ASSERT_TRUE(fleet_.SetProtection(id, true).ok());
  auto made = Tick();
  EXPECT_EQ(Count(made, FleetDecision::kRefused), 1);
  EXPECT_EQ(Live().size(), 1u) << "still there";
}

TEST_F(FleetManagerTest, ANoticeLaunchesTheReplacementAtOnceAndAReclaimIsLearned) {
  work_.now = {.queued = 1, .left = 1};
  Tick();
  const std::string first = Live()[0].id;
  EXPECT_EQ(Live()[0].pool, "spot-a");
  ASSERT_TRUE(fleet_.SetBusy(first, true).ok());
  work_.now = {.running = 1, .left = 1};
  clock_.Advance(60'000);
  ASSERT_TRUE(fleet_.Notice(first, clock_.NowUnixMillis() + 120'000).ok());
  auto made = Tick();
  EXPECT_EQ(Count(made, FleetDecision::kLaunched), 1) << "before the reclaim";
  clock_.Advance(120'000);
  ASSERT_TRUE(fleet_.Reclaim(first).ok());
  Tick();
  EXPECT_EQ(manager_.reclaims(), 1);
  const Bill bill = manager_.BillNow();
  EXPECT_EQ(bill.pools[0].reclaims, 1);
}

TEST_F(FleetManagerTest, PriceChangesReachTheBill) {
  work_.now = {.queued = 1, .left = 1};
  Tick();
  clock_.Advance(1'800'000);
  ASSERT_TRUE(fleet_.SetPrice("spot-a", 0.072).ok());
  ASSERT_TRUE(fleet_.SetBusy(Live()[0].id, true).ok());
  work_.now = {.running = 1, .left = 1};
  Tick();
  clock_.Advance(1'800'000);
  const Bill bill = manager_.BillNow();
  // Half an hour at $0.036, half at $0.072.
  EXPECT_EQ(bill.total, 18'000'000 + 36'000'000);
}

}  // namespace
}  // namespace spotbatch
