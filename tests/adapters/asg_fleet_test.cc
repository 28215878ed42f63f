// The Fleet on Auto Scaling: moto's groups behind the lifecycle harness
// (tests/aws/asg_harness.h), which holds a busy instance in Terminating:Wait until its worker
// completes the lifecycle action and plays groups without capacity. Every call is a real
// signed request; a test's worker is played with the calls an instance makes
// (SetInstanceProtection, CompleteLifecycleAction). Time is a FakeClock.
#include "adapters/aws/asg_fleet.h"

#include <gtest/gtest.h>

#include <set>

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
    harness->UseClock(clock);
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
  // Describe, which must succeed.
  std::vector<FleetInstance> All() {
    auto all = fleet().Describe();
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.ok() ? *all : std::vector<FleetInstance>{};
  }
  // Launches in `pool` and returns the instance that answers, after a Describe.
  std::string LaunchInstance(const std::string& pool) {
    auto ticket = fleet().Launch(pool);
    EXPECT_TRUE(ticket.ok()) << ticket.status().ToString();
    if (!ticket.ok()) return "";
    for (const FleetInstance& in : All()) {
      if (in.launch_ticket == *ticket) return in.id;
    }
    ADD_FAILURE() << "no instance answered " << *ticket;
    return "";
  }
  int Calls(const std::string& action) { return fleet().calls()[action]; }
  FakeClock clock_;
  std::unique_ptr<AsgWorld> world_ = std::make_unique<AsgWorld>(clock_, 10'000);
  AsgFleet& fleet() { return *world_->fleet; }
};

// The launches of a tick are one SetDesiredCapacity per group and one read: at 10,000
// instances, the difference between a call per group and two calls per instance.
TEST_F(AsgFleetTest, TheLaunchesOfATickAreOneCallPerGroupAndOneRead) {
  ASSERT_TRUE(fleet().Describe().ok());
  std::set<std::string> tickets;
  for (const char* pool : {"spot", "spot", "od", "spot"}) {
    auto ticket = fleet().Launch(pool);
    ASSERT_TRUE(ticket.ok()) << ticket.status().ToString();
    EXPECT_TRUE(ticket->starts_with("launch-")) << *ticket;
    tickets.insert(*ticket);
  }
  EXPECT_EQ(tickets.size(), 4u);
  EXPECT_EQ(Calls("SetDesiredCapacity"), 0) << "nothing asked before the next read";
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 1);
  EXPECT_EQ(fleet().Launch("spot").status().code(), StatusCode::kFailedPrecondition)
      << "three tickets fill the spot pool";

  const auto all = All();
  EXPECT_EQ(Calls("SetDesiredCapacity"), 2) << "one per group";
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 2) << "one read";
  EXPECT_EQ(world_->Desired(kSpotGroup), 3);
  EXPECT_EQ(world_->Desired(kOdGroup), 1);
  std::set<std::string> answered, ended;
  for (const FleetInstance& in : all) {
    if (in.state == InstanceState::kTerminated) {
      EXPECT_EQ(in.ended_unix_millis, in.launched_unix_millis) << in.id << " costs nothing";
      EXPECT_FALSE(in.reclaimed);
      ended.insert(in.id);
      continue;
    }
    EXPECT_TRUE(in.id.starts_with("i-")) << in.id << ": moto shows instances at once";
    EXPECT_EQ(in.state, InstanceState::kRunning) << "InService";
    answered.insert(in.launch_ticket);
  }
  EXPECT_EQ(answered, tickets) << "each ticket answered by one instance";
  EXPECT_EQ(ended, tickets) << "and each ticket's end reported";
}

// A ticket's id names its instance from then on: the manager may act on what Launch said.
TEST_F(AsgFleetTest, ATicketsIdNamesTheInstanceThatAnsweredIt) {
  auto ticket = fleet().Launch("od");
  ASSERT_TRUE(ticket.ok());
  std::string instance;
  for (const FleetInstance& in : All()) {
    if (in.launch_ticket == *ticket) instance = in.id;
  }
  ASSERT_FALSE(instance.empty());
  ASSERT_TRUE(fleet().SetProtection(*ticket, true).ok());
  clock_.Advance(10'000);
  for (const FleetInstance& in : All()) {
    if (in.id == instance) {
      EXPECT_TRUE(in.protected_from_scale_in);
    }
  }
  EXPECT_EQ(fleet().Terminate(*ticket).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fleet().SetProtection(*ticket, false).ok());
  ASSERT_TRUE(fleet().Terminate(*ticket).ok());
  EXPECT_EQ(world_->Desired(kOdGroup), 0) << "the instance, not the ticket, was terminated";
  EXPECT_EQ(Calls("TerminateInstanceInAutoScalingGroup"), 1);
}

// The manager's protection of a launch not yet answered passes to the instance that answers it.
TEST_F(AsgFleetTest, AProtectedTicketsInstanceIsProtected) {
  auto ticket = fleet().Launch("spot");
  ASSERT_TRUE(ticket.ok());
  ASSERT_TRUE(fleet().SetProtection(*ticket, true).ok());
  EXPECT_EQ(fleet().Terminate(*ticket).code(), StatusCode::kFailedPrecondition);
  std::string instance;
  for (const FleetInstance& in : All()) {
    if (in.launch_ticket == *ticket) {
      instance = in.id;
      EXPECT_TRUE(in.protected_from_scale_in);
      EXPECT_FALSE(in.busy);
    }
  }
  ASSERT_FALSE(instance.empty());
  EXPECT_EQ(fleet().Terminate(instance).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fleet().SetProtection(instance, false).ok());
  EXPECT_TRUE(fleet().Terminate(instance).ok());
}

// EC2 shows a launched instance seconds to minutes later: meanwhile the ticket stands in.
TEST_F(AsgFleetTest, ATicketStandsInUntilTheGroupShowsTheInstance) {
  world_->harness->Exhaust(kSpotGroup);
  auto ticket = fleet().Launch("spot");
  ASSERT_TRUE(ticket.ok()) << ticket.status().ToString();
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, *ticket);
  EXPECT_EQ(all[0].state, InstanceState::kPending);
  // Capacity comes: the group launches what was asked, and the instance takes the ticket's
  // place; the ticket ends, billed nothing.
  world_->harness->Restore(kSpotGroup);
  clock_.Advance(10'000);
  all = All();
  ASSERT_EQ(all.size(), 2u);
  FleetInstance* gone = Find(all, *ticket);
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->state, InstanceState::kTerminated);
  EXPECT_EQ(gone->ended_unix_millis, gone->launched_unix_millis);
  EXPECT_FALSE(gone->reclaimed);
  const FleetInstance& real = all[0].id == *ticket ? all[1] : all[0];
  EXPECT_TRUE(real.id.starts_with("i-")) << real.id;
  EXPECT_EQ(real.launch_ticket, *ticket);
  EXPECT_EQ(real.pool, "spot");
  EXPECT_EQ(real.state, InstanceState::kRunning);
  EXPECT_EQ(world_->Desired(kSpotGroup), 1) << "one launch asked, one instance";
}

// Auto Scaling tells of no capacity in its activities: read once a ticket is 30 s old, long
// before the launch timeout; the group is lowered again and the pool refuses for a while.
TEST_F(AsgFleetTest, NoCapacityIsReadFromTheGroupsActivities) {
  world_->harness->Exhaust(kSpotGroup);
  auto ticket = fleet().Launch("spot");
  ASSERT_TRUE(ticket.ok());
  ASSERT_EQ(All().size(), 1u);
  EXPECT_EQ(Calls("DescribeScalingActivities"), 0) << "a fresh ticket: too early to ask";
  clock_.Advance(30'000);
  auto all = All();
  EXPECT_EQ(Calls("DescribeScalingActivities"), 1);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, InstanceState::kTerminated) << "cancelled at 30 s, not at 60 s";
  EXPECT_EQ(all[0].ended_unix_millis, all[0].launched_unix_millis);
  EXPECT_EQ(world_->Desired(kSpotGroup), 0) << "nothing left asked for";
  auto again = fleet().Launch("spot");
  EXPECT_EQ(again.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(again.status().message().find("no Spot capacity available"), std::string::npos)
      << again.status().ToString();
  clock_.Advance(5 * kLaunchTimeout);
  EXPECT_TRUE(fleet().Launch("spot").ok()) << "the pool is tried again later";
}

// The group's desired capacity above its instances (a reclaimed instance's replacement on its
// way, a raise by someone else) is capacity the manager must count, not launch again.
TEST_F(AsgFleetTest, CapacityTheGroupLaunchesUnaskedIsReportedAsTickets) {
  world_->harness->Exhaust(kSpotGroup);
  ASSERT_TRUE(world_->autoscaling
                  ->Call("SetDesiredCapacity",
                         {{"AutoScalingGroupName", kSpotGroup}, {"DesiredCapacity", "2"}})
                  .ok());
  EXPECT_TRUE(All().empty()) << "one read could be stale: not yet";
  clock_.Advance(10'000);
  auto all = All();
  ASSERT_EQ(all.size(), 2u);
  for (const FleetInstance& in : all) {
    EXPECT_TRUE(in.id.starts_with("launch-spot-")) << in.id;
    EXPECT_EQ(in.state, InstanceState::kPending);
  }
  // The harness's failed launch is older than these tickets: it does not cancel them.
  clock_.Advance(30'000);
  EXPECT_EQ(All().size(), 2u);
  EXPECT_EQ(Calls("DescribeScalingActivities"), 1);
  EXPECT_TRUE(fleet().Launch("spot").ok()) << "a third fits the pool";
  EXPECT_EQ(fleet().Launch("spot").status().code(), StatusCode::kFailedPrecondition);
  world_->harness->Restore(kSpotGroup);
  clock_.Advance(10'000);
  int answered = 0;
  for (const FleetInstance& in : All()) answered += !in.launch_ticket.empty();
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(world_->Desired(kSpotGroup), 3);
}

// An instance that leaves its group without the fleet terminating it: on spot, a reclaim
// (Auto Scaling launches its replacement); on demand, not.
TEST_F(AsgFleetTest, AnInstanceLeavingUnaskedIsAReclaimOnSpot) {
  const std::string spot = LaunchInstance("spot");
  const std::string od = LaunchInstance("od");
  ASSERT_FALSE(spot.empty() || od.empty());
  for (const std::string& id : {spot, od}) {
    auto gone = world_->ec2->Call("TerminateInstances", {{"InstanceId.1", id}});
    ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  }
  clock_.Advance(10'000);
  auto all = All();
  ASSERT_EQ(all.size(), 4u) << "two ends and two replacements";
  FleetInstance* s = Find(all, spot);
  FleetInstance* o = Find(all, od);
  ASSERT_TRUE(s != nullptr && o != nullptr);
  EXPECT_EQ(s->state, InstanceState::kTerminated);
  EXPECT_TRUE(s->reclaimed);
  EXPECT_EQ(s->ended_unix_millis, clock_.NowUnixMillis());
  EXPECT_EQ(o->state, InstanceState::kTerminated);
  EXPECT_FALSE(o->reclaimed);
  int replacements = 0;
  for (const FleetInstance& in : all) replacements += in.state == InstanceState::kRunning;
  EXPECT_EQ(replacements, 2);
}

TEST_F(AsgFleetTest, DescribeReadsTheGroupsAtMostEveryPeriodAndAfterEachChange) {
  ASSERT_TRUE(fleet().Describe().ok());
  ASSERT_TRUE(fleet().Describe().ok());
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 1);
  clock_.Advance(10'000);
  ASSERT_TRUE(fleet().Describe().ok());
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 2);
  auto ticket = fleet().Launch("od");
  ASSERT_TRUE(ticket.ok());
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 2) << "a launch reads nothing";
  ASSERT_TRUE(fleet().Describe().ok());
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 3) << "the launch makes the next Describe read";
  ASSERT_TRUE(fleet().SetProtection(*ticket, true).ok());
  auto all = All();
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), 4) << "and so does a protection";
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].protected_from_scale_in);
  EXPECT_FALSE(all[0].busy) << "the manager's protection is not the worker's";
}

// The scale-ins of a tick decide on one read of the groups, not one each.
TEST_F(AsgFleetTest, TheScaleInsOfATickShareOneRead) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fleet().Launch("spot").ok());
  for (const FleetInstance& in : All()) {
    if (in.state != InstanceState::kTerminated) ids.push_back(in.id);
  }
  ASSERT_EQ(ids.size(), 3u);
  clock_.Advance(10'000);
  const int reads = Calls("DescribeAutoScalingGroups");
  for (const std::string& id : ids) ASSERT_TRUE(fleet().Terminate(id).ok()) << id;
  EXPECT_EQ(Calls("DescribeAutoScalingGroups"), reads + 1);
  EXPECT_EQ(Calls("TerminateInstanceInAutoScalingGroup"), 3);
  EXPECT_EQ(world_->Desired(kSpotGroup), 0);
  clock_.Advance(1'000);
  const std::string late = LaunchInstance("spot");
  world_->SetBusy(late, kSpotGroup, true);  // after the fleet's last read
  clock_.Advance(1'000);
  EXPECT_EQ(fleet().Terminate(late).code(), StatusCode::kFailedPrecondition)
      << "a read older than a second is read again";
}

// Drain terminates a busy instance at once; the termination hook holds it in
// Terminating:Wait (reported draining) until its worker, done, completes the action.
TEST_F(AsgFleetTest, ABusyInstanceDrainsThroughTheTerminationHook) {
  const std::string id = LaunchInstance("spot");
  ASSERT_FALSE(id.empty());
  world_->SetBusy(id, kSpotGroup, true);
  ASSERT_TRUE(fleet().Drain(id).ok());
  EXPECT_TRUE(fleet().Drain(id).ok()) << "idempotent";
  EXPECT_EQ(Calls("TerminateInstanceInAutoScalingGroup"), 1);
  EXPECT_EQ(world_->harness->Held(), (std::set<std::string>{id}));
  EXPECT_EQ(world_->Desired(kSpotGroup), 0) << "decremented: no replacement";
  clock_.Advance(10'000);
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, InstanceState::kDraining);
  EXPECT_TRUE(all[0].busy);

  world_->SetBusy(id, kSpotGroup, false);
  const auto calls = world_->harness->LifecycleCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], (testing::AsgHarness::LifecycleCall{"CompleteLifecycleAction", kSpotGroup,
                                                          kHook, id, "CONTINUE"}));
  clock_.Advance(10'000);
  all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].state, InstanceState::kTerminated);
  EXPECT_FALSE(all[0].reclaimed) << "the fleet ended it";
}

// A raise Auto Scaling refuses for good ends the launches it carried, at no cost.
TEST_F(AsgFleetTest, ALaunchAutoScalingRefusesEndsAtNoCost) {
  auto ticket = fleet().Launch("od");
  ASSERT_TRUE(ticket.ok());
  world_->harness->FailNext("SetDesiredCapacity");
  auto failed = fleet().Describe();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("LimitExceeded"), std::string::npos)
      << failed.status().ToString();
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, *ticket);
  EXPECT_EQ(all[0].state, InstanceState::kTerminated);
  EXPECT_EQ(all[0].ended_unix_millis, all[0].launched_unix_millis);
  EXPECT_EQ(world_->Desired(kOdGroup), 0);
  EXPECT_TRUE(fleet().Launch("od").ok()) << "the next launch is asked for as usual";
}

// The ids of ended instances are kept an hour (a stale read may still show one), then let go:
// a fleet running for months holds only the last hour's.
TEST_F(AsgFleetTest, EndedIdsAreForgottenAfterAnHour) {
  const std::string id = LaunchInstance("od");
  ASSERT_TRUE(fleet().Terminate(id).ok());
  ASSERT_EQ(All().size(), 1u) << "its end";
  EXPECT_TRUE(fleet().Terminate(id).ok()) << "terminated already";
  clock_.Advance(60 * 60'000);
  EXPECT_TRUE(All().empty());
  EXPECT_EQ(fleet().Terminate(id).code(), StatusCode::kNotFound) << "forgotten";
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
