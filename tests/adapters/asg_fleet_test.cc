// The Fleet on Auto Scaling: moto's groups behind the lifecycle harness
// (tests/aws/asg_harness.h), which holds a busy instance in Terminating:Wait until its worker
// completes the lifecycle action and plays groups without capacity. Every call is a real
// signed request; a test's worker is played with the calls an instance makes
// (SetInstanceProtection, CompleteLifecycleAction). Time is a FakeClock.
#include "adapters/aws/asg_fleet.h"

#include <gtest/gtest.h>

#include "aws/asg_world.h"
#include "contract/fleet_contract.h"

namespace spotbatch {
namespace {

constexpr int64_t kLaunchTimeout = 60'000;
using testing::kHook;
using testing::kOdGroup;
using testing::kSpotGroup;

// The groups and a fleet on them.
struct AsgWorld : testing::AsgGroups {
  explicit AsgWorld(Clock& clock, int64_t describe_every_millis = 0) {
    if (harness == nullptr) return;
    auto made = AsgFleet::New({.pools = {{{"spot", true, "c5.xlarge", "", 3}, kSpotGroup},
                                         {{"od", false, "c5.xlarge", "", 2}, kOdGroup}},
                               .describe_every_millis = describe_every_millis,
                               .launch_timeout_millis = kLaunchTimeout,
                               .no_capacity_millis = 5 * kLaunchTimeout},
                              *autoscaling, clock);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) fleet = std::move(*made);
  }
  std::unique_ptr<AsgFleet> fleet;
};

contract::FleetUnderTest OpenOnMoto(const std::string&, Clock& clock) {
  auto world = std::make_shared<AsgWorld>(clock);
  contract::FleetUnderTest f;
  if (world->fleet == nullptr) return f;
  f.fleet = std::shared_ptr<Fleet>(world, world->fleet.get());
  f.exhaust = [w = world.get()](const std::string& pool) {
    w->harness->Exhaust(pool == "spot" ? kSpotGroup : kOdGroup);
  };
  // The contract marks spot instances busy; the spot group is theirs.
  f.set_busy = [w = world.get()](const std::string& instance, bool busy) {
    w->SetBusy(instance, kSpotGroup, busy);
  };
  f.launch_timeout_millis = kLaunchTimeout;
  return f;
}

using contract::FleetContract;
INSTANTIATE_TEST_SUITE_P(Asg, FleetContract,
                         ::testing::Values(contract::FleetAdapter{"asg_on_moto", OpenOnMoto}),
                         contract::AdapterName);

class AsgFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(world_->moto.endpoint().empty()) << world_->moto.log();
    ASSERT_NE(world_->fleet, nullptr);
  }
  FleetInstance* Find(std::vector<FleetInstance>& all, const std::string& id) {
    for (FleetInstance& in : all) {
      if (in.id == id) return &in;
    }
    return nullptr;
  }
  FakeClock clock_;
  std::unique_ptr<AsgWorld> world_ = std::make_unique<AsgWorld>(clock_, 10'000);
  AsgFleet& fleet() { return *world_->fleet; }
};

TEST_F(AsgFleetTest, ALaunchIsTheInstanceTheGroupShowsAndRaisesItsDesiredCapacity) {
  auto id = fleet().Launch("spot");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->starts_with("i-")) << *id << ": moto shows it at once";
  EXPECT_EQ(world_->Desired(kSpotGroup), 1);
  auto all = fleet().Describe();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].pool, "spot");
  EXPECT_EQ((*all)[0].state, InstanceState::kRunning) << "InService";
  EXPECT_EQ(fleet().calls()["SetDesiredCapacity"], 1);
}

// EC2 shows a launched instance seconds to minutes later: meanwhile the launch is a ticket
// that the next instance the group shows takes the place of.
TEST_F(AsgFleetTest, ATicketStandsInUntilTheGroupShowsTheInstance) {
  world_->harness->Exhaust(kSpotGroup);
  auto ticket = fleet().Launch("spot");
  ASSERT_TRUE(ticket.ok()) << ticket.status().ToString();
  EXPECT_TRUE(ticket->starts_with("launch-spot-")) << *ticket;
  auto all = fleet().Describe();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].state, InstanceState::kPending);
  // Capacity comes: the group launches what was asked, and the instance takes the ticket's
  // place; the ticket ends, billed nothing.
  world_->harness->Restore(kSpotGroup);
  clock_.Advance(10'000);
  all = fleet().Describe();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  FleetInstance* gone = Find(*all, *ticket);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->state, InstanceState::kTerminated);
  EXPECT_EQ(gone->ended_unix_millis, gone->launched_unix_millis);
  EXPECT_FALSE(gone->reclaimed);
  const FleetInstance& real = (*all)[0].id == *ticket ? (*all)[1] : (*all)[0];
  EXPECT_TRUE(real.id.starts_with("i-")) << real.id;
  EXPECT_EQ(real.pool, "spot");
  EXPECT_EQ(real.state, InstanceState::kRunning);
  EXPECT_EQ(world_->Desired(kSpotGroup), 1) << "one launch asked, one instance";
}

// An instance that leaves its group without the fleet terminating it: on spot, a reclaim
// (Auto Scaling launches its replacement); on demand, not.
TEST_F(AsgFleetTest, AnInstanceLeavingUnaskedIsAReclaimOnSpot) {
  auto spot = fleet().Launch("spot");
  auto od = fleet().Launch("od");
  ASSERT_TRUE(spot.ok() && od.ok());
  ASSERT_TRUE(fleet().Describe().ok());
  for (const std::string& id : {*spot, *od}) {
    auto gone = world_->ec2->Call("TerminateInstances", {{"InstanceId.1", id}});
    ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  }
  clock_.Advance(10'000);
  auto all = fleet().Describe();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u) << "two ends and two replacements";
  FleetInstance* s = Find(*all, *spot);
  FleetInstance* o = Find(*all, *od);
  ASSERT_TRUE(s != nullptr && o != nullptr);
  EXPECT_EQ(s->state, InstanceState::kTerminated);
  EXPECT_TRUE(s->reclaimed);
  EXPECT_EQ(s->ended_unix_millis, clock_.NowUnixMillis());
  EXPECT_EQ(o->state, InstanceState::kTerminated);
  EXPECT_FALSE(o->reclaimed);
  int replacements = 0;
  for (const FleetInstance& in : *all) replacements += in.state == InstanceState::kRunning;
  EXPECT_EQ(replacements, 2);
}

TEST_F(AsgFleetTest, DescribeReadsTheGroupsAtMostEveryPeriodAndAfterEachChange) {
  ASSERT_TRUE(fleet().Describe().ok());
  ASSERT_TRUE(fleet().Describe().ok());
  EXPECT_EQ(fleet().calls()["DescribeAutoScalingGroups"], 1);
  clock_.Advance(10'000);
  ASSERT_TRUE(fleet().Describe().ok());
  EXPECT_EQ(fleet().calls()["DescribeAutoScalingGroups"], 2);
  auto id = fleet().Launch("od");  // a read of its own, to find the instance
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(fleet().calls()["DescribeAutoScalingGroups"], 3);
  ASSERT_TRUE(fleet().SetProtection(*id, true).ok());
  auto all = fleet().Describe();  // the change makes the next Describe read
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(fleet().calls()["DescribeAutoScalingGroups"], 4);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].protected_from_scale_in);
  EXPECT_FALSE((*all)[0].busy) << "the manager's protection is not the worker's";
}

// Drain terminates a busy instance at once; the termination hook holds it in
// Terminating:Wait (reported draining) until its worker, done, completes the action.
TEST_F(AsgFleetTest, ABusyInstanceDrainsThroughTheTerminationHook) {
  auto id = fleet().Launch("spot");
  ASSERT_TRUE(id.ok());
  world_->SetBusy(*id, kSpotGroup, true);
  ASSERT_TRUE(fleet().Drain(*id).ok());
  EXPECT_TRUE(fleet().Drain(*id).ok()) << "idempotent";
  EXPECT_EQ(fleet().calls()["TerminateInstanceInAutoScalingGroup"], 1);
  EXPECT_EQ(world_->harness->Held(), (std::set<std::string>{*id}));
  EXPECT_EQ(world_->Desired(kSpotGroup), 0) << "decremented: no replacement";
  clock_.Advance(10'000);
  auto all = fleet().Describe();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].state, InstanceState::kDraining);
  EXPECT_TRUE((*all)[0].busy);

  world_->SetBusy(*id, kSpotGroup, false);
  const auto calls = world_->harness->LifecycleCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], (testing::AsgHarness::LifecycleCall{"CompleteLifecycleAction", kSpotGroup,
                                                          kHook, *id, "CONTINUE"}));
  clock_.Advance(10'000);
  all = fleet().Describe();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].state, InstanceState::kTerminated);
  EXPECT_FALSE((*all)[0].reclaimed) << "the fleet ended it";
}

TEST_F(AsgFleetTest, AGroupThatDoesNotExistIsNotFoundByName) {
  auto fleet = AsgFleet::New({.pools = {{{"spot", true, "c5.xlarge", "", 3}, "no-such-group"}}},
                             *world_->autoscaling, clock_);
  ASSERT_TRUE(fleet.ok());
  auto all = (*fleet)->Describe();
  EXPECT_EQ(all.status().code(), StatusCode::kNotFound);
  EXPECT_NE(all.status().message().find("no-such-group"), std::string::npos)
      << all.status().ToString();
  EXPECT_EQ((*fleet)->Launch("spot").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AsgFleet::New({.pools = {{{"a", true, "c5.xlarge", "", 3}, "g"},
                                     {{"b", true, "c5.xlarge", "", 3}, "g"}}},
                          *world_->autoscaling, clock_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
