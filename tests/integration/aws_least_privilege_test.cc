// Least privilege, run for real: moto checks every request's signature and IAM permissions,
// and each process of a pipeline runs as a user holding only the policy `spotbatch aws policy`
// printed for its role. The manager's first command makes the queues and the table, the
// ingest (`spotbatch lambda`, against a local fake of the Runtime API) turns uploads into jobs,
// two workers process them; every output is right. Calls outside a role's policy are denied.
//
// moto's IAM differs from AWS's in ways the policies are translated for here (MotoPolicy), and
// only here: it authorizes a transaction or a batch by its operation's name
// (dynamodb:TransactWriteItems, sqs:DeleteMessageBatch) where AWS authorizes each item by its
// action (PutItem, DeleteMessage); it resolves no DynamoDB resource (every call is on "*"),
// and no SQS queue for calls that name it by QueueName (CreateQueue, GetQueueUrl); nor any
// Auto Scaling group (every call is on "*"); it knows no condition but sts:ExternalId, so the
// metrics' namespace condition goes (and with it the test that another namespace is denied);
// and it names CloudWatch's actions by the service's signing name (monitoring:PutMetricData
// where IAM says cloudwatch:PutMetricData).
#include <signal.h>

#include "adapters/aws/asg_fleet.h"
#include "adapters/aws/asg_self.h"
#include "adapters/aws/cloudwatch_metrics.h"
#include "adapters/aws/ec2_market.h"
#include "apps/ec2_managed_fleet.h"
#include "apps/live_market.h"
#include "aws/aws_cli.h"
#include "aws/fake_lambda_runtime.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "common/ids.h"
#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

using Doc = nlohmann::json;

bool Has(const Doc& actions, const std::string& a) {
  for (const auto& x : actions) {
    if (x == a) return true;
  }
  return false;
}

Doc MotoPolicy(Doc doc) {
  Doc statements = Doc::array();
  for (Doc st : doc["Statement"]) {
    Doc& actions = st["Action"];
    const std::string service =
        actions[0].get<std::string>().substr(0, actions[0].get<std::string>().find(':'));
    if (service == "autoscaling") st["Resource"] = Doc::array({"*"});
    if (service == "cloudwatch") {
      st.erase("Condition");
      for (auto& a : actions) a = "monitoring:" + a.get<std::string>().substr(11);
    }
    if (service == "dynamodb") {
      if (Has(actions, "dynamodb:PutItem")) actions.push_back("dynamodb:TransactWriteItems");
      st["Resource"] = Doc::array({"*"});
    }
    if (service == "sqs") {
      for (const char* a : {"DeleteMessage", "ChangeMessageVisibility", "SendMessage"}) {
        if (Has(actions, std::string("sqs:") + a))
          actions.push_back(std::string("sqs:") + a + "Batch");
      }
      Doc by_name = Doc::array();
      for (const char* a : {"sqs:CreateQueue", "sqs:GetQueueUrl"}) {
        if (Has(actions, a)) by_name.push_back(a);
      }
      if (!by_name.empty()) {
        statements.push_back({{"Effect", "Allow"}, {"Action", by_name}, {"Resource", {"*"}}});
      }
    }
    statements.push_back(st);
  }
  doc["Statement"] = statements;
  return doc;
}

class AwsLeastPrivilegeTest : public testing::PipelineFixture {
 protected:
  struct Keys {
    std::string id, secret;
  };

  void SetUp() override {
    ASSERT_FALSE(moto_.endpoint().empty()) << moto_.log();
    ::setenv("HOME", dir_.path().c_str(), 1);
    for (const std::string& b : {in_, out_}) ASSERT_TRUE(Admin("s3 mb s3://" + b).second);
    auto events = Admin("sqs create-queue --queue-name " + events_);
    ASSERT_TRUE(events.second) << events.first;
    events_url_ = Doc::parse(events.first)["QueueUrl"];
    const std::string e = moto_.endpoint();
    testing::WriteFile(
        config(),
        "[store]\nurl = \"s3://\"\n[queue]\nurl = \"sqs://lp-tasks\"\n"
        "[state]\nurl = \"dynamodb://lp-state\"\n[ingest]\nevents = \"sqs://" +
            events_ +
            "\"\n"
            "[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\ns3 = \"" +
            e + "\"\nsqs = \"" + e + "\"\ndynamodb = \"" + e + "\"\n" + more_endpoints_ +
            "[pipeline]\ninput = \"" + in_ + "/claims/\"\noutput = \"" + out_ +
            "/\"\n"
            "command = " +
            testing::kShaCommand +
            "\nretry_backoff_seconds = 0.05\n"
            "[worker]\nlease_seconds = 10\nheartbeat_seconds = 2\npoll_wait_seconds = 0\n" +
            more_config_);
    admin_ = User("admin",
                  Doc{{"Version", "2012-10-17"},
                      {"Statement", {{{"Effect", "Allow"}, {"Action", "*"}, {"Resource", "*"}}}}});
    for (const char* role : {"ingest", "worker", "manager"}) {
      auto printed = Cli({"aws", "policy", "--role", role});
      ASSERT_EQ(printed.exit_code, 0) << printed.err;
      roles_[role] = User(role, MotoPolicy(Doc::parse(printed.out)));
    }
    // From here on moto checks every request.
    auto on = std::system(("curl -sf -X POST -H 'Content-Type: text/plain' --data 0 " + e +
                           "/moto-api/reset-auth > /dev/null")
                              .c_str());
    ASSERT_EQ(on, 0);
  }

  Keys User(const std::string& name, const Doc& policy) {
    EXPECT_TRUE(Admin("iam create-user --user-name " + name).second);
    testing::WriteFile(dir_ / (name + ".json"), policy.dump());
    auto put = Admin("iam put-user-policy --user-name " + name + " --policy-name spotbatch-" +
                     name + " --policy-document 'file://" + dir_ / (name + ".json") + "'");
    EXPECT_TRUE(put.second) << put.first;
    auto key = Admin("iam create-access-key --user-name " + name);
    EXPECT_TRUE(key.second) << key.first;
    const Doc k = Doc::parse(key.first)["AccessKey"];
    return {k["AccessKeyId"], k["SecretAccessKey"]};
  }
  std::pair<std::string, bool> Admin(const std::string& args) {
    return testing::Aws(moto_.endpoint(), args, admin_.id, admin_.secret);
  }
  std::pair<std::string, bool> As(const std::string& role, const std::string& args) {
    return testing::Aws(moto_.endpoint(), args, roles_[role].id, roles_[role].secret);
  }
  testing::CliEnv EnvOf(const std::string& role) {
    return {{"AWS_ACCESS_KEY_ID", roles_[role].id},
            {"AWS_SECRET_ACCESS_KEY", roles_[role].secret},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_PROFILE", std::nullopt}};
  }
  testing::CliResult CliAs(const std::string& role, std::vector<std::string> args) {
    args.insert(args.begin() + (args[0] == "aws" ? 2 : 1), {"-c", config()});
    return testing::RunCli(args, "", EnvOf(role));
  }

  testing::MotoServer moto_{{.one_request_at_a_time = true}};
  std::string more_endpoints_, more_config_;  // lines for [aws.endpoints], and tables
  const std::string in_ = "lp-in", out_ = "lp-out", events_ = "lp-events";
  std::string events_url_;
  Keys admin_{"testing", "testing"};  // moto's default user until auth is on
  std::map<std::string, Keys> roles_;
};

std::string S3Event(const std::string& bucket, const std::string& key) {
  return Doc{{"Records",
              {{{"eventSource", "aws:s3"},
                {"eventName", "ObjectCreated:Put"},
                {"s3", {{"bucket", {{"name", bucket}}}, {"object", {{"key", key}}}}}}}}}
      .dump();
}

TEST_F(AwsLeastPrivilegeTest, EachRoleWorksWithItsPrintedPolicyAloneAndIsDeniedTheRest) {
  constexpr int kInputs = 6;
  for (int i = 0; i < kInputs; ++i) {
    testing::WriteFile(dir_ / ("inputs/c" + std::to_string(i)), "claim " + std::to_string(i));
  }
  auto up = Admin("s3 cp --recursive --quiet '" + dir_ / "inputs" + "' s3://" + in_ + "/claims/");
  ASSERT_TRUE(up.second) << up.first;

  // The manager runs first: its `status` makes the queues and the table.
  auto status = CliAs("manager", {"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;

  // The ingest: one invocation per upload.
  testing::FakeLambdaRuntime runtime;
  testing::CliEnv lambda_env = EnvOf("ingest");
  lambda_env.push_back({"AWS_LAMBDA_RUNTIME_API", runtime.api()});
  const pid_t lambda = testing::StartCli({"lambda", "-c", config()}, dir_ / "lambda.out",
                                         dir_ / "lambda.err", "", lambda_env);
  for (int i = 0; i < kInputs; ++i) {
    runtime.Invoke("inv-" + std::to_string(i), S3Event(in_, "claims/c" + std::to_string(i)));
  }
  for (int i = 0; i < kInputs; ++i) {
    auto answer = runtime.AnswerTo("inv-" + std::to_string(i));
    ASSERT_TRUE(answer.has_value()) << testing::ReadFile(dir_ / "lambda.err");
    EXPECT_TRUE(answer->ok) << answer->body << testing::ReadFile(dir_ / "lambda.err");
  }
  ::kill(lambda, SIGTERM);
  testing::WaitExit(lambda);

  // Two workers.
  std::vector<pid_t> workers;
  for (int w = 0; w < 2; ++w) {
    const std::string n = "w" + std::to_string(w);
    workers.push_back(testing::StartCli({"worker", "-c", config(), "--worker-id", n},
                                        dir_ / (n + ".out"), dir_ / (n + ".err"), "",
                                        EnvOf("worker")));
  }
  std::string last_status;
  const bool done = testing::WaitFor(
      [&] {
        auto jobs = CliAs("manager", {"status", "--json"});
        last_status = "exit " + std::to_string(jobs.exit_code) + ": " + jobs.out + jobs.err;
        if (jobs.exit_code != 0) return false;
        int succeeded = 0;
        const Doc parsed = Doc::parse(jobs.out);  // a temporary's member dies before the loop
        for (const auto& j : parsed["jobs"]) succeeded += j["state"] == "SUCCEEDED";
        return succeeded == kInputs;
      },
      std::chrono::seconds(40));
  for (pid_t w : workers) ::kill(w, SIGTERM);
  for (pid_t w : workers) testing::WaitExit(w);
  const std::string worker_log =
      testing::ReadFile(dir_ / "w0.err") + testing::ReadFile(dir_ / "w1.err");
  ASSERT_TRUE(done) << worker_log << "\nstatus: " << last_status;
  EXPECT_EQ(worker_log.find("AccessDenied"), std::string::npos) << worker_log;
  for (int i = 0; i < kInputs; ++i) {
    const std::string key = "claims/c" + std::to_string(i);
    auto got = Admin("s3 cp 's3://" + out_ + "/c" + std::to_string(i) + "/sum.txt' -");
    EXPECT_EQ(got.first, Sha256Hex("claim " + std::to_string(i)) + "  -\n") << key;
  }
  auto cost = CliAs("manager", {"cost"});
  EXPECT_EQ(cost.exit_code, 0) << cost.err;

  // Outside each role's policy: denied.
  testing::WriteFile(dir_ / "x.txt", "x");
  const std::string x = "'" + dir_ / "x.txt" + "'";
  auto denied = [](const std::pair<std::string, bool>& r) {
    return !r.second && r.first.find("AccessDenied") != std::string::npos;
  };
  EXPECT_TRUE(denied(As("worker", "s3 cp " + x + " s3://" + in_ + "/claims/forged")));
  EXPECT_TRUE(denied(As("worker", "s3 cp " + x + " s3://" + out_ + "/_spotbatch/bills/forged")));
  EXPECT_TRUE(denied(As("worker", "dynamodb delete-table --table-name lp-state")));
  EXPECT_TRUE(denied(As("worker", "sqs receive-message --queue-url " + events_url_)));
  EXPECT_TRUE(denied(As("ingest", "s3 cp " + x + " s3://" + out_ + "/c0/sum.txt")));
  EXPECT_TRUE(denied(As("manager", "s3 cp " + x + " s3://" + out_ + "/c0/sum.txt")));
  auto queue = Admin("sqs get-queue-url --queue-name lp-tasks");
  ASSERT_TRUE(queue.second) << queue.first;
  const std::string tasks_url = Doc::parse(queue.first)["QueueUrl"];
  EXPECT_TRUE(denied(As("ingest", "sqs receive-message --queue-url " + tasks_url)));
  EXPECT_FALSE(denied(As("worker", "sqs receive-message --queue-url " + tasks_url)))
      << "the check itself: a call inside the policy passes";
  // A worker whose table is not there cannot make it, and says so.
  auto text = testing::ReadFile(config());
  text.replace(text.find("lp-state"), 8, "lp-other");
  testing::WriteFile(config(), text);
  auto no_table = CliAs("worker", {"status"});
  EXPECT_NE(no_table.exit_code, 0);
  EXPECT_NE(no_table.err.find("AccessDenied"), std::string::npos) << no_table.err;
}

// EC2 pools: the manager's fleet and market and the worker's own instance, each through the
// adapters as `run` and `worker --on-ec2` use them, with the role's keys alone.
class AwsLeastPrivilegeEc2Test : public AwsLeastPrivilegeTest {
 protected:
  void SetUp() override {
    const std::string e = moto_.endpoint();
    more_endpoints_ =
        "autoscaling = \"" + e + "\"\nec2 = \"" + e + "\"\ncloudwatch = \"" + e + "\"\n";
    more_config_ =
        "[[fleet.pool]]\nname = \"spot\"\nprovider = \"ec2\"\ngroup = \"lp-spot\"\n"
        "instance_types = [\"c5.xlarge\", \"c5a.xlarge\", \"m5.xlarge\"]\nmax_instances = 2\n"
        "[fleet.market]\nplacement_scores = false\n";
    AwsLeastPrivilegeTest::SetUp();
    if (HasFatalFailure()) return;
    auto lt = Admin(
        "ec2 create-launch-template --launch-template-name lp-worker --launch-template-data "
        "'{\"ImageId\":\"ami-12c6146b\",\"InstanceType\":\"c5.xlarge\"}'");
    ASSERT_TRUE(lt.second) << lt.first;
    auto group = Admin(
        "autoscaling create-auto-scaling-group --auto-scaling-group-name lp-spot "
        "--launch-template 'LaunchTemplateName=lp-worker,Version=$Latest' --min-size 0 "
        "--max-size 2 --desired-capacity 0 --availability-zones us-east-1a");
    ASSERT_TRUE(group.second) << group.first;
    auto loaded = LoadConfig(config());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    config_ = *loaded;
  }
  std::unique_ptr<AwsQueryClient> Client(testing::StaticCredentials& as, QueryApi api) {
    return *AwsQueryClient::New({.endpoint = moto_.endpoint(),
                                 .region = "us-east-1",
                                 .api = api,
                                 .retry = {.max_attempts = 1}},
                                as, SystemClock());
  }
  static bool Denied(const Status& s) {
    return !s.ok() && s.message().find("AccessDenied") != std::string::npos;
  }
  Config config_;
};

TEST_F(AwsLeastPrivilegeEc2Test, TheManagerDrivesItsGroupsAndAWorkerItsInstanceWithTheirPolicies) {
  testing::StaticCredentials manager(roles_["manager"].id, roles_["manager"].secret);
  auto autoscaling = Client(manager, kAutoScalingApi);
  auto fleet = AsgFleet::New(AsgFleetOptionsFor(config_), *autoscaling, SystemClock());
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  auto launched = (*fleet)->Launch("spot");
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  auto instances = (*fleet)->Describe();  // asks for the launch, and reads the instance
  ASSERT_TRUE(instances.ok()) << instances.status().ToString();
  std::string instance;
  for (const FleetInstance& in : *instances) {
    if (in.launch_ticket == *launched) instance = in.id;
  }
  ASSERT_FALSE(instance.empty()) << "no instance answered " << *launched;
  EXPECT_TRUE((*fleet)->SetProtection(instance, true).ok());
  EXPECT_TRUE((*fleet)->SetProtection(instance, false).ok());

  auto ec2 = Client(manager, kEc2Api);
  Ec2MarketOptions market_options = Ec2MarketOptionsFor(config_, "us-east-1");
  market_options.advisor_bands = nullptr;  // the feed is a public file: no IAM
  auto market = Ec2Market::New(std::move(market_options), *ec2, SystemClock());
  ASSERT_TRUE(market.ok()) << market.status().ToString();
  auto quotes = (*market)->Quotes();
  EXPECT_TRUE(quotes.ok()) << quotes.status().ToString();
  auto cloudwatch = Client(manager, kCloudWatchApi);
  auto metrics = CloudWatchMetrics::New(*cloudwatch, kSpotbatchMetricNamespace);
  ASSERT_TRUE(metrics.ok());
  const Status put =
      metrics->Put(BacklogMetrics(WorkSnapshot{}, 1, "lp-tasks", SystemClock().NowUnixMillis()));
  EXPECT_TRUE(put.ok()) << put.ToString();

  // The worker on that instance.
  testing::StaticCredentials worker(roles_["worker"].id, roles_["worker"].secret);
  auto own = Client(worker, kAutoScalingApi);
  auto group = FindOwnGroup(*own, instance);
  ASSERT_TRUE(group.ok()) << group.status().ToString();
  EXPECT_EQ(*group, "lp-spot");
  AsgScaleInProtection protection(*own, *group, instance);
  EXPECT_TRUE(protection.Protect(true).ok());
  EXPECT_TRUE(protection.Protect(false).ok());
  // moto has no lifecycle actions (a 500 once authorized): authorized is what is asked here.
  const LifecycleAction action{*group, std::string(kDrainHook), instance};
  EXPECT_FALSE(Denied(CompleteLifecycleAction(*own, action)));
  EXPECT_FALSE(Denied(RecordLifecycleActionHeartbeat(*own, action)));

  // Outside each policy.
  EXPECT_TRUE(
      Denied(autoscaling
                 ->Call("CompleteLifecycleAction", {{"AutoScalingGroupName", *group},
                                                    {"LifecycleHookName", std::string(kDrainHook)},
                                                    {"InstanceId", instance},
                                                    {"LifecycleActionResult", "CONTINUE"}})
                 .status()))
      << "the manager completes no worker's action";
  EXPECT_TRUE(Denied(
      own->Call("SetDesiredCapacity", {{"AutoScalingGroupName", *group}, {"DesiredCapacity", "2"}})
          .status()));
  EXPECT_TRUE(
      Denied(own->Call("TerminateInstanceInAutoScalingGroup",
                       {{"InstanceId", instance}, {"ShouldDecrementDesiredCapacity", "true"}})
                 .status()));
  auto worker_cloudwatch = Client(worker, kCloudWatchApi);
  auto worker_metrics = CloudWatchMetrics::New(*worker_cloudwatch, kSpotbatchMetricNamespace);
  EXPECT_TRUE(Denied(
      worker_metrics->Put(BacklogMetrics(WorkSnapshot{}, 1, "q", SystemClock().NowUnixMillis()))));
  EXPECT_TRUE(Denied(ec2->Call("TerminateInstances", {{"InstanceId.1", instance}}).status()))
      << "the manager ends instances through their group only";
  EXPECT_TRUE(Denied(
      ec2->Call("RunInstances", {{"ImageId", "ami-12c6146b"}, {"MinCount", "1"}, {"MaxCount", "1"}})
          .status()));
  EXPECT_TRUE(Denied(
      autoscaling->Call("DeleteAutoScalingGroup", {{"AutoScalingGroupName", *group}}).status()));

  EXPECT_TRUE((*fleet)->Terminate(instance).ok()) << "scale-in of the chosen instance";
}

}  // namespace
}  // namespace spotbatch
