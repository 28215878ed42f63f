#include "apps/aws_policy.h"

#include <gtest/gtest.h>

#include <string_view>

namespace spotbatch {
namespace {

constexpr const char* kAwsPipeline = R"(
[store]
url = "s3://"
[queue]
url = "sqs://spotbatch-tasks"
[state]
url = "dynamodb://spotbatch-state"
[ingest]
events = "sqs://spotbatch-events"
[pipeline]
input = "acme-in/claims/"
output = "acme-out/"
command = ["true"]
)";

Config Load(const std::string& text) {
  auto c = ParseConfig(text, "/tmp/spotbatch.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : Config{};
}

// IAM's matching of an Action or Resource pattern: '*' any run of characters, '?' any one.
bool Matches(std::string_view pattern, std::string_view value) {
  if (pattern.empty()) return value.empty();
  if (pattern[0] == '*') {
    for (size_t skip = 0; skip <= value.size(); ++skip) {
      if (Matches(pattern.substr(1), value.substr(skip))) return true;
    }
    return false;
  }
  return !value.empty() && (pattern[0] == '?' || pattern[0] == value[0]) &&
         Matches(pattern.substr(1), value.substr(1));
}

// Whether `doc` lets `action` on `resource`, as IAM decides: some Allow statement matches and
// no Deny does.
bool Allows(const nlohmann::ordered_json& doc, const std::string& action,
            const std::string& resource) {
  bool allowed = false;
  for (const auto& st : doc["Statement"]) {
    bool action_matches = false, resource_matches = false;
    for (const auto& a : st["Action"]) action_matches |= Matches(a.get<std::string>(), action);
    for (const auto& r : st["Resource"])
      resource_matches |= Matches(r.get<std::string>(), resource);
    if (!action_matches || !resource_matches) continue;
    if (st["Effect"] == "Deny") return false;
    allowed = true;
  }
  return allowed;
}

nlohmann::ordered_json PolicyOf(AwsRole role, const Config& c = Load(kAwsPipeline)) {
  return AwsPolicyFor(c, role, {.region = "us-east-1", .account = "123456789012"});
}

const std::string kTaskQueue = "arn:aws:sqs:us-east-1:123456789012:spotbatch-tasks";
const std::string kTable = "arn:aws:dynamodb:us-east-1:123456789012:table/spotbatch-state";

TEST(AwsPolicy, EveryDocumentIsAnIamPolicyWithNoWildcardAction) {
  for (AwsRole role : AllAwsRoles()) {
    const auto doc = PolicyOf(role);
    EXPECT_EQ(doc["Version"], "2012-10-17");
    ASSERT_FALSE(doc["Statement"].empty()) << AwsRoleName(role);
    for (const auto& st : doc["Statement"]) {
      EXPECT_TRUE(st["Effect"] == "Allow" || st["Effect"] == "Deny") << st;
      for (const auto& a : st["Action"]) {
        EXPECT_EQ(a.get<std::string>().find('*'), std::string::npos) << a;
      }
      for (const auto& r : st["Resource"]) {
        // Only ListQueues, which IAM grants on no queue, is on every resource.
        if (r == "*") {
          EXPECT_EQ(st["Action"], nlohmann::ordered_json::array({"sqs:ListQueues"}));
        }
      }
    }
  }
}

TEST(AwsPolicy, AWorkerReadsInputsPublishesOutputsAndTouchesNothingElse) {
  const auto w = PolicyOf(AwsRole::kWorker);
  EXPECT_TRUE(Allows(w, "s3:GetObject", "arn:aws:s3:::acme-in/claims/a.txt"));
  EXPECT_FALSE(Allows(w, "s3:PutObject", "arn:aws:s3:::acme-in/claims/a.txt"));
  EXPECT_FALSE(Allows(w, "s3:GetObject", "arn:aws:s3:::acme-in/other/a.txt"));
  EXPECT_TRUE(Allows(w, "s3:PutObject", "arn:aws:s3:::acme-out/claims/a.txt/sum.txt"));
  EXPECT_FALSE(Allows(w, "s3:DeleteObject", "arn:aws:s3:::acme-out/claims/a.txt/sum.txt"));
  for (const char* own : {"staging/tok.0", "checkpoints/t/tok.1/state"}) {
    const std::string key = std::string("arn:aws:s3:::acme-out/_spotbatch/") + own;
    for (const char* a : {"s3:PutObject", "s3:GetObject", "s3:DeleteObject",
                          "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}) {
      EXPECT_TRUE(Allows(w, a, key)) << a << " " << key;
    }
  }
  EXPECT_FALSE(Allows(w, "s3:DeleteObject", "arn:aws:s3:::acme-out/_spotbatch/bills/b.json"));
  EXPECT_TRUE(Allows(w, "s3:ListBucket", "arn:aws:s3:::acme-out"));
  EXPECT_FALSE(Allows(w, "s3:ListBucket", "arn:aws:s3:::acme-in"));
  for (const std::string& q : {kTaskQueue, kTaskQueue + "-on-demand", kTaskQueue + "-p3"}) {
    EXPECT_TRUE(Allows(w, "sqs:ReceiveMessage", q)) << q;
    EXPECT_TRUE(Allows(w, "sqs:ChangeMessageVisibility", q)) << q;
  }
  EXPECT_FALSE(
      Allows(w, "sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:spotbatch-tasksX"));
  EXPECT_FALSE(
      Allows(w, "sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:spotbatch-events"));
  EXPECT_FALSE(
      Allows(w, "sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:999999999999:spotbatch-tasks"));
  EXPECT_TRUE(Allows(w, "dynamodb:UpdateItem", kTable));
  EXPECT_TRUE(Allows(w, "dynamodb:Query", kTable + "/index/unenqueued"));
  EXPECT_FALSE(Allows(w, "dynamodb:CreateTable", kTable));
  EXPECT_FALSE(Allows(w, "dynamodb:DeleteTable", kTable));
  EXPECT_FALSE(Allows(w, "dynamodb:GetItem", kTable + "-other"));
}

// With outputs at the top of the work bucket, the grant to publish covers spotbatch's own area
// as well; the bills there stay the manager's.
TEST(AwsPolicy, AWorkerPublishingAtTheTopOfTheWorkBucketCannotWriteTheBills) {
  std::string text = kAwsPipeline;
  const auto top = PolicyOf(AwsRole::kWorker, Load(text));
  const std::string bill = "arn:aws:s3:::acme-out/_spotbatch/bills/b.json";
  EXPECT_TRUE(Allows(top, "s3:PutObject", "arn:aws:s3:::acme-out/claims/a.txt/sum.txt"));
  EXPECT_TRUE(Allows(top, "s3:PutObject", "arn:aws:s3:::acme-out/_spotbatch/staging/tok.0"));
  EXPECT_FALSE(Allows(top, "s3:PutObject", bill));
  EXPECT_TRUE(Allows(PolicyOf(AwsRole::kManager, Load(text)), "s3:PutObject", bill));

  text.replace(text.find("\"acme-out/\""), 11, "\"acme-out/results/\"");
  const auto below = PolicyOf(AwsRole::kWorker, Load(text));
  EXPECT_FALSE(Allows(below, "s3:PutObject", bill));
  for (const auto& st : below["Statement"]) {
    EXPECT_EQ(st["Effect"], "Allow") << "a Deny where no grant reaches the bills: " << st;
  }
}

TEST(AwsPolicy, TheIngestSendsTasksButReceivesNone) {
  const auto i = PolicyOf(AwsRole::kIngest);
  EXPECT_TRUE(Allows(i, "s3:GetObject", "arn:aws:s3:::acme-in/claims/a.txt"));
  EXPECT_FALSE(Allows(i, "s3:PutObject", "arn:aws:s3:::acme-out/a/sum.txt"));
  EXPECT_TRUE(Allows(i, "sqs:SendMessage", kTaskQueue));
  EXPECT_FALSE(Allows(i, "sqs:ReceiveMessage", kTaskQueue));
  EXPECT_FALSE(Allows(i, "sqs:DeleteMessage", kTaskQueue));
  EXPECT_TRUE(Allows(i, "dynamodb:PutItem", kTable));
}

TEST(AwsPolicy, OnlyTheManagerConsumesEventsCleansUpAndMakesTheTable) {
  const auto m = PolicyOf(AwsRole::kManager);
  const std::string events = "arn:aws:sqs:us-east-1:123456789012:spotbatch-events";
  for (const std::string& q : {events, events + "-dlq"}) {
    EXPECT_TRUE(Allows(m, "sqs:ReceiveMessage", q));
    EXPECT_TRUE(Allows(m, "sqs:DeleteMessage", q));
  }
  EXPECT_TRUE(Allows(m, "dynamodb:CreateTable", kTable));
  EXPECT_TRUE(Allows(m, "s3:DeleteObject", "arn:aws:s3:::acme-out/_spotbatch/staging/tok.0"));
  EXPECT_TRUE(Allows(m, "s3:PutObject", "arn:aws:s3:::acme-out/_spotbatch/bills/b.json"));
  EXPECT_TRUE(Allows(m, "s3:ListBucket", "arn:aws:s3:::acme-in"));
  EXPECT_FALSE(Allows(m, "s3:PutObject", "arn:aws:s3:::acme-out/a/sum.txt")) << "workers publish";
  for (AwsRole other : {AwsRole::kIngest, AwsRole::kWorker}) {
    EXPECT_FALSE(Allows(PolicyOf(other), "sqs:ReceiveMessage", events)) << AwsRoleName(other);
    EXPECT_FALSE(Allows(PolicyOf(other), "dynamodb:CreateTable", kTable)) << AwsRoleName(other);
  }
}

TEST(AwsPolicy, ServicesTheConfigKeepsEmbeddedGetNoStatement) {
  const Config s3_only = Load(R"(
[store]
url = "s3://"
work_bucket = "acme-work"
[pipeline]
input = "acme-in/"
output = "acme-out/results/"
command = ["true"]
)");
  const auto w = PolicyOf(AwsRole::kWorker, s3_only);
  for (const auto& st : w["Statement"]) {
    for (const auto& a : st["Action"]) EXPECT_EQ(a.get<std::string>().rfind("s3:", 0), 0u) << a;
  }
  EXPECT_TRUE(Allows(w, "s3:PutObject", "arn:aws:s3:::acme-work/_spotbatch/staging/tok.0"));
  EXPECT_FALSE(Allows(w, "s3:PutObject", "arn:aws:s3:::acme-out/_spotbatch/staging/tok.0"));
  EXPECT_TRUE(Allows(w, "s3:PutObject", "arn:aws:s3:::acme-out/results/a/sum.txt"));
  EXPECT_FALSE(Allows(w, "s3:PutObject", "arn:aws:s3:::acme-out/other/a/sum.txt"));
}

TEST(AwsPolicy, ArnsCarryTheRegionsPartitionAndAnyAccountByDefault) {
  const auto doc = AwsPolicyFor(Load(kAwsPipeline), AwsRole::kWorker, {.region = "cn-north-1"});
  EXPECT_TRUE(Allows(doc, "s3:GetObject", "arn:aws-cn:s3:::acme-in/claims/a"));
  EXPECT_TRUE(
      Allows(doc, "sqs:ReceiveMessage", "arn:aws-cn:sqs:cn-north-1:210987654321:spotbatch-tasks"));
  EXPECT_FALSE(Allows(doc, "s3:GetObject", "arn:aws:s3:::acme-in/claims/a"));
}

TEST(AwsPolicy, RolesAndAccountsAreChecked) {
  EXPECT_EQ(*ParseAwsRole("worker"), AwsRole::kWorker);
  auto bad = ParseAwsRole("admin");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ingest, worker or manager"), std::string::npos);
  EXPECT_TRUE(ValidateAwsAccount("*").ok());
  EXPECT_TRUE(ValidateAwsAccount("123456789012").ok());
  for (const char* a : {"", "12345678901", "1234567890123", "12345678901x", "*:evil"}) {
    EXPECT_FALSE(ValidateAwsAccount(a).ok()) << a;
  }
}

constexpr const char* kEc2Pools = R"(
[[fleet.pool]]
name = "spot"
provider = "ec2"
instance_types = ["c5.xlarge", "m5.xlarge"]
[[fleet.pool]]
name = "od"
provider = "ec2"
market = "on-demand"
instance_types = ["c5.xlarge"]
group = "acme-od"
)";

std::string GroupArn(const std::string& group) {
  return "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:"
         "0b3c-uuid:autoScalingGroupName/" +
         group;
}

TEST(AwsPolicy, TheManagerSetsItsGroupsCapacityAndReadsTheMarket) {
  const auto manager = PolicyOf(AwsRole::kManager, Load(std::string(kAwsPipeline) + kEc2Pools));
  for (const std::string group : {"spotbatch-spot", "acme-od"}) {
    for (const char* a :
         {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup",
          "autoscaling:SetInstanceProtection"}) {
      EXPECT_TRUE(Allows(manager, a, GroupArn(group))) << a << " " << group;
    }
  }
  EXPECT_FALSE(Allows(manager, "autoscaling:SetDesiredCapacity", GroupArn("someone-elses")));
  EXPECT_FALSE(Allows(manager, "autoscaling:DeleteAutoScalingGroup", GroupArn("acme-od")));
  EXPECT_FALSE(Allows(manager, "autoscaling:CompleteLifecycleAction", GroupArn("acme-od")))
      << "the workers' to call";
  EXPECT_TRUE(Allows(manager, "autoscaling:DescribeAutoScalingGroups", "*"));
  for (const char* a : {"ec2:DescribeSpotPriceHistory", "ec2:GetSpotPlacementScores",
                        "ec2:DescribeAvailabilityZones"}) {
    EXPECT_TRUE(Allows(manager, a, "*")) << a;
  }
  EXPECT_FALSE(Allows(manager, "ec2:RunInstances", "*"));
  EXPECT_FALSE(Allows(manager, "ec2:TerminateInstances", "*"));
  // The metrics, in spotbatch's namespace only.
  bool metrics = false;
  for (const auto& st : manager["Statement"]) {
    if (st["Action"][0] != "cloudwatch:PutMetricData") continue;
    metrics = true;
    EXPECT_EQ(st["Condition"]["StringEquals"]["cloudwatch:namespace"], "spotbatch");
  }
  EXPECT_TRUE(metrics);
}

TEST(AwsPolicy, AWorkerProtectsItsInstanceAndCompletesItsLifecycleActionOnly) {
  const auto worker = PolicyOf(AwsRole::kWorker, Load(std::string(kAwsPipeline) + kEc2Pools));
  for (const char* a : {"autoscaling:SetInstanceProtection", "autoscaling:CompleteLifecycleAction",
                        "autoscaling:RecordLifecycleActionHeartbeat"}) {
    EXPECT_TRUE(Allows(worker, a, GroupArn("spotbatch-spot"))) << a;
  }
  EXPECT_TRUE(Allows(worker, "autoscaling:DescribeAutoScalingInstances", "*"));
  EXPECT_FALSE(Allows(worker, "autoscaling:SetDesiredCapacity", GroupArn("spotbatch-spot")));
  EXPECT_FALSE(Allows(worker, "autoscaling:TerminateInstanceInAutoScalingGroup",
                      GroupArn("spotbatch-spot")));
  EXPECT_FALSE(Allows(worker, "cloudwatch:PutMetricData", "*"));
  const auto ingest = PolicyOf(AwsRole::kIngest, Load(std::string(kAwsPipeline) + kEc2Pools));
  EXPECT_FALSE(Allows(ingest, "autoscaling:SetInstanceProtection", GroupArn("spotbatch-spot")));
  EXPECT_FALSE(Allows(PolicyOf(AwsRole::kManager), "autoscaling:DescribeAutoScalingGroups", "*"))
      << "no EC2 pools, no Auto Scaling";
}

}  // namespace
}  // namespace spotbatch
