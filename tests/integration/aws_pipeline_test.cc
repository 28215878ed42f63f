// The pipeline end to end on S3, SQS and DynamoDB (moto on loopback) with the local fleet,
// through the real binary: inputs uploaded by the AWS CLI, workers killed with kill -9 while
// they work, every output read back by the AWS CLI, and the crash checker's verdict (read
// through the same AWS adapters) that nothing was lost and nothing done twice. Then `up`
// with [ingest] events: an upload by the CLI reaches its job through the bucket's
// notification to SQS.
#include <signal.h>

#include <random>

#include "aws/aws_cli.h"
#include "aws/moto_server.h"
#include "integration/crash_checker.h"
#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

constexpr const char* kSlowSha =
    R"(["sh", "-c", "sleep 0.2; sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])";

class AwsPipelineTest : public testing::PipelineFixture {
 protected:
  static void SetUpTestSuite() {
    moto_ = new testing::MotoServer({.one_request_at_a_time = true});
    // The binary and this process's adapters (the crash checker's) sign as moto's default
    // user, and never look for an instance role.
    ::setenv("AWS_ACCESS_KEY_ID", "testing", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
    ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    ::unsetenv("AWS_PROFILE");
  }
  static void TearDownTestSuite() { delete moto_; }
  void SetUp() override {
    ASSERT_FALSE(moto_->endpoint().empty()) << moto_->log();
    ::setenv("HOME", dir_.path().c_str(), 1);  // no ~/.aws of the machine's
    // A fresh name per test: one moto serves the suite.
    static int n = 0;
    suffix_ = std::to_string(::getpid()) + "-" + std::to_string(++n);
    in_ = "acme-in-" + suffix_;
    out_ = "acme-out-" + suffix_;
    for (const std::string& b : {in_, out_}) ASSERT_TRUE(Aws("s3 mb s3://" + b).second);
  }
  std::pair<std::string, bool> Aws(const std::string& args) {
    return testing::Aws(moto_->endpoint(), args);
  }
  void WriteAwsConfig(const std::string& extra = "") {
    const std::string e = moto_->endpoint();
    testing::WriteFile(config(), "[store]\nurl = \"s3://\"\n"
                                 "[queue]\nurl = \"sqs://tasks-" + suffix_ + "\"\n"
                                 "[state]\nurl = \"dynamodb://state-" + suffix_ + "\"\n"
                                 "[aws]\nregion = \"us-east-1\"\n"
                                 "[aws.endpoints]\ns3 = \"" + e + "\"\nsqs = \"" + e +
                                     "\"\ndynamodb = \"" + e + "\"\n"
                                 "[pipeline]\ninput = \"" + in_ + "/\"\noutput = \"" + out_ +
                                     "/\"\ncommand = " + kSlowSha +
                                     "\nretry_backoff_seconds = 0.05\n"
                                 "[fleet]\nworkers = 3\n"
                                 "[worker]\nlease_seconds = 4\nheartbeat_seconds = 1\n"
                                 "kill_grace_seconds = 1\n" + extra);
  }
  static testing::MotoServer* moto_;
  std::string suffix_, in_, out_;
};
testing::MotoServer* AwsPipelineTest::moto_ = nullptr;

TEST_F(AwsPipelineTest, WorkersKilledMidTaskLoseNothingAndDoNothingTwice) {
  constexpr int kInputs = 24;
  constexpr int kKills = 4;
  WriteAwsConfig();
  for (int i = 0; i < kInputs; ++i) {
    testing::WriteFile(dir_ / ("inputs/f" + std::to_string(i)),
                       std::string(i * 7 % 50, 'a' + i % 26) + std::to_string(i));
  }
  auto uploaded = Aws("s3 cp --recursive --quiet '" + dir_ / "inputs" + "' s3://" + in_ + "/");
  ASSERT_TRUE(uploaded.second) << uploaded.first;

  std::mt19937 rng(std::random_device{}());
  const pid_t run =
      testing::StartCli({"run", "-c", config(), "--json"}, dir_ / "run.out", dir_ / "run.err");
  int kills = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(6);
  int status = 0;
  while (::waitpid(run, &status, WNOHANG) != run) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "the run did not finish: " << testing::ReadFile(dir_ / "run.err");
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(300, 900)(rng)));
    if (kills >= kKills) continue;
    // A worker that holds a task: its command (sh) runs below its supervisor.
    for (pid_t worker : testing::ChildrenOf(run)) {
      bool busy = false;
      for (pid_t supervisor : testing::ChildrenOf(worker)) {
        busy = busy || !testing::ChildrenOf(supervisor).empty();
      }
      if (busy && ::kill(worker, SIGKILL) == 0) {
        ++kills;
        break;
      }
    }
  }
  const std::string err = testing::ReadFile(dir_ / "run.err");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
  EXPECT_EQ(kills, kKills) << "the run ended before every kill happened";

  // The AWS CLI reads every output back.
  for (int i = 0; i < kInputs; ++i) {
    const std::string rel = "f" + std::to_string(i);
    auto got = Aws("s3 cp s3://" + out_ + "/" + rel + "/sum.txt -");
    ASSERT_TRUE(got.second) << got.first;
    EXPECT_EQ(got.first, Sha256Hex(testing::ReadFile(dir_ / ("inputs/" + rel))) + "  -\n");
  }
  testing::CrashCheck check;
  check.folder = dir_.path();
  for (int i = 0; i < kInputs; ++i) check.inputs.push_back("f" + std::to_string(i));
  check.expected = testing::ShaOfEachInput(dir_ / "inputs");
  EXPECT_TRUE(testing::ExpectNothingLostNothingTwice(check));
  int lost = 0;
  for (const JobView& j : *testing::RunState(dir_.path()).state->ListJobs()) {
    lost += j.tasks[0].lost;
  }
  EXPECT_GT(lost, 0) << "killing busy workers should have lost attempts";
}

TEST_F(AwsPipelineTest, AnUploadReachesItsJobThroughTheBucketNotification) {
  const std::string events = "events-" + suffix_;
  auto queue = Aws("sqs create-queue --queue-name " + events);
  ASSERT_TRUE(queue.second) << queue.first;
  const std::string url = nlohmann::json::parse(queue.first)["QueueUrl"];
  auto attrs = Aws("sqs get-queue-attributes --attribute-names QueueArn --queue-url " + url);
  ASSERT_TRUE(attrs.second) << attrs.first;
  const std::string arn = nlohmann::json::parse(attrs.first)["Attributes"]["QueueArn"];
  const nlohmann::json notification = {
      {"QueueConfigurations", {{{"QueueArn", arn}, {"Events", {"s3:ObjectCreated:*"}}}}}};
  auto notify = Aws("s3api put-bucket-notification-configuration --bucket " + in_ +
                    " --notification-configuration '" + notification.dump() + "'");
  ASSERT_TRUE(notify.second) << notify.first;
  WriteAwsConfig("[ingest]\nevents = \"sqs://" + events + "\"\n");

  const pid_t up = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
  testing::WriteFile(dir_ / "claim.txt", "claim 42\n");
  // A key S3 form-encodes in its events: a space, a plus, a folder.
  auto put = Aws("s3 cp --quiet '" + dir_ / "claim.txt" + "' 's3://" + in_ +
                 "/claims/my claim+1.txt'");
  ASSERT_TRUE(put.second) << put.first;
  std::string got;
  const bool published = testing::WaitFor(
      [&] {
        auto r = Aws("s3 cp 's3://" + out_ + "/claims/my claim+1.txt/sum.txt' -");
        got = r.first;
        return r.second;
      },
      std::chrono::seconds(90));
  ::kill(up, SIGTERM);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");
  ASSERT_TRUE(published) << testing::ReadFile(dir_ / "up.err");
  EXPECT_EQ(got, Sha256Hex("claim 42\n") + "  -\n");
  const std::string log = testing::ReadFile(dir_ / "up.err");
  EXPECT_NE(log.find("new jobs from upload notifications"), std::string::npos)
      << "the job came from the notification, not the listing: " << log;
  auto jobs = Jobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["input"], in_ + "/claims/my claim+1.txt");
}

}  // namespace
}  // namespace spotbatch
