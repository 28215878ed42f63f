// [store] url, [queue], [state] url, [ingest] and [aws]: which adapter backs each port.
#include <gtest/gtest.h>

#include "apps/config.h"
#include "apps/config_parser.h"
#include "core/task_machine.h"
#include "test_util.h"

namespace spotbatch {
namespace {

class ConfigServicesTest : public ::testing::Test {
 protected:
  Result<Config> Load(const std::string& text) {
    testing::WriteFile(dir_ / "sb.toml", text);
    return LoadConfig(dir_ / "sb.toml");
  }
  // The error must name the file, the line and the key, and say `what`.
  void ExpectError(const std::string& text, int line, const std::string& key,
                   const std::string& what) {
    auto c = Load(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    const std::string where = dir_ / ("sb.toml:" + std::to_string(line) + ": " + key + ": ");
    EXPECT_EQ(c.status().message().rfind(where, 0), 0u) << c.status().message();
    EXPECT_NE(c.status().message().find(what), std::string::npos) << c.status().message();
  }
  testing::TempDir dir_;
};

constexpr const char* kBuckets =
    "[pipeline]\ninput = \"acme-in/photos/\"\noutput = \"acme-out/\"\ncommand = [\"true\"]\n";

TEST_F(ConfigServicesTest, TheEmbeddedDefaultUsesNoAws) {
  auto c = Load("[pipeline]\ncommand = [\"true\"]\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->uses_aws());
  EXPECT_FALSE(c->store_on_s3);
  EXPECT_TRUE(c->sqs_queue.empty());
  EXPECT_TRUE(c->dynamodb_table.empty());
}

TEST_F(ConfigServicesTest, TheAwsConfigOfTheDesignParses) {
  auto c = Load(std::string(kBuckets) +
                "[store]\nurl = \"s3://\"\n"
                "[queue]\nurl = \"sqs://spotbatch-tasks\"\n"
                "[state]\nurl = \"dynamodb://spotbatch-state\"\n"
                "[ingest]\nevents = \"sqs://spotbatch-events\"\n"
                "[aws]\nregion = \"eu-west-1\"\nprofile = \"batch\"\n"
                "[aws.endpoints]\ns3 = \"http://127.0.0.1:4566\"\nsqs = \"http://127.0.0.1:4566\"\n"
                "dynamodb = \"https://localhost:4567\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->uses_aws());
  EXPECT_TRUE(c->store_on_s3);
  EXPECT_EQ(c->work_bucket, "acme-out");  // the output bucket by default
  EXPECT_EQ(c->sqs_queue, "spotbatch-tasks");
  EXPECT_EQ(c->pipeline.queue, "spotbatch-tasks") << "the pipeline's queue is the SQS queue";
  EXPECT_EQ(c->dynamodb_table, "spotbatch-state");
  EXPECT_EQ(c->events_queue, "spotbatch-events");
  EXPECT_EQ(c->aws.region, "eu-west-1");
  EXPECT_EQ(c->aws.profile, "batch");
  EXPECT_EQ(c->aws.endpoints.at("s3"), "http://127.0.0.1:4566");
  EXPECT_EQ(c->aws.endpoints.at("dynamodb"), "https://localhost:4567");
  EXPECT_TRUE(c->aws.s3_path_style) << "an S3 endpoint of its own means path-style by default";
}

TEST_F(ConfigServicesTest, AnyMixWorks) {
  auto queue_only = Load("[pipeline]\ncommand = [\"true\"]\n[queue]\nurl = \"sqs://q1\"\n");
  ASSERT_TRUE(queue_only.ok()) << queue_only.status().ToString();
  EXPECT_FALSE(queue_only->store_on_s3);
  EXPECT_EQ(queue_only->sqs_queue, "q1");
  auto s3_only = Load(std::string(kBuckets) +
                      "[store]\nurl = \"s3://\"\nwork_bucket = \"acme-work\"\n[aws]\nregion = "
                      "\"us-east-1\"\n");
  ASSERT_TRUE(s3_only.ok()) << s3_only.status().ToString();
  EXPECT_TRUE(s3_only->store_on_s3);
  EXPECT_TRUE(s3_only->sqs_queue.empty());
  EXPECT_EQ(s3_only->work_bucket, "acme-work");
  EXPECT_FALSE(s3_only->aws.s3_path_style) << "S3 itself: virtual-host addressing";
}

TEST_F(ConfigServicesTest, EmbeddedPrefixesCannotBeBuckets) {
  // Line 1: the prefixes were not given, the defaults in/ and out/ were used.
  ExpectError("[pipeline]\ncommand = [\"true\"]\n[store]\nurl = \"s3://\"\n", 1, "pipeline.input",
              "\"in\" cannot be an S3 bucket: bucket names have 3 to 63 characters (the embedded "
              "default in/ is not one)");
  ExpectError("[pipeline]\ninput = \"Acme_In/\"\ncommand = [\"true\"]\n[store]\nurl = \"s3://\"\n",
              2, "pipeline.input", "lowercase");
  ExpectError(
      "[pipeline]\ninput = \"acme-in/\"\noutput = \"o/\"\ncommand = [\"true\"]\n"
      "[store]\nurl = \"s3://\"\n",
      3, "pipeline.output", "\"o\" cannot be an S3 bucket");
}

TEST_F(ConfigServicesTest, BadUrlsAndNamesAreRefusedNamingTheKey) {
  ExpectError(std::string(kBuckets) + "[store]\nurl = \"s3://acme-in\"\n", 6, "store.url",
              "must be \"s3://\"");
  ExpectError(std::string(kBuckets) + "[store]\nurl = \"s3://\"\npath = \"data\"\n", 7,
              "store.path", "not both");
  ExpectError(std::string(kBuckets) + "[store]\nwork_bucket = \"acme-work\"\n", 6,
              "store.work_bucket", "needs store.url");
  ExpectError(std::string(kBuckets) + "[queue]\nurl = \"https://sqs/q\"\n", 6, "queue.url",
              "must be \"sqs://NAME\"");
  ExpectError(std::string(kBuckets) + "[queue]\nurl = \"sqs://tasks.fifo\"\n", 6, "queue.url",
              "cannot be an SQS queue");
  ExpectError(std::string(kBuckets) + "[queue]\nurl = \"sqs://" + std::string(67, 'q') + "\"\n", 6,
              "queue.url", "at most 66 characters");
  ExpectError(std::string(kBuckets) + "[queue]\nurl = \"sqs://q\"\nretries = 3\n", 7,
              "queue.retries", "unknown key");
  ExpectError("[pipeline]\nqueue = \"jobs\"\ncommand = [\"true\"]\n[queue]\nurl = \"sqs://q\"\n", 2,
              "pipeline.queue", "give the name once");
  ExpectError(std::string(kBuckets) + "[state]\nurl = \"dynamodb://t\"\n", 6, "state.url",
              "3 to 255 characters");
  ExpectError(std::string(kBuckets) + "[state]\nurl = \"sqlite://x\"\n", 6, "state.url",
              "dynamodb://NAME");
  ExpectError(std::string(kBuckets) + "[ingest]\nevents = \"sqs://ev\"\n", 6, "ingest.events",
              "needs store.url");
  ExpectError(std::string(kBuckets) +
                  "[store]\nurl = \"s3://\"\n[queue]\nurl = \"sqs://jobs\"\n"
                  "[ingest]\nevents = \"sqs://jobs-on-demand\"\n",
              10, "ingest.events", "task queue");
}

TEST(ConfigServices, TheLongestQueueNameCheckedIsTheOneMade) {
  EXPECT_EQ(OnDemandQueue("q") + "-dlq",
            std::string("q") + config_internal::kLongestSqsQueueSuffix);
}

TEST_F(ConfigServicesTest, AwsSectionIsChecked) {
  ExpectError(std::string(kBuckets) + "[aws]\nregion = \"US East\"\n", 6, "aws.region",
              "not an AWS region");
  ExpectError(std::string(kBuckets) + "[aws]\nprofile = \"a b\"\n", 6, "aws.profile",
              "letters, digits");
  ExpectError(std::string(kBuckets) + "[aws]\nsecret = \"x\"\n", 6, "aws.secret", "unknown key");
  ExpectError(std::string(kBuckets) + "[aws]\ns3_addressing = \"dns\"\n", 6, "aws.s3_addressing",
              "virtual");
  ExpectError(std::string(kBuckets) + "[aws.endpoints]\nlambda = \"http://127.0.0.1:1\"\n", 6,
              "aws.endpoints.lambda", "unknown service");
  ExpectError(std::string(kBuckets) + "[aws.endpoints]\ns3 = \"http://127.0.0.1:1/bucket\"\n", 6,
              "aws.endpoints.s3", "nothing after");
  ExpectError(std::string(kBuckets) + "[aws.endpoints]\nsqs = \"ftp://host\"\n", 6,
              "aws.endpoints.sqs", "http[s]://");
  ExpectError(std::string(kBuckets) + "[aws.endpoints]\nsqs = 5\n", 6, "aws.endpoints.sqs",
              "must be a string");
  ExpectError(std::string(kBuckets) + "[aws]\nendpoints = 5\n", 6, "aws.endpoints",
              "must be a table");
}

TEST_F(ConfigServicesTest, TheWorkersLaunchWithWhatAwsWorkerSays) {
  auto c = Load(
      std::string(kBuckets) +
      "[aws.worker]\nami = \"ami-0abcdef1234567890\"\ninstance_profile = \"acme-batch\"\n"
      "subnets = [\"subnet-0a1\", \"subnet-0b2\"]\nsecurity_groups = [\"sg-01\"]\n"
      "install = [\"apt-get install -y ./spotbatch.deb\"]\nspotbatch = \"/usr/bin/spotbatch\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const AwsConfig::Worker& w = c->aws.worker;
  EXPECT_EQ(w.ami, "ami-0abcdef1234567890");
  EXPECT_EQ(w.instance_profile, "acme-batch");
  EXPECT_EQ(w.subnets, (std::vector<std::string>{"subnet-0a1", "subnet-0b2"}));
  EXPECT_EQ(w.security_groups, (std::vector<std::string>{"sg-01"}));
  EXPECT_EQ(w.install, (std::vector<std::string>{"apt-get install -y ./spotbatch.deb"}));
  EXPECT_EQ(w.spotbatch, "/usr/bin/spotbatch");
  auto ssm =
      Load(std::string(kBuckets) +
           "[aws.worker]\nami = \"resolve:ssm:/aws/service/debian/release/12/latest/amd64\"\n");
  ASSERT_TRUE(ssm.ok()) << ssm.status().ToString();
  EXPECT_EQ(ssm->aws.worker.instance_profile, "spotbatch-worker") << "the default";
}

TEST_F(ConfigServicesTest, AwsWorkerRefusesWhatIsNoImageProfileOrLineNamingTheKey) {
  const std::string head = std::string(kBuckets) + "[aws.worker]\n";
  const int line = 1 + static_cast<int>(std::count(head.begin(), head.end(), '\n'));
  ExpectError(head + "ami = \"ami-12\"\n", line, "aws.worker.ami", "8 to 17 hex digits");
  ExpectError(head + "ami = \"ami-0ABCDEF123\"\n", line, "aws.worker.ami", "hex");
  ExpectError(head + "ami = \"resolve:ssm:/x;rm -rf /\"\n", line, "aws.worker.ami", "resolve:ssm:");
  ExpectError(head + "instance_profile = \"a b\"\n", line, "aws.worker.instance_profile", "IAM");
  ExpectError(head + "subnets = [\"vpc-1\"]\n", line, "aws.worker.subnets[0]", "subnet id");
  ExpectError(head + "security_groups = [\"subnet-1\"]\n", line, "aws.worker.security_groups[0]",
              "security group id");
  ExpectError(head + "install = [\"echo \\u0007\"]\n", line, "aws.worker.install[0]", "printable");
  ExpectError(head + "spotbatch = \"bin/spotbatch\"\n", line, "aws.worker.spotbatch", "absolute");
  ExpectError(head + "spotbatch = \"/opt/$(id)\"\n", line, "aws.worker.spotbatch", "absolute");
  ExpectError(head + "amis = \"ami-12345678\"\n", line, "aws.worker.amis", "unknown");
}

}  // namespace
}  // namespace spotbatch
