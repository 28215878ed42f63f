// The fleet manager on EC2 pools (Ec2ManagedFleet) against moto: its two groups behind the
// lifecycle harness (tests/aws/asg_world.h), EC2's market reads answered from recorded prices
// and scores (tests/aws/ec2_harness.h), CloudWatch moto's own, read back with the AWS CLI.
// The work is a memory state store's tasks; time is a FakeClock started at the real now.
#include "apps/ec2_managed_fleet.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "adapters/aws/ec2_market.h"
#include "adapters/local/market_data.h"
#include "adapters/memory/memory_state_store.h"
#include "adapters/memory/memory_task_queue.h"
#include "apps/live_market.h"
#include "aws/asg_world.h"
#include "aws/aws_cli.h"
#include "aws/ec2_harness.h"
#include "aws/static_credentials.h"
#include "common/fake_clock.h"
#include "common/time_format.h"
#include "test_util.h"

namespace spotbatch {
namespace {

const std::string kDataDir = SPOTBATCH_DATA_DIR;
constexpr int kTasks = 4;

class Ec2ManagedFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(groups_.harness, nullptr) << groups_.moto.log();
    auto prices = LoadSpotPriceDump(kDataDir + "/market/spot_prices_2022-05-31.tsv");
    ASSERT_TRUE(prices.ok()) << prices.status().ToString();
    auto scores = LoadSpotLake(kDataDir + "/market/spotlake_2022-07-12.csv");
    ASSERT_TRUE(scores.ok()) << scores.status().ToString();
    ec2_ = std::make_unique<testing::Ec2Harness>(groups_.moto.endpoint(), "us-east-1", *prices,
                                                 *scores);
    // The credentials come from the environment, as a manager on an instance or a laptop
    // would find them.
    ::setenv("AWS_ACCESS_KEY_ID", "testing", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
    ::setenv("AWS_CONFIG_FILE", (dir_ / "none").c_str(), 1);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").c_str(), 1);

    std::vector<TaskRecord> tasks;
    for (int i = 0; i < kTasks; ++i) {
      TaskRecord t;
      t.id = "t" + std::to_string(i);
      t.job_id = "j";
      t.index = i;
      tasks.push_back(t);
    }
    ASSERT_TRUE(state_.CreateJob(JobRecord{"j", "in/x", "", 0, 0}, tasks).ok());

    text_ =
        "[pipeline]\ninput = \"acme-in/\"\noutput = \"acme-out/\"\ncommand = [\"true\"]\n"
        "[store]\nurl = \"s3://\"\n[queue]\nurl = \"sqs://tasks\"\n"
        "[state]\nurl = \"dynamodb://jobs\"\n"
        "[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\nautoscaling = \"" +
        groups_.harness->endpoint() + "\"\nec2 = \"" + ec2_->endpoint() + "\"\ncloudwatch = \"" +
        groups_.moto.endpoint() +
        "\"\n"
        "[fleet]\nscale_in_grace_seconds = 60\nlatency_target_seconds = 60\n"
        "[[fleet.pool]]\nname = \"spot\"\nprovider = \"ec2\"\ngroup = \"sb-spot\"\n"
        "instance_types = [\"c5.xlarge\", \"c5a.xlarge\", \"m5.xlarge\"]\nmax_instances = 3\n"
        "[[fleet.pool]]\nname = \"od\"\nprovider = \"ec2\"\nmarket = \"on-demand\"\n"
        "group = \"sb-od\"\ninstance_types = [\"c5.xlarge\"]\nmax_instances = 2\n"
        "[fleet.market]\nadvisor = \"" +
        kDataDir + "/market/spot-advisor/2025-06-28/spot-advisor-data.json\"\n";
    auto config = ParseConfig(text_, dir_ / "sb.toml");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = std::move(*config);
    auto fleet = Ec2ManagedFleet::Open(config_, state_, queue_, clock_);
    ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
    fleet_ = std::move(*fleet);
  }

  void Move(const std::string& id, TaskState to) {
    TaskRecord t = *state_.GetTask(id);
    const int64_t v = t.version;
    t.state = to;
    t.version = v + 1;
    ASSERT_TRUE(state_.CommitTask(t, v, {}).ok());
  }
  // Ticks as `run` does, a decision's period apart.
  void Decide(int times = 1) {
    for (int i = 0; i < times; ++i) {
      fleet_->Tick();
      clock_.Advance(Ec2ManagedFleet::kDecideEveryMillis);
    }
  }
  std::vector<AsgInstance> Instances(const std::string& group) {
    auto body = groups_.autoscaling->Call("DescribeAutoScalingGroups",
                                          {{"AutoScalingGroupNames.member.1", group}});
    if (!body.ok()) return {};
    auto page = ParseDescribeAutoScalingGroups(*body);
    return page.ok() && page->groups.size() == 1 ? page->groups[0].instances
                                                 : std::vector<AsgInstance>{};
  }
  int Launched(const std::string& pool) {
    int n = 0;
    for (const auto& d : fleet_->Decisions()) n += d["what"] == "launched" && d["pool"] == pool;
    return n;
  }

  std::string text_;  // the config
  testing::TempDir dir_;
  testing::AsgGroups groups_;
  std::unique_ptr<testing::Ec2Harness> ec2_;
  FakeClock clock_{SystemClock().NowUnixMillis()};
  MemoryStateStore state_;
  MemoryTaskQueue queue_{clock_};
  Config config_;
  std::unique_ptr<Ec2ManagedFleet> fleet_;
};

TEST_F(Ec2ManagedFleetTest, RaisesTheSpotGroupOnABacklogAndScalesItBackToZeroWhenDone) {
  EXPECT_EQ(groups_.Desired(testing::kSpotGroup), 0);
  Decide(5);
  const int spot = groups_.Desired(testing::kSpotGroup);
  EXPECT_GT(spot, 0) << fleet_->Decisions().dump(1);
  EXPECT_LE(spot, 3) << "the pool's max_instances";
  EXPECT_EQ(groups_.Desired(testing::kOdGroup), 0) << "no deadline: spot alone";
  EXPECT_EQ(static_cast<int>(Instances(testing::kSpotGroup).size()), spot);
  EXPECT_EQ(Launched("spot"), spot) << "each launch is one instance of the group";
  EXPECT_EQ(fleet_->FleetStatus()["pools"][0]["instances"], spot);

  // An hour of work on them, then nothing left: after the grace they go.
  for (int i = 0; i < kTasks; ++i) Move("t" + std::to_string(i), TaskState::kRunning);
  Decide();
  clock_.Advance(3'600'000);
  Decide();
  for (int i = 0; i < kTasks; ++i) Move("t" + std::to_string(i), TaskState::kSucceeded);
  Decide();
  clock_.Advance(61'000);
  Decide(5);
  EXPECT_EQ(groups_.Desired(testing::kSpotGroup), 0) << fleet_->Decisions().dump(1);
  EXPECT_TRUE(Instances(testing::kSpotGroup).empty());

  // The bill: the instances' hour at the price the market quoted (the recorded m5.xlarge
  // price in us-east-1d, the best-scored cheapest of the pool's types).
  const nlohmann::json bill = fleet_->Bill(state_, nullptr);
  const auto& pool = bill["pools"][0];
  EXPECT_EQ(pool["name"], "spot");
  EXPECT_EQ(pool["launched"], spot);
  const double hours = pool["instance_hours"].get<double>();
  EXPECT_GE(hours, spot * 1.0);
  EXPECT_LT(hours, spot * 1.1);
  EXPECT_NEAR(pool["cost_usd"].get<double>(), hours * 0.068, 1e-6);
  EXPECT_NEAR(pool["on_demand_cost_usd"].get<double>(), hours * 0.192, 1e-6);
}

TEST_F(Ec2ManagedFleetTest, StopAllTerminatesTheIdleAndDrainsTheBusyThroughTheHook) {
  Decide(5);
  const std::vector<AsgInstance> up = Instances(testing::kSpotGroup);
  ASSERT_GE(up.size(), 2u) << fleet_->Decisions().dump(1);
  const std::string busy = up[0].id;
  groups_.SetBusy(busy, testing::kSpotGroup, true);  // its worker holds a task
  fleet_->StopAll(0);
  EXPECT_EQ(groups_.Desired(testing::kSpotGroup), 0);
  EXPECT_EQ(groups_.harness->Held(), (std::set<std::string>{busy}))
      << "the hook holds the busy one while its worker hands its task back";
  const std::vector<AsgInstance> left = Instances(testing::kSpotGroup);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].lifecycle_state, "Terminating:Wait");
  groups_.SetBusy(busy, testing::kSpotGroup, false);  // done: it completes the action
  EXPECT_TRUE(Instances(testing::kSpotGroup).empty());
  fleet_->Tick();
  EXPECT_EQ(groups_.Desired(testing::kSpotGroup), 0) << "a stopped fleet launches nothing";
}

TEST_F(Ec2ManagedFleetTest, PublishesTheBacklogPerInstanceToCloudWatchEveryMinute) {
  // What each reading should say: the instances in the groups as the tick read them (a
  // tick's launches are asked for at the next tick's read, with the launches of that tick).
  std::vector<double> instances, per_instance;
  auto tick = [&] {
    const int before = fleet_->published();
    fleet_->Tick();
    if (fleet_->published() == before) return;
    const nlohmann::json status = fleet_->FleetStatus();
    int n = 0;
    for (const auto& p : status["pools"]) n += p["instances"].get<int>();
    instances.push_back(n);
    per_instance.push_back(static_cast<double>(kTasks) / std::max(1, n));
  };
  tick();
  EXPECT_EQ(fleet_->published(), 1);
  clock_.Advance(30'000);
  tick();
  EXPECT_EQ(fleet_->published(), 1) << "not twice a minute";
  clock_.Advance(30'000);
  tick();
  EXPECT_EQ(fleet_->published(), 2);

  // Each reading, oldest first (a minute apart: one a period).
  auto read = [&](const std::string& metric) {
    const int64_t now = clock_.NowUnixMillis();
    std::vector<double> values;
    for (const auto& p : testing::MetricDatapoints(groups_.moto.endpoint(), metric, "tasks",
                                                   "Maximum", 60, now - 90'000, now + 30'000)) {
      values.push_back(p["Maximum"].get<double>());
    }
    return values;
  };
  EXPECT_EQ(read("QueuedTasks"), (std::vector<double>{kTasks, kTasks}));
  EXPECT_EQ(read("RunningTasks"), (std::vector<double>{0, 0}));
  EXPECT_EQ(read("Instances"), instances);
  EXPECT_EQ(read("BacklogPerInstance"), per_instance);
  EXPECT_EQ(instances[0], 0) << "the first tick read empty groups, then launched";
  EXPECT_GT(instances[1], 0) << "a later tick read what the first launched";
}

// A pool's on_demand_price_per_hour (a negotiated rate, a type the shipped table lacks) is
// what the market quotes it at on demand; without it, the shipped table's price.
TEST_F(Ec2ManagedFleetTest, APoolsOnDemandPriceFromTheConfigIsItsQuote) {
  auto given = ParseConfig(text_, dir_ / "sb.toml");
  ASSERT_TRUE(given.ok());
  std::string priced = text_;
  const std::string od = "group = \"sb-od\"\n";
  priced.replace(priced.find(od), od.size(), od + "on_demand_price_per_hour = 0.12\n");
  auto with_price = ParseConfig(priced, dir_ / "sb.toml");
  ASSERT_TRUE(with_price.ok()) << with_price.status().ToString();
  testing::StaticCredentials credentials;
  auto ec2 = AwsQueryClient::New({.endpoint = ec2_->endpoint(), .region = "us-east-1"}, credentials,
                                 SystemClock());
  ASSERT_TRUE(ec2.ok());
  for (const auto& [config, usd] : {std::pair{&*given, 0.17}, std::pair{&*with_price, 0.12}}) {
    auto market = Ec2Market::New(Ec2MarketOptionsFor(*config, "us-east-1"), **ec2, clock_);
    ASSERT_TRUE(market.ok()) << market.status().ToString();
    auto quotes = (*market)->Quotes();
    ASSERT_TRUE(quotes.ok()) << quotes.status().ToString();
    ASSERT_EQ(quotes->size(), 2u);
    EXPECT_DOUBLE_EQ((*quotes)[1].usd_per_hour, usd);
    EXPECT_DOUBLE_EQ((*quotes)[1].on_demand_usd_per_hour, usd);
  }
}

TEST(BacklogMetrics, ArePerInstanceAndNeverDivideByZero) {
  WorkSnapshot w;
  w.queued = 10;
  w.running = 4;
  auto four = BacklogMetrics(w, 4, "q", 1'700'000'000'000);
  ASSERT_EQ(four.size(), 4u);
  EXPECT_EQ(four[3].name, "BacklogPerInstance");
  EXPECT_DOUBLE_EQ(four[3].value, 2.5);
  EXPECT_EQ(four[3].dimensions, (std::vector<std::pair<std::string, std::string>>{{"Queue", "q"}}));
  EXPECT_DOUBLE_EQ(BacklogMetrics(w, 0, "q", 1)[3].value, 10);
  for (const MetricDatum& d : four) EXPECT_TRUE(CheckMetricDatum(d).ok()) << d.name;
}

}  // namespace
}  // namespace spotbatch
