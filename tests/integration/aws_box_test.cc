// The whole architecture in a box: moto as the AWS control plane (S3, SQS, DynamoDB, EC2,
// Auto Scaling, IAM), the lifecycle harness before its Auto Scaling, and a host that turns
// every instance moto's groups run into a local `spotbatch worker --on-ec2` with its own
// metadata server (tests/aws/instance_host.h), started from the config the launch template's
// cloud-init carries. `spotbatch aws deploy` makes everything; uploads by the AWS CLI reach
// `spotbatch up` through the bucket's notification; the fleet manager raises the groups'
// capacity; the workers process, one is interrupted and reclaimed and hands its task back;
// the outputs land in S3; the groups scale back to zero. Nothing lost, nothing done twice
// (the crash checker), the bill reported, no worker left running.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "aws/asg_harness.h"
#include "aws/aws_cli.h"
#include "aws/instance_host.h"
#include "aws/moto_server.h"
#include "common/ids.h"
#include "integration/crash_checker.h"

namespace spotbatch {
namespace {

using Doc = nlohmann::json;
const std::string kDataDir = SPOTBATCH_DATA_DIR;
constexpr int kInputs = 8;

class AwsBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log();
    harness_ = std::make_unique<testing::AsgHarness>(moto_.endpoint());
    ::setenv("AWS_ACCESS_KEY_ID", "testing", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::unsetenv("AWS_PROFILE");
    ::setenv("HOME", dir_.path().c_str(), 1);
    const std::string e = moto_.endpoint();
    testing::WriteFile(
        config(),
        "[store]\nurl = \"s3://\"\n[queue]\nurl = \"sqs://box-tasks\"\n"
        "[state]\nurl = \"dynamodb://box-state\"\n[ingest]\nevents = \"sqs://box-events\"\n"
        "[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\ns3 = \"" +
            e + "\"\nsqs = \"" + e + "\"\ndynamodb = \"" + e + "\"\nec2 = \"" + e + "\"\niam = \"" +
            e + "\"\ncloudwatch = \"" + e + "\"\nautoscaling = \"" + harness_->endpoint() +
            "\"\n"
            "[aws.worker]\nami = \"ami-12c6146b\"\n"
            "[pipeline]\ninput = \"box-in/claims/\"\noutput = \"box-out/\"\n"
            "command = [\"sh\", \"-c\", \"sleep 4; sha256sum < \\\"$1\\\" > \\\"$2/sum.txt\\\"\", "
            "\"_\", \"{input}\", \"{output_dir}\"]\n"
            "retry_backoff_seconds = 0.05\nwatch_interval_seconds = 0.2\n"
            "[worker]\nlease_seconds = 10\nheartbeat_seconds = 2\npoll_wait_seconds = 1\n"
            "metadata_poll_seconds = 0.1\ninterruption_grace_seconds = 2\n"
            "[fleet]\nlatency_target_seconds = 2\nscale_in_grace_seconds = 3\n"
            "[[fleet.pool]]\nname = \"spot\"\nprovider = \"ec2\"\n"
            "instance_types = [\"c5.xlarge\", \"c5a.xlarge\", \"m5.xlarge\"]\n"
            "zones = [\"us-east-1a\", \"us-east-1b\"]\nmax_instances = 3\n"
            "[[fleet.pool]]\nname = \"od\"\nprovider = \"ec2\"\nmarket = \"on-demand\"\n"
            "instance_types = [\"c5.xlarge\"]\nzones = [\"us-east-1a\"]\nmax_instances = 1\n"
            "[fleet.market]\nplacement_scores = false\nprice_refresh_seconds = 10\nadvisor = \"" +
            kDataDir + "/market/spot-advisor/2025-06-28/spot-advisor-data.json\"\n");
  }
  std::string config() const { return dir_ / "sb.toml"; }
  testing::CliEnv Env() {
    return {{"AWS_ACCESS_KEY_ID", "testing"},    {"AWS_SECRET_ACCESS_KEY", "testing"},
            {"AWS_SESSION_TOKEN", std::nullopt}, {"AWS_PROFILE", std::nullopt},
            {"AWS_CONFIG_FILE", dir_ / "none"},  {"AWS_SHARED_CREDENTIALS_FILE", dir_ / "none"}};
  }
  std::pair<std::string, bool> Aws(const std::string& args) {
    return testing::Aws(moto_.endpoint(), args);
  }
  // The groups as Auto Scaling shows them: name -> (desired, instances, busy instances).
  struct GroupNow {
    int desired = 0;
    std::vector<std::string> instances, busy;
  };
  std::map<std::string, GroupNow> Groups() {
    auto [out, ok] = testing::Aws(harness_->endpoint(), "autoscaling describe-auto-scaling-groups");
    std::map<std::string, GroupNow> groups;
    if (!ok || out.empty()) return groups;
    const Doc doc = Doc::parse(out);
    for (const auto& g : doc["AutoScalingGroups"]) {
      GroupNow& now = groups[g["AutoScalingGroupName"]];
      now.desired = g["DesiredCapacity"];
      for (const auto& in : g["Instances"]) {
        now.instances.push_back(in["InstanceId"]);
        if (in.value("ProtectedFromScaleIn", false)) now.busy.push_back(in["InstanceId"]);
      }
    }
    return groups;
  }
  int Succeeded() {
    auto r = testing::RunCli({"status", "-c", config(), "--json"}, "", Env());
    if (r.exit_code != 0) return -1;
    int n = 0;
    const Doc parsed = Doc::parse(r.out);
    for (const auto& j : parsed["jobs"]) n += j["state"] == "SUCCEEDED";
    return n;
  }

  testing::TempDir dir_;
  testing::MotoServer moto_;
  std::unique_ptr<testing::AsgHarness> harness_;
};

TEST_F(AwsBoxTest, UploadsToOutputsOnAutoScaledSpotWithAReclaimNothingLostNothingTwice) {
  auto deployed = testing::RunCli({"aws", "deploy", "-c", config()}, "", Env());
  ASSERT_EQ(deployed.exit_code, 0) << deployed.err;

  testing::InstanceHost host({.ec2 = moto_.endpoint(),
                              .autoscaling = harness_->endpoint(),
                              .groups = {"spotbatch-spot", "spotbatch-od"},
                              .launch_template = "spotbatch-box-tasks-worker",
                              .spot_groups = {"spotbatch-spot"},
                              .folder = dir_ / "instances",
                              .env = Env()});
  const pid_t up =
      testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err", "", Env());
  for (int i = 0; i < kInputs; ++i) {
    testing::WriteFile(dir_ / ("inputs/c" + std::to_string(i)), "claim " + std::to_string(i));
  }
  auto uploaded = Aws("s3 cp --recursive --quiet '" + dir_ / "inputs" + "' s3://box-in/claims/");
  ASSERT_TRUE(uploaded.second) << uploaded.first;

  // A spot instance holding a task (a task takes 4 s: the notice comes well within it) gets
  // the notice and is reclaimed two seconds later.
  std::string interrupted;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        const auto groups = Groups();  // not a temporary's member: it would die first
        auto spot = groups.find("spotbatch-spot");
        if (spot == groups.end()) return false;
        for (const std::string& id : spot->second.busy) {
          if (host.Interrupt(id, 2000)) {
            interrupted = id;
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(120)))
      << "no spot instance took a task\n"
      << testing::ReadFile(dir_ / "up.err") << host.Logs();

  const bool done =
      testing::WaitFor([&] { return Succeeded() == kInputs; }, std::chrono::seconds(240));
  ASSERT_TRUE(done) << testing::ReadFile(dir_ / "up.err") << host.Logs();
  // Idle after the grace: every group back to zero.
  const bool scaled_in = testing::WaitFor(
      [&] {
        for (const auto& [name, g] : Groups()) {
          if (g.desired != 0 || !g.instances.empty()) return false;
        }
        return true;
      },
      std::chrono::seconds(90));
  EXPECT_TRUE(scaled_in) << testing::ReadFile(dir_ / "up.err");
  ::kill(up, SIGTERM);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");
  EXPECT_TRUE(testing::WaitFor([&] { return host.alive_workers() == 0; }, std::chrono::seconds(30)))
      << "no worker outlives its instance";
  EXPECT_EQ(host.killed(), 0) << "every worker stopped when its instance went\n" << host.Logs();
  EXPECT_GE(host.ever(), 2) << "the reclaimed instance was replaced";

  // The outputs, read back by the CLI; the state, by the crash checker.
  for (int i = 0; i < kInputs; ++i) {
    auto got = Aws("s3 cp 's3://box-out/c" + std::to_string(i) + "/sum.txt' -");
    EXPECT_EQ(got.first, Sha256Hex("claim " + std::to_string(i)) + "  -\n") << i;
  }
  testing::CrashCheck check;
  check.folder = dir_.path();
  for (int i = 0; i < kInputs; ++i) check.inputs.push_back("c" + std::to_string(i));
  check.expected = testing::ShaOfEachInput(dir_ / "inputs");
  EXPECT_TRUE(testing::ExpectNothingLostNothingTwice(check));
  int interruptions = 0;
  testing::RunState run(dir_.path());
  for (const JobView& j : *run.state->ListJobs()) {
    for (const TaskRecord& t : j.tasks) {
      for (const AttemptRecord& a : *run.state->ListAttempts(t.id)) {
        interruptions += a.outcome == AttemptOutcome::kInterrupted;
      }
    }
  }
  EXPECT_GE(interruptions, 1) << "the reclaimed instance's task was handed back";

  // The bill: the spot instances' time at the market's price.
  auto cost = testing::RunCli({"cost", "-c", config(), "--json"}, "", Env());
  ASSERT_EQ(cost.exit_code, 0) << cost.err;
  const Doc bill = Doc::parse(cost.out);
  EXPECT_GT(bill["cost_usd"].get<double>(), 0) << cost.out;
  EXPECT_EQ(bill["jobs"].size(), static_cast<size_t>(kInputs))
      << "every job's attempts billed to the instances they ran on\n"
      << cost.out << testing::ReadFile(dir_ / "up.err");
  int job_interruptions = 0;
  for (const auto& j : bill["jobs"]) job_interruptions += j["interruptions"].get<int>();
  EXPECT_GE(job_interruptions, 1) << cost.out;
  for (const auto& p : bill["pools"]) {
    if (p["name"] != "spot") continue;
    EXPECT_GE(p["reclaims"].get<int>(), 1) << "the manager saw the reclaim\n" << cost.out;
    EXPECT_GT(p["instance_hours"].get<double>(), 0);
  }

  auto destroyed = testing::RunCli({"aws", "destroy", "-c", config(), "--delete-data"}, "", Env());
  EXPECT_EQ(destroyed.exit_code, 0) << destroyed.err;
}

}  // namespace
}  // namespace spotbatch
