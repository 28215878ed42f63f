// The Fleet contract: every adapter must pass these. An adapter's test file instantiates the
// suite with a FleetAdapter: how to make a fleet with the two pools below on a FakeClock, how
// to make a pool run out of capacity, and how an instance's worker reports a task (which also
// protects the instance from scale-in, as the worker does on EC2).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <set>

#include "common/fake_clock.h"
#include "spotbatch/fleet.h"
#include "test_util.h"

namespace spotbatch::contract {

// The pools every adapter's fleet must have: "spot" (spot, at most 3 instances) and "od"
// (on-demand, at most 2).
struct FleetUnderTest {
  std::shared_ptr<Fleet> fleet;                          // shared with the hooks
  std::function<void(const std::string& pool)> exhaust;  // no more spot capacity there
  std::function<void(const std::string& instance, bool busy)> set_busy;
  // Where the provider tells of no capacity only later (Auto Scaling): how long the fleet
  // waits for a launch to show an instance before it gives up. 0: launches fail at once.
  int64_t launch_timeout_millis = 0;
};

struct FleetAdapter {
  std::string name;
  std::function<FleetUnderTest(const std::string& dir, Clock& clock)> open;
};
inline void PrintTo(const FleetAdapter& a, std::ostream* os) { *os << a.name; }
inline std::string AdapterName(const ::testing::TestParamInfo<FleetAdapter>& info) {
  return info.param.name;
}

class FleetContract : public ::testing::TestWithParam<FleetAdapter> {
 protected:
  void SetUp() override { f_ = GetParam().open(dir_.path(), clock_); }
  Fleet& fleet() { return *f_.fleet; }
  std::string LaunchOk(const std::string& pool) {
    auto id = fleet().Launch(pool);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }
  // The instance as Describe reports it (for a launch ticket, the instance that answered it,
  // once one has); nullptr when it does not.
  std::unique_ptr<FleetInstance> Find(const std::string& id) {
    auto all = fleet().Describe();
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    if (!all.ok()) return nullptr;
    const FleetInstance* found = nullptr;
    for (const FleetInstance& in : *all) {
      if (in.launch_ticket == id) return std::make_unique<FleetInstance>(in);
      if (in.id == id) found = &in;
    }
    return found == nullptr ? nullptr : std::make_unique<FleetInstance>(*found);
  }
  // The id of the instance that a launch started, as its worker knows it.
  std::string InstanceOf(const std::string& launched) {
    auto in = Find(launched);
    EXPECT_NE(in, nullptr) << launched;
    return in == nullptr ? "" : in->id;
  }
  testing::TempDir dir_;
  FakeClock clock_;
  FleetUnderTest f_;
};

TEST_P(FleetContract, ListsItsPoolsInAFixedOrder) {
  auto pools = fleet().Pools();
  ASSERT_TRUE(pools.ok());
  ASSERT_EQ(pools->size(), 2u);
  EXPECT_EQ((*pools)[0].name, "spot");
  EXPECT_TRUE((*pools)[0].spot);
  EXPECT_EQ((*pools)[0].max_instances, 3);
  EXPECT_EQ((*pools)[1].name, "od");
  EXPECT_FALSE((*pools)[1].spot);
  EXPECT_EQ((*fleet().Pools())[0].name, "spot") << "the same order again";
}

TEST_P(FleetContract, LaunchesUpToThePoolsMaximumWithFreshIds) {
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.insert(LaunchOk("spot"));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(fleet().Launch("spot").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(fleet().Launch("nowhere").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(fleet().Terminate(*ids.begin()).ok());
  const std::string again = LaunchOk("spot");
  EXPECT_EQ(ids.count(again), 0u) << "an id is never reused";
}

// A launch into a pool without capacity starts nothing: it fails at once, or, where the
// provider tells only later, it stays pending until the fleet gives it up, billed nothing,
// and the pool refuses launches for a while.
TEST_P(FleetContract, NoCapacityIsResourceExhaustedAndLaunchesNothing) {
  f_.exhaust("spot");
  auto launch = fleet().Launch("spot");
  if (f_.launch_timeout_millis == 0) {
    EXPECT_EQ(launch.status().code(), StatusCode::kResourceExhausted);
    auto all = fleet().Describe();
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all->empty());
  } else {
    ASSERT_TRUE(launch.ok()) << launch.status().ToString();
    auto in = Find(*launch);
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->state, InstanceState::kPending);
    clock_.Advance(f_.launch_timeout_millis);
    in = Find(*launch);
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->state, InstanceState::kTerminated);
    EXPECT_EQ(in->ended_unix_millis, in->launched_unix_millis) << "nothing to bill";
    EXPECT_FALSE(in->reclaimed);
    EXPECT_EQ(fleet().Launch("spot").status().code(), StatusCode::kResourceExhausted);
  }
  EXPECT_TRUE(fleet().Launch("od").ok()) << "on-demand capacity is another pool's";
}

TEST_P(FleetContract, DescribeShowsAnInstanceAndItsEndOnce) {
  clock_.Advance(1'000);
  const std::string id = LaunchOk("od");
  auto in = Find(id);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->pool, "od");
  EXPECT_NE(in->state, InstanceState::kTerminated);
  EXPECT_EQ(in->launched_unix_millis, clock_.NowUnixMillis());
  clock_.Advance(5'000);
  ASSERT_TRUE(fleet().Terminate(id).ok());
  in = Find(id);
  ASSERT_NE(in, nullptr) << "a termination is reported";
  EXPECT_EQ(in->state, InstanceState::kTerminated);
  EXPECT_FALSE(in->reclaimed);
  EXPECT_EQ(in->ended_unix_millis, clock_.NowUnixMillis());
  EXPECT_EQ(Find(id), nullptr) << "once";
  EXPECT_TRUE(fleet().Terminate(id).ok()) << "terminating a terminated instance is fine";
  EXPECT_EQ(fleet().Terminate("no-such").code(), StatusCode::kNotFound);
}

TEST_P(FleetContract, AProtectedInstanceIsNotTerminatedButDrained) {
  const std::string id = LaunchOk("spot");
  const std::string instance = InstanceOf(id);
  f_.set_busy(instance, true);
  auto in = Find(id);
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(in->busy);
  EXPECT_TRUE(in->protected_from_scale_in);
  EXPECT_EQ(fleet().Terminate(id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fleet().Drain(id).ok());
  in = Find(id);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->state, InstanceState::kDraining) << "it finishes its task first";
  f_.set_busy(instance, false);
  in = Find(id);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->state, InstanceState::kTerminated) << "then goes";
}

TEST_P(FleetContract, AnIdleInstanceDrainsAtOnceAndProtectionCanBeCleared) {
  const std::string idle = LaunchOk("spot");
  ASSERT_TRUE(fleet().Drain(idle).ok());
  auto in = Find(idle);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->state, InstanceState::kTerminated);
  EXPECT_EQ(fleet().Drain(idle).code(), StatusCode::kNotFound);
  const std::string id = LaunchOk("spot");
  ASSERT_TRUE(fleet().SetProtection(id, true).ok());
  EXPECT_EQ(fleet().Terminate(id).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fleet().SetProtection(id, false).ok());
  EXPECT_TRUE(fleet().Terminate(id).ok());
  EXPECT_EQ(fleet().SetProtection(id, true).code(), StatusCode::kNotFound);
}

}  // namespace spotbatch::contract
