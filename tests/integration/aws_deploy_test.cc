// `spotbatch aws deploy` and `aws destroy` as real processes against moto (Auto Scaling behind
// the lifecycle harness, which can fail a call as an account at its quota does), every result
// checked with the AWS CLI as an independent client: what deploy makes, that a second deploy
// changes nothing, that the bucket notification delivers uploads to the events queue, that a
// deploy cut off halfway is run again to completion, and that destroy removes what deploy
// made and nothing else.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/aws/dynamodb_items.h"
#include "aws/asg_harness.h"
#include "aws/aws_cli.h"
#include "aws/moto_server.h"
#include "integration/cli_util.h"

namespace spotbatch {
namespace {

using Doc = nlohmann::json;

class AwsDeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log();
    harness_ = std::make_unique<testing::AsgHarness>(moto_.endpoint());
    const std::string e = moto_.endpoint();
    config_text_ =
        "[store]\nurl = \"s3://\"\nwork_bucket = \"dp-work\"\n"
        "[queue]\nurl = \"sqs://dp-tasks\"\n[state]\nurl = \"dynamodb://dp-state\"\n"
        "[ingest]\nevents = \"sqs://dp-events\"\n"
        "[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\ns3 = \"" +
        e + "\"\nsqs = \"" + e + "\"\ndynamodb = \"" + e + "\"\nec2 = \"" + e + "\"\niam = \"" + e +
        "\"\nautoscaling = \"" + harness_->endpoint() +
        "\"\n"
        "[aws.worker]\nami = \"ami-12c6146b\"\ninstance_profile = \"dp-worker\"\n"
        "install = [\"echo 'installing spotbatch'\"]\n"
        "[pipeline]\ninput = \"dp-in/claims/\"\noutput = \"dp-out/\"\ncommand = [\"true\"]\n"
        "[[fleet.pool]]\nname = \"spot\"\nprovider = \"ec2\"\n"
        "instance_types = [\"c5.xlarge\", \"c5a.xlarge\", \"m5.xlarge\"]\n"
        "zones = [\"us-east-1a\", \"us-east-1b\"]\nmax_instances = 20\n"
        "[[fleet.pool]]\nname = \"od\"\nprovider = \"ec2\"\nmarket = \"on-demand\"\n"
        "instance_types = [\"c5.xlarge\"]\nmax_instances = 4\n";
    testing::WriteFile(config(), config_text_);
  }
  std::string config() const { return dir_ / "sb.toml"; }
  testing::CliEnv Env() {
    return {{"AWS_ACCESS_KEY_ID", "testing"},    {"AWS_SECRET_ACCESS_KEY", "testing"},
            {"AWS_SESSION_TOKEN", std::nullopt}, {"AWS_PROFILE", std::nullopt},
            {"AWS_CONFIG_FILE", dir_ / "none"},  {"AWS_SHARED_CREDENTIALS_FILE", dir_ / "none"}};
  }
  // `aws deploy|destroy --json`: its report, or null when it failed (err says why).
  Doc Run(const std::string& what, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"aws", what, "-c", config(), "--json"};
    args.insert(args.end(), more.begin(), more.end());
    last_ = testing::RunCli(args, "", Env());
    if (last_.exit_code != 0) return nullptr;
    return Doc::parse(last_.out);
  }
  std::pair<std::string, bool> Aws(const std::string& args) {
    return testing::Aws(moto_.endpoint(), args);
  }
  Doc AwsJson(const std::string& args) {
    auto [out, ok] = Aws(args);
    EXPECT_TRUE(ok) << args << ": " << out;
    // The CLI prints nothing for an empty answer (no queues, no notification).
    return ok && !out.empty() ? Doc::parse(out) : Doc::object();
  }
  // The report's steps of `kind`, by name: what was done.
  static std::map<std::string, std::string> Done(const Doc& report, const std::string& kind) {
    std::map<std::string, std::string> out;
    for (const auto& s : report["steps"]) {
      if (s["kind"] == kind) out[s["name"]] = s["done"];
    }
    return out;
  }
  bool BucketExists(const std::string& b) { return Aws("s3api head-bucket --bucket " + b).second; }
  std::set<std::string> Queues() {
    std::set<std::string> out;
    const Doc list = AwsJson("sqs list-queues");
    for (const auto& u : list.value("QueueUrls", Doc::array())) {
      const std::string url = u;
      out.insert(url.substr(url.rfind('/') + 1));
    }
    return out;
  }
  Doc Groups() {
    return AwsJson("autoscaling describe-auto-scaling-groups --endpoint-url " +
                   harness_->endpoint())["AutoScalingGroups"];
  }

  testing::TempDir dir_;
  testing::MotoServer moto_;
  std::unique_ptr<testing::AsgHarness> harness_;
  std::string config_text_;
  testing::CliResult last_;
};

TEST_F(AwsDeployTest, DeployMakesWhatTheConfigNamesAndAgainChangesNothing) {
  const Doc first = Run("deploy");
  ASSERT_FALSE(first.is_null()) << last_.err;
  EXPECT_EQ(Done(first, "bucket"),
            (std::map<std::string, std::string>{
                {"dp-in", "created"}, {"dp-out", "created"}, {"dp-work", "created"}}));
  EXPECT_EQ(Done(first, "group"), (std::map<std::string, std::string>{
                                      {"spotbatch-spot", "created"}, {"spotbatch-od", "created"}}));

  // The data plane.
  for (const char* b : {"dp-in", "dp-out", "dp-work"}) EXPECT_TRUE(BucketExists(b)) << b;
  const std::set<std::string> queues = Queues();
  for (const char* q : {"dp-tasks", "dp-tasks-dlq", "dp-tasks-on-demand", "dp-events"}) {
    EXPECT_TRUE(queues.count(q)) << q;
  }
  EXPECT_EQ(AwsJson("dynamodb describe-table --table-name dp-state")["Table"]["TableStatus"],
            "ACTIVE");
  const Doc rules = AwsJson("s3api get-bucket-lifecycle-configuration --bucket dp-work")["Rules"];
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["ID"], "spotbatch-abort-uploads");
  EXPECT_EQ(rules[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 7);

  // An upload reaches the events queue through the bucket's notification.
  testing::WriteFile(dir_ / "c1", "claim");
  ASSERT_TRUE(Aws("s3 cp '" + dir_ / "c1" + "' s3://dp-in/claims/c1").second);
  const std::string events_url = AwsJson("sqs get-queue-url --queue-name dp-events")["QueueUrl"];
  // S3 first sends a test event, as on AWS, then one per upload.
  std::vector<std::string> keys;
  const Doc received =
      AwsJson("sqs receive-message --max-number-of-messages 10 --queue-url " + events_url);
  for (const auto& m : received.value("Messages", Doc::array())) {
    const Doc event = Doc::parse(m["Body"].get<std::string>());
    for (const auto& r : event.value("Records", Doc::array())) {
      keys.push_back(r["s3"]["object"]["key"]);
    }
  }
  // Keys come URL-encoded, as S3 writes them (the ingest decodes them).
  EXPECT_EQ(keys, (std::vector<std::string>{"claims%2Fc1"})) << received;

  // The workers' role, profile and launch template: the user data writes this very config.
  EXPECT_TRUE(Aws("iam get-role --role-name dp-worker").second);
  const Doc profile = AwsJson("iam get-instance-profile --instance-profile-name dp-worker");
  EXPECT_EQ(profile["InstanceProfile"]["Roles"][0]["RoleName"], "dp-worker");
  const Doc versions = AwsJson(
      "ec2 describe-launch-template-versions --launch-template-name spotbatch-dp-tasks-worker");
  ASSERT_EQ(versions["LaunchTemplateVersions"].size(), 1u);
  const Doc data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"];
  EXPECT_EQ(data["ImageId"], "ami-12c6146b");
  EXPECT_EQ(data["IamInstanceProfile"]["Name"], "dp-worker");
  std::string user_data;
  ASSERT_TRUE(ddb::Base64Decode(data["UserData"].get<std::string>(), &user_data));
  EXPECT_TRUE(user_data.starts_with("#cloud-config\n")) << user_data;
  EXPECT_NE(user_data.find("content: " + ddb::Base64Encode(config_text_)), std::string::npos)
      << user_data;
  EXPECT_NE(user_data.find("[sh, -c, 'echo ''installing spotbatch''']"), std::string::npos)
      << user_data;
  EXPECT_NE(user_data.find("'/usr/local/bin/spotbatch', worker, --on-ec2"), std::string::npos)
      << user_data;

  // The groups: the pools' types, sizes, spot or on-demand, rebalancing, the drain hook.
  std::map<std::string, Doc> groups;
  for (const auto& g : Groups()) groups[g["AutoScalingGroupName"]] = g;
  ASSERT_EQ(groups.size(), 2u);
  const Doc& spot = groups["spotbatch-spot"];
  EXPECT_EQ(spot["MaxSize"], 20);
  EXPECT_EQ(spot["DesiredCapacity"], 0);
  EXPECT_EQ(spot["CapacityRebalance"], true);
  const Doc& overrides = spot["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"];
  ASSERT_EQ(overrides.size(), 3u);
  EXPECT_EQ(overrides[2]["InstanceType"], "m5.xlarge");
  EXPECT_EQ(
      spot["MixedInstancesPolicy"]["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"],
      0);
  EXPECT_EQ(groups["spotbatch-od"]["MixedInstancesPolicy"]["InstancesDistribution"]
                  ["OnDemandPercentageAboveBaseCapacity"],
            100);
  for (const char* g : {"spotbatch-spot", "spotbatch-od"}) {
    const Doc hooks = AwsJson(std::string("autoscaling describe-lifecycle-hooks "
                                          "--auto-scaling-group-name ") +
                              g)["LifecycleHooks"];
    ASSERT_EQ(hooks.size(), 1u) << g;
    EXPECT_EQ(hooks[0]["LifecycleHookName"], "spotbatch-drain");
    EXPECT_EQ(hooks[0]["LifecycleTransition"], "autoscaling:EC2_INSTANCE_TERMINATING");
  }

  // Again: nothing changes, not even a new template version.
  const Doc second = Run("deploy");
  ASSERT_FALSE(second.is_null()) << last_.err;
  EXPECT_EQ(second["changed"], 0) << second.dump(1);
  EXPECT_EQ(AwsJson("ec2 describe-launch-template-versions --launch-template-name "
                    "spotbatch-dp-tasks-worker")["LaunchTemplateVersions"]
                .size(),
            1u);

  // A changed pool is an update of its group alone.
  std::string changed = config_text_;
  changed.replace(changed.find("max_instances = 20"), 18, "max_instances = 30");
  testing::WriteFile(config(), changed);
  const Doc third = Run("deploy");
  ASSERT_FALSE(third.is_null()) << last_.err;
  EXPECT_EQ(Done(third, "group")["spotbatch-spot"], "updated");
  EXPECT_EQ(Done(third, "group")["spotbatch-od"], "unchanged");
  for (const auto& g : Groups()) {
    if (g["AutoScalingGroupName"] == "spotbatch-spot") {
      EXPECT_EQ(g["MaxSize"], 30);
    }
  }
  EXPECT_EQ(Done(third, "launch-template")["spotbatch-dp-tasks-worker"], "updated")
      << "the config on the instances changed with it";
}

TEST_F(AwsDeployTest, DestroyRemovesWhatDeployMadeAndNothingElse) {
  // There before deploy: the input bucket with an upload, and a queue of someone else's.
  ASSERT_TRUE(Aws("s3 mb s3://dp-in").second);
  testing::WriteFile(dir_ / "c0", "claim");
  ASSERT_TRUE(Aws("s3 cp '" + dir_ / "c0" + "' s3://dp-in/claims/c0").second);
  ASSERT_TRUE(Aws("sqs create-queue --queue-name dp-tasks2").second);
  const Doc deployed = Run("deploy");
  ASSERT_FALSE(deployed.is_null()) << last_.err;
  EXPECT_EQ(Done(deployed, "bucket")["dp-in"], "unchanged");
  // An output lands in a bucket deploy made.
  ASSERT_TRUE(Aws("s3 cp '" + dir_ / "c0" + "' s3://dp-out/c0/sum.txt").second);

  const Doc kept = Run("destroy");
  ASSERT_FALSE(kept.is_null()) << last_.err;
  EXPECT_EQ(Done(kept, "bucket")["dp-out"], "kept") << "it holds an output";
  EXPECT_TRUE(BucketExists("dp-out"));
  EXPECT_TRUE(Groups().empty());
  EXPECT_FALSE(Aws("iam get-role --role-name dp-worker").second);
  EXPECT_FALSE(Aws("iam get-instance-profile --instance-profile-name dp-worker").second);
  EXPECT_FALSE(
      Aws("ec2 describe-launch-templates --launch-template-names spotbatch-dp-tasks-worker")
          .second);
  EXPECT_EQ(Queues(), (std::set<std::string>{"dp-tasks2"})) << "someone else's stays";
  EXPECT_FALSE(Aws("dynamodb describe-table --table-name dp-state").second);
  EXPECT_TRUE(BucketExists("dp-in")) << "it was there before";
  EXPECT_TRUE(Aws("s3api head-object --bucket dp-in --key claims/c0").second);
  const Doc notification = AwsJson("s3api get-bucket-notification-configuration --bucket dp-in");
  EXPECT_FALSE(notification.contains("QueueConfigurations") &&
               !notification["QueueConfigurations"].empty())
      << notification;

  // An upload cut off in a bucket that goes: its parts would stay billed.
  const Doc upload =
      AwsJson("s3api create-multipart-upload --bucket dp-out --key 'c1/big file.bin'");
  const std::string upload_id = upload.value("UploadId", "");
  ASSERT_FALSE(upload_id.empty()) << upload;
  const Doc all = Run("destroy", {"--delete-data"});
  ASSERT_FALSE(all.is_null()) << last_.err;
  EXPECT_FALSE(BucketExists("dp-out"));
  for (const auto& s : all["steps"]) {
    if (s["kind"] == "bucket" && s["name"] == "dp-out") {
      EXPECT_EQ(s.value("why", ""), "1 unfinished upload aborted") << s;
    }
  }
  EXPECT_NE(moto_.requests().find("\"DELETE /dp-out/c1/big%20file.bin?uploadId=" + upload_id),
            std::string::npos)
      << "AbortMultipartUpload reached S3";
  EXPECT_FALSE(BucketExists("dp-work")) << "with the record, once nothing is kept";
  EXPECT_TRUE(BucketExists("dp-in"));
  const Doc again = Run("destroy");
  ASSERT_FALSE(again.is_null()) << last_.err;
  EXPECT_EQ(again["changed"], 0) << "nothing of ours is left";
}

TEST_F(AwsDeployTest, ADeployCutOffHalfwayIsRunAgainToCompletion) {
  harness_->FailNext("CreateAutoScalingGroup");
  EXPECT_TRUE(Run("deploy").is_null());
  EXPECT_EQ(last_.exit_code, 1);
  EXPECT_NE(last_.err.find("LimitExceeded"), std::string::npos) << last_.err;
  EXPECT_TRUE(Groups().empty()) << "it stopped at the first group";

  const Doc rerun = Run("deploy");
  ASSERT_FALSE(rerun.is_null()) << last_.err;
  EXPECT_EQ(Done(rerun, "group"), (std::map<std::string, std::string>{
                                      {"spotbatch-spot", "created"}, {"spotbatch-od", "created"}}));
  EXPECT_EQ(Done(rerun, "launch-template")["spotbatch-dp-tasks-worker"], "unchanged");
  EXPECT_EQ(Run("deploy")["changed"], 0);

  // What the first, failed run made is destroyed too: it was written down before it was made.
  const Doc destroyed = Run("destroy", {"--delete-data"});
  ASSERT_FALSE(destroyed.is_null()) << last_.err;
  EXPECT_TRUE(Groups().empty());
  EXPECT_FALSE(
      Aws("ec2 describe-launch-templates --launch-template-names spotbatch-dp-tasks-worker")
          .second);
  EXPECT_TRUE(Queues().empty());
  for (const char* b : {"dp-in", "dp-out", "dp-work"}) EXPECT_FALSE(BucketExists(b)) << b;
}

TEST_F(AwsDeployTest, AConfigWithoutAnImageMakesNothing) {
  std::string text = config_text_;
  text.replace(text.find("ami = \"ami-12c6146b\"\n"), 21, "");
  testing::WriteFile(config(), text);
  EXPECT_TRUE(Run("deploy").is_null());
  EXPECT_EQ(last_.exit_code, 1);
  EXPECT_NE(last_.err.find("[aws.worker] ami"), std::string::npos) << last_.err;
  EXPECT_FALSE(BucketExists("dp-work"));
  EXPECT_TRUE(Queues().empty());
}

}  // namespace
}  // namespace spotbatch
