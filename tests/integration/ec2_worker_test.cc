// `spotbatch worker --on-ec2` as a real process on an "instance": moto's Auto Scaling group
// behind the lifecycle harness (tests/aws/asg_harness.h) holds the instance, a local
// metadata server (LocalImdsServer) says who it is and plays EC2's lifecycle state. The
// worker protects its instance while it holds a task; when the group terminates it, the
// termination hook holds it while the worker finishes (sending heartbeats), and the worker
// completes the lifecycle action once done. Queue and state are the embedded ones.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "adapters/aws/asg_xml.h"
#include "adapters/aws/aws_query_client.h"
#include "adapters/local/local_imds_server.h"
#include "aws/asg_harness.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "integration/cli_util.h"

namespace spotbatch {
namespace {

constexpr char kGroup[] = "sb-spot";

class Ec2WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log();
    harness_ = std::make_unique<testing::AsgHarness>(moto_.endpoint());
    ec2_ = *AwsQueryClient::New({.endpoint = moto_.endpoint(), .region = "us-east-1"}, credentials_,
                                SystemClock());
    autoscaling_ = *AwsQueryClient::New(
        {.endpoint = harness_->endpoint(), .region = "us-east-1", .api = kAutoScalingApi},
        credentials_, SystemClock());
    ASSERT_TRUE(
        ec2_->Call("CreateLaunchTemplate", {{"LaunchTemplateName", "spotbatch-worker"},
                                            {"LaunchTemplateData.ImageId", "ami-12c6146b"},
                                            {"LaunchTemplateData.InstanceType", "c5.xlarge"}})
            .ok());
    ASSERT_TRUE(autoscaling_
                    ->Call("CreateAutoScalingGroup",
                           {{"AutoScalingGroupName", kGroup},
                            {"LaunchTemplate.LaunchTemplateName", "spotbatch-worker"},
                            {"MinSize", "0"},
                            {"MaxSize", "1"},
                            {"DesiredCapacity", "1"},
                            {"AvailabilityZones.member.1", "us-east-1a"}})
                    .ok());
    ASSERT_TRUE(autoscaling_
                    ->Call("PutLifecycleHook",
                           {{"AutoScalingGroupName", kGroup},
                            {"LifecycleHookName", "spotbatch-drain"},
                            {"LifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING"},
                            {"HeartbeatTimeout", "600"}})
                    .ok());
    auto group = Group();
    ASSERT_EQ(group.instances.size(), 1u);
    instance_ = group.instances[0].id;

    auto imds = LocalImdsServer::Start(SystemClock());
    ASSERT_TRUE(imds.ok()) << imds.status().ToString();
    imds_ = std::move(*imds);
    imds_->SetIdentity({instance_, "c5.xlarge", "us-east-1a", "us-east-1", "spot"});
    imds_->SetTargetLifecycleState("InService");

    release_ = dir_ / "release";
    testing::WriteFile(
        dir_ / "sb.toml",
        "[store]\npath = \"data\"\n[pipeline]\ninput = \"in/\"\noutput = \"out/\"\n"
        "command = [\"sh\", \"-c\", \"while [ ! -e \\\"$1\\\" ]; do sleep 0.05; done; "
        "cp \\\"$2\\\" \\\"$3/copy\\\"\", \"_\", \"" +
            release_ +
            "\", \"{input}\", \"{output_dir}\"]\n"
            "[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\nautoscaling = \"" +
            harness_->endpoint() + "\"\n");
  }

  AsgGroup Group() {
    auto body = autoscaling_->Call("DescribeAutoScalingGroups",
                                   {{"AutoScalingGroupNames.member.1", kGroup}});
    if (!body.ok()) return {};
    auto page = ParseDescribeAutoScalingGroups(*body);
    return page.ok() && page->groups.size() == 1 ? page->groups[0] : AsgGroup{};
  }
  bool Protected() {
    for (const AsgInstance& in : Group().instances) {
      if (in.id == instance_) return in.protected_from_scale_in;
    }
    return false;
  }
  int Calls(const std::string& action) {
    int n = 0;
    for (const auto& c : harness_->LifecycleCalls()) n += c.action == action;
    return n;
  }
  testing::CliEnv Env() {
    return {{"AWS_ACCESS_KEY_ID", "testing"},    {"AWS_SECRET_ACCESS_KEY", "testing"},
            {"AWS_SESSION_TOKEN", std::nullopt}, {"AWS_PROFILE", std::nullopt},
            {"AWS_CONFIG_FILE", dir_ / "none"},  {"AWS_SHARED_CREDENTIALS_FILE", dir_ / "none"}};
  }

  testing::TempDir dir_;
  testing::MotoServer moto_;
  testing::StaticCredentials credentials_;
  std::unique_ptr<testing::AsgHarness> harness_;
  std::unique_ptr<AwsQueryClient> ec2_, autoscaling_;
  std::unique_ptr<LocalImdsServer> imds_;
  std::string instance_, release_;
};

TEST_F(Ec2WorkerTest, ProtectsItselfWhileBusyAndCompletesTheLifecycleActionWhenDone) {
  testing::WriteFile(dir_ / "clip.txt", "frames");
  auto put = testing::RunCli({"put", "-c", dir_ / "sb.toml", dir_ / "clip.txt"}, "", Env());
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const pid_t worker = testing::StartCli(
      {"worker", "-c", dir_ / "sb.toml", "--on-ec2", "--metadata-url", imds_->endpoint(),
       "--metadata-poll-ms", "50", "--lifecycle-heartbeat-ms", "100"},
      dir_ / "worker.out", dir_ / "worker.err", "", Env());
  int status = 0;
  auto exited = [&] { return ::waitpid(worker, &status, WNOHANG) == worker; };
  ASSERT_TRUE(testing::WaitFor([&] { return Protected() || exited(); }, std::chrono::seconds(60)))
      << testing::ReadFile(dir_ / "worker.err");
  ASSERT_TRUE(Protected()) << "the worker took the task and protected its instance\n"
                           << testing::ReadFile(dir_ / "worker.err");

  // Scale-in of this very instance: the hook holds it, as EC2 says to the instance.
  ASSERT_TRUE(autoscaling_
                  ->Call("TerminateInstanceInAutoScalingGroup",
                         {{"InstanceId", instance_}, {"ShouldDecrementDesiredCapacity", "true"}})
                  .ok());
  EXPECT_EQ(harness_->Held(), (std::set<std::string>{instance_})) << "busy: held";
  imds_->SetTargetLifecycleState("Terminated");
  ASSERT_TRUE(testing::WaitFor([&] { return Calls("RecordLifecycleActionHeartbeat") > 0; },
                               std::chrono::seconds(30)))
      << "a worker still finishing tells the hook so\n"
      << testing::ReadFile(dir_ / "worker.err");
  EXPECT_EQ(Calls("CompleteLifecycleAction"), 0) << "not before the task is done";

  testing::WriteFile(release_, "");
  ASSERT_TRUE(testing::WaitFor(exited, std::chrono::seconds(60)))
      << testing::ReadFile(dir_ / "worker.err");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << testing::ReadFile(dir_ / "worker.err");
  const std::string err = testing::ReadFile(dir_ / "worker.err");
  EXPECT_NE(err.find("lifecycle action completed"), std::string::npos) << err;
  ASSERT_EQ(Calls("CompleteLifecycleAction"), 1);
  for (const auto& c : harness_->LifecycleCalls()) {
    if (c.action != "CompleteLifecycleAction") continue;
    EXPECT_EQ(c, (testing::AsgHarness::LifecycleCall{"CompleteLifecycleAction", kGroup,
                                                     "spotbatch-drain", instance_, "CONTINUE"}));
  }
  EXPECT_TRUE(harness_->Held().empty()) << "the instance went";

  // The task was done, not handed back, and its output is there.
  auto jobs = testing::RunCli({"status", "-c", dir_ / "sb.toml", "--json"}, "", Env());
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  const auto list = nlohmann::json::parse(jobs.out)["jobs"];
  ASSERT_EQ(list.size(), 1u) << jobs.out;
  EXPECT_EQ(list[0]["state"], "SUCCEEDED") << jobs.out;
  EXPECT_EQ(list[0]["interruptions"], 0) << jobs.out;
  EXPECT_EQ(testing::ReadFile(dir_ / "data/out/clip.txt/copy"), "frames");
}

TEST_F(Ec2WorkerTest, AnInstanceWithoutIdentityIsRefusedClearly) {
  imds_->SetIdentity({});
  auto r = testing::RunCli(
      {"worker", "-c", dir_ / "sb.toml", "--on-ec2", "--metadata-url", imds_->endpoint()}, "",
      Env());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("instance metadata has no instance-id"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spotbatch
