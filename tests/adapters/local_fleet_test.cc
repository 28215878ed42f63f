// The local fleet with real processes, real signals and each instance's metadata server over
// real HTTP on loopback; time is a FakeClock (the fleet's trace clock runs on it).
#include "adapters/local/local_fleet.h"

#include <httplib.h>
#include <signal.h>

#include "adapters/local/local_protection.h"
#include "contract/fleet_contract.h"
#include "core/restart_policy.h"

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;

// A spot pool with room for 3 for an hour, then none for an hour, repeating; an on-demand pool.
LocalFleetOptions ContractOptions(const std::string& dir) {
  LocalFleetOptions o;
  LocalPoolSpec spot;
  spot.pool = {"spot", true, "c5.large", "local-a", 3};
  spot.price = PriceSeries::Constant(0.03);
  spot.on_demand_usd_per_hour = 0.085;
  spot.capacity = CapacityTrace{kHour, {3, 0}, /*binary=*/false};
  LocalPoolSpec od;
  od.pool = {"od", false, "c5.large", "local-a", 2};
  od.price = PriceSeries::Constant(0.085);
  od.on_demand_usd_per_hour = 0.085;
  o.pools = {spot, od};
  o.stop_grace_millis = 2000;
  o.scratch_root = dir + "/scratch";
  o.worker_argv = [](const LocalInstanceLaunch&) {
    return std::vector<std::string>{"/bin/sleep", "600"};
  };
  return o;
}

// What the worker does while it holds a task: protect its instance, over HTTP.
void ProtectOverHttp(const std::string& metadata_url, bool busy) {
  auto protection = NewLocalScaleInProtection(metadata_url);
  ASSERT_TRUE(protection.ok()) << protection.status().ToString();
  ASSERT_TRUE((*protection)->Protect(busy).ok());
}

using contract::FleetContract;
INSTANTIATE_TEST_SUITE_P(Local, FleetContract,
                         ::testing::Values(contract::FleetAdapter{
                             "local",
                             [](const std::string& dir, Clock& clock) {
                               auto fleet =
                                   std::make_shared<LocalFleet>(ContractOptions(dir), clock);
                               contract::FleetUnderTest f;
                               f.fleet = fleet;
                               // The trace has no room in its second hour.
                               f.exhaust = [&clock](const std::string&) {
                                 dynamic_cast<FakeClock&>(clock).Advance(kHour);
                               };
                               f.set_busy = [fleet](const std::string& id, bool busy) {
                                 ProtectOverHttp(fleet->MetadataUrl(id), busy);
                               };
                               return f;
                             }}),
                         contract::AdapterName);

class LocalFleetTest : public ::testing::Test {
 protected:
  LocalFleet& Open(LocalFleetOptions o) {
    fleet_ = std::make_unique<LocalFleet>(std::move(o), clock_);
    return *fleet_;
  }
  FleetInstance Only() {
    auto all = fleet_->Describe();
    EXPECT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 1u);
    return all->empty() ? FleetInstance{} : all->front();
  }
  testing::TempDir dir_;
  FakeClock clock_{1'764'000'000'000};
  std::unique_ptr<LocalFleet> fleet_;
};

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST_F(LocalFleetTest, AnInstanceRunsOnceItsWorkerAsksItsMetadata) {
  LocalFleet& fleet = Open(ContractOptions(dir_.path()));
  const std::string id = *fleet.Launch("od");
  EXPECT_EQ(Only().state, InstanceState::kPending);
  httplib::Client worker(fleet.MetadataUrl(id));
  auto token = worker.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, "",
                          "text/plain");
  ASSERT_TRUE(token);
  EXPECT_EQ(Only().state, InstanceState::kRunning);
}

TEST_F(LocalFleetTest, ACapacityDropNoticesTheNewestThenReclaimsItAtItsTime) {
  LocalFleetOptions o = ContractOptions(dir_.path());
  o.time_scale = 60;       // a trace minute per second
  o.notice_seconds = 120;  // two trace minutes: two real seconds
  o.pools[0].capacity = CapacityTrace{kHour, {2, 1}, false};
  LocalFleet& fleet = Open(o);
  const std::string older = *fleet.Launch("spot");
  clock_.Advance(10);
  const std::string newer = *fleet.Launch("spot");
  EXPECT_EQ(fleet.Launch("spot").status().code(), StatusCode::kResourceExhausted)
      << "the trace has room for two";
  clock_.Advance(kHour / 60);  // one trace hour: room for one
  auto all = *fleet.Describe();
  ASSERT_EQ(all.size(), 2u);
  for (const FleetInstance& in : all) {
    EXPECT_EQ(in.interruption_unix_millis > 0, in.id == newer) << in.id;
  }
  EXPECT_EQ(fleet.counts()[0].notices, 1);
  // Its worker sees the notice over HTTP, as on EC2.
  httplib::Client worker(fleet.MetadataUrl(newer));
  auto token = worker.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, "",
                          "text/plain");
  ASSERT_TRUE(token && token->status == 200);
  auto action = worker.Get("/latest/meta-data/spot/instance-action",
                           {{"X-aws-ec2-metadata-token", token->body}});
  ASSERT_TRUE(action);
  EXPECT_EQ(action->status, 200);
  EXPECT_EQ(fleet.Launch("spot").status().code(), StatusCode::kResourceExhausted)
      << "the noticed instance's capacity is gone";
  ProtectOverHttp(fleet.MetadataUrl(newer), true);  // busy: protection does not stop a reclaim
  clock_.Advance(1'999);
  fleet.Poll();
  EXPECT_EQ(fleet.counts()[0].reclaims, 0) << "not before its time";
  clock_.Advance(1);
  all = *fleet.Describe();
  ASSERT_EQ(all.size(), 2u);
  for (const FleetInstance& in : all) {
    if (in.id != newer) continue;
    EXPECT_EQ(in.state, InstanceState::kTerminated);
    EXPECT_TRUE(in.reclaimed);
  }
  EXPECT_EQ(fleet.counts()[0].reclaims, 1);
  EXPECT_EQ(Only().id, older) << "the reclaim is reported once";
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        fleet.Poll();  // reaps
        return fleet.live() == 1;
      },
      std::chrono::seconds(10)))
      << "the reclaimed worker was killed and reaped";
}

TEST_F(LocalFleetTest, AWorkerThatDiesIsTerminatedAndOneThatKeepsDyingHoldsItsPool) {
  LocalFleetOptions o = ContractOptions(dir_.path());
  o.worker_argv = [](const LocalInstanceLaunch&) {
    return std::vector<std::string>{"/bin/sh", "-c", "exit 3"};
  };
  LocalFleet& fleet = Open(o);
  const std::string id = *fleet.Launch("od");
  FleetInstance ended;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        for (const FleetInstance& in : *fleet.Describe()) {
          if (in.state == InstanceState::kTerminated) ended = in;
        }
        return !ended.id.empty();
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(ended.id, id);
  EXPECT_FALSE(ended.reclaimed);
  EXPECT_EQ(fleet.counts()[1].crashes, 1);
  EXPECT_EQ(fleet.Launch("od").status().code(), StatusCode::kUnavailable)
      << "it died right after it started: the pool waits before the next launch";
  EXPECT_TRUE(fleet.Launch("spot").ok()) << "another pool is not held";
  clock_.Advance(RestartDelayMillis(1));
  EXPECT_TRUE(fleet.Launch("od").ok());
}

TEST_F(LocalFleetTest, DrainTellsABusyWorkerThroughItsLifecycleState) {
  LocalFleet& fleet = Open(ContractOptions(dir_.path()));
  const std::string id = *fleet.Launch("od");
  ProtectOverHttp(fleet.MetadataUrl(id), true);
  ASSERT_TRUE(fleet.Drain(id).ok());
  httplib::Client worker(fleet.MetadataUrl(id));
  auto token = worker.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, "",
                          "text/plain");
  ASSERT_TRUE(token);
  auto lc = worker.Get("/latest/meta-data/autoscaling/target-lifecycle-state",
                       {{"X-aws-ec2-metadata-token", token->body}});
  ASSERT_TRUE(lc);
  EXPECT_EQ(lc->status, 200);
  EXPECT_EQ(lc->body, "Terminating:Wait");
}

TEST_F(LocalFleetTest, QuotesFollowTheTracesAndTheInstances) {
  LocalFleetOptions o = ContractOptions(dir_.path());
  o.pools[0].price = PriceSeries{kHour, {0.03, 0.05}};
  o.pools[0].interruption_band = 2;
  LocalFleet& fleet = Open(o);
  auto q = *fleet.Quotes();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].spare, 3);
  EXPECT_DOUBLE_EQ(q[0].usd_per_hour, 0.03);
  EXPECT_EQ(q[0].interruption_band, 2);
  EXPECT_EQ(q[1].interruption_band, -1);
  ASSERT_TRUE(fleet.Launch("spot").ok());
  EXPECT_EQ((*fleet.Quotes())[0].spare, 2);
  const int64_t start = clock_.NowUnixMillis();
  clock_.Advance(kHour);
  q = *fleet.Quotes();
  EXPECT_EQ(q[0].spare, 0) << "no room in the trace's second hour";
  EXPECT_FALSE(q[0].can_launch);
  EXPECT_DOUBLE_EQ(q[0].usd_per_hour, 0.05);
  auto h = fleet.PriceHistory("spot", start + kHour / 2, start + 3 * kHour);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].from_unix_millis, start + kHour / 2);
  EXPECT_DOUBLE_EQ((*h)[0].usd_per_hour, 0.03);
  EXPECT_EQ((*h)[1].from_unix_millis, start + kHour);
  EXPECT_DOUBLE_EQ((*h)[2].usd_per_hour, 0.03) << "the series repeats";
  EXPECT_EQ(fleet.PriceHistory("spot", 2, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(fleet.PriceHistory("x", 1, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fleet.PriceHistory("spot", 0, start + 1'000'000 * kHour).status().code(),
            StatusCode::kInvalidArgument)
      << "a bounded answer";
}

TEST_F(LocalFleetTest, ItsClockRunsAtTheTimeScale) {
  LocalFleetOptions o = ContractOptions(dir_.path());
  o.time_scale = 600;
  LocalFleet& fleet = Open(o);
  const int64_t start = fleet.clock().NowUnixMillis();
  clock_.Advance(1'000);
  EXPECT_EQ(fleet.clock().NowUnixMillis() - start, 600'000);
  const std::string id = *fleet.Launch("od");
  EXPECT_EQ(Only().launched_unix_millis, start + 600'000);
  (void)id;
}

TEST_F(LocalFleetTest, NoWorkerOutlivesTheFleetNorItsScratchFolder) {
  LocalFleetOptions o = ContractOptions(dir_.path());
  const std::string scratch = o.scratch_root;
  o.worker_argv = [scratch](const LocalInstanceLaunch& l) {
    // Each worker makes its scratch folder and says who it is there.
    return std::vector<std::string>{"/bin/sh", "-c",
                                    "mkdir -p \"$0\" && echo $$ > \"$0/pid\" && exec sleep 600",
                                    scratch + "/" + l.id};
  };
  LocalFleet& fleet = Open(o);
  const std::vector<std::string> ids = {*fleet.Launch("spot"), *fleet.Launch("od")};
  std::vector<pid_t> pids;
  for (const std::string& id : ids) {
    const std::string pid_file = scratch + "/" + id + "/pid";
    ASSERT_TRUE(testing::WaitFor([&] { return testing::ReadFile(pid_file).size() > 1; },
                                 std::chrono::seconds(10)));
    pids.push_back(std::stoi(testing::ReadFile(pid_file)));
    EXPECT_TRUE(Alive(pids.back()));
  }
  fleet_.reset();
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_FALSE(Alive(pids[i])) << ids[i] << " outlived its fleet";
    EXPECT_FALSE(std::filesystem::exists(scratch + "/" + ids[i])) << ids[i];
  }
}

}  // namespace
}  // namespace spotbatch
