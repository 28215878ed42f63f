#include "apps/aws_policy.h"

#include "adapters/aws/cloudwatch_metrics.h"
#include "core/aws_partition.h"
#include "core/pipeline_keys.h"

namespace spotbatch {
namespace {

using json = nlohmann::ordered_json;
using Actions = std::vector<std::string>;

json Statement(const std::string& sid, const Actions& actions,
               const std::vector<std::string>& resources, const char* effect = "Allow") {
  return json{{"Sid", sid}, {"Effect", effect}, {"Action", actions}, {"Resource", resources}};
}

void AddS3(const Config& c, AwsRole role, const std::string& partition, json& statements) {
  const std::string arn = "arn:" + partition + ":s3:::";
  const auto [in_bucket_view, in_prefix_view] = BucketAndKeyPrefix(c.pipeline.input_prefix);
  const auto [out_bucket_view, out_prefix_view] = BucketAndKeyPrefix(c.pipeline.output_prefix);
  const std::string in_bucket(in_bucket_view), in_prefix(in_prefix_view);
  const std::string out_bucket(out_bucket_view), out_prefix(out_prefix_view);
  const std::string own = arn + c.work_bucket + "/_spotbatch/";
  // Every role reads inputs (the ingest HEADs them, a worker stages them).
  statements.push_back(
      Statement("ReadInputs", {"s3:GetObject"}, {arn + in_bucket + "/" + in_prefix + "*"}));
  if (role == AwsRole::kIngest) return;
  // Outputs are published by a conditional copy from staging and checked by a HEAD; the
  // manager reads them for `get`.
  statements.push_back(Statement(
      role == AwsRole::kWorker ? "PublishOutputs" : "ReadOutputs",
      role == AwsRole::kWorker ? Actions{"s3:GetObject", "s3:PutObject"} : Actions{"s3:GetObject"},
      {arn + out_bucket + "/" + out_prefix + "*"}));
  // Outputs at the top of the work bucket: the grant to publish covers spotbatch's own area
  // too, whose bills are the manager's alone (a Deny wins over any Allow).
  if (role == AwsRole::kWorker && out_bucket == c.work_bucket &&
      std::string_view("_spotbatch/").starts_with(out_prefix)) {
    statements.push_back(
        Statement("NotTheBills", {"s3:PutObject", "s3:DeleteObject"}, {own + "bills/*"}, "Deny"));
  }
  // Staging and checkpoints for a worker (multipart uploads resumed across attempts); the
  // manager's janitor deletes what finished tasks left there, and it keeps the bills.
  const Actions own_actions = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                               "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"};
  statements.push_back(Statement(
      "OwnArea", own_actions,
      role == AwsRole::kWorker
          ? std::vector<std::string>{own + "staging/*", own + "checkpoints/*"}
          : std::vector<std::string>{own + "staging/*", own + "checkpoints/*", own + "bills/*"}));
  std::vector<std::string> buckets = {arn + c.work_bucket};
  if (role == AwsRole::kManager && in_bucket != c.work_bucket) {
    buckets.push_back(arn + in_bucket);  // the safety-net listing of the inputs
  }
  statements.push_back(
      Statement("ListBuckets", {"s3:ListBucket", "s3:ListBucketMultipartUploads"}, buckets));
}

void AddSqs(const Config& c, AwsRole role, const std::string& partition, const PolicyScope& scope,
            json& statements) {
  const std::string arn = "arn:" + partition + ":sqs:" + scope.region + ":" + scope.account + ":";
  // Every process configures the pipeline's queue and its on-demand queue as it starts
  // (CreateQueue and SetQueueAttributes are idempotent), and a priority level is made by
  // whoever first sends at it: NAME-* covers -on-demand, -dlq, -p<N> and -later.
  Actions actions = {"sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes",
                     "sqs:CreateQueue", "sqs:SetQueueAttributes"};
  if (role != AwsRole::kIngest) {
    for (const char* a : {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"})
      actions.push_back(a);
  }
  statements.push_back(
      Statement("TaskQueues", actions, {arn + c.sqs_queue, arn + c.sqs_queue + "-*"}));
  // The levels are found by ListQueues with the name as prefix; IAM grants it on no queue.
  statements.push_back(Statement("FindQueueLevels", {"sqs:ListQueues"}, {"*"}));
}

void AddEvents(const Config& c, const std::string& partition, const PolicyScope& scope,
               json& statements) {
  const std::string arn = "arn:" + partition + ":sqs:" + scope.region + ":" + scope.account + ":";
  statements.push_back(Statement(
      "UploadEvents",
      {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:SendMessage",
       "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:CreateQueue", "sqs:SetQueueAttributes"},
      {arn + c.events_queue, arn + c.events_queue + "-dlq"}));
}

void AddDynamoDb(const Config& c, AwsRole role, const std::string& partition,
                 const PolicyScope& scope, json& statements) {
  const std::string table = "arn:" + partition + ":dynamodb:" + scope.region + ":" + scope.account +
                            ":table/" + c.dynamodb_table;
  // Transactions are authorized item by item, as PutItem, UpdateItem and DeleteItem.
  Actions actions = {"dynamodb:GetItem",      "dynamodb:BatchGetItem", "dynamodb:Query",
                     "dynamodb:PutItem",      "dynamodb:UpdateItem",   "dynamodb:DeleteItem",
                     "dynamodb:DescribeTable"};
  if (role == AwsRole::kManager) actions.push_back("dynamodb:CreateTable");
  statements.push_back(Statement("State", actions, {table, table + "/index/*"}));
}

// EC2 pools: the manager sets its groups' capacity and reads the market; a worker protects
// its own instance and completes its lifecycle action. Auto Scaling's and EC2's describes
// take no resource (IAM grants them on "*" only); the metrics are held to spotbatch's
// namespace.
void AddEc2Pools(const Config& c, AwsRole role, const std::string& partition,
                 const PolicyScope& scope, json& statements) {
  std::vector<std::string> groups;
  for (const PoolConfig& p : c.pools) {
    groups.push_back("arn:" + partition + ":autoscaling:" + scope.region + ":" + scope.account +
                     ":autoScalingGroup:*:autoScalingGroupName/" + p.group);
  }
  if (role == AwsRole::kWorker) {
    statements.push_back(
        Statement("OwnInstance",
                  {"autoscaling:SetInstanceProtection", "autoscaling:CompleteLifecycleAction",
                   "autoscaling:RecordLifecycleActionHeartbeat"},
                  groups));
    statements.push_back(
        Statement("FindOwnGroup", {"autoscaling:DescribeAutoScalingInstances"}, {"*"}));
    return;
  }
  statements.push_back(Statement(
      "GroupCapacity",
      {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup",
       "autoscaling:SetInstanceProtection"},
      groups));
  statements.push_back(Statement("ReadGroups", {"autoscaling:DescribeAutoScalingGroups"}, {"*"}));
  statements.push_back(Statement("Market",
                                 {"ec2:DescribeSpotPriceHistory", "ec2:GetSpotPlacementScores",
                                  "ec2:DescribeAvailabilityZones"},
                                 {"*"}));
  json metrics = Statement("BacklogMetrics", {"cloudwatch:PutMetricData"}, {"*"});
  metrics["Condition"] = {{"StringEquals", {{"cloudwatch:namespace", kSpotbatchMetricNamespace}}}};
  statements.push_back(std::move(metrics));
}

}  // namespace

std::string_view AwsRoleName(AwsRole role) {
  switch (role) {
    case AwsRole::kIngest:
      return "ingest";
    case AwsRole::kWorker:
      return "worker";
    case AwsRole::kManager:
      return "manager";
  }
  return "";
}

Result<AwsRole> ParseAwsRole(std::string_view name) {
  for (AwsRole role : AllAwsRoles()) {
    if (AwsRoleName(role) == name) return role;
  }
  return InvalidArgument("unknown role '" + std::string(name.substr(0, 40)) +
                         "': ingest, worker or manager");
}

Status ValidateAwsAccount(std::string_view account) {
  if (account == "*") return Status::Ok();
  if (account.size() == 12 && account.find_first_not_of("0123456789") == std::string_view::npos) {
    return Status::Ok();
  }
  return InvalidArgument("an AWS account is 12 digits (or * for any), not '" +
                         std::string(account.substr(0, 40)) + "'");
}

nlohmann::ordered_json AwsPolicyFor(const Config& config, AwsRole role, const PolicyScope& scope) {
  // The partition of the region's ARNs ("*": the commercial one).
  const std::string partition(AwsPartitionOf(scope.region).name);
  json statements = json::array();
  if (config.store_on_s3) AddS3(config, role, partition, statements);
  if (!config.sqs_queue.empty()) AddSqs(config, role, partition, scope, statements);
  if (role == AwsRole::kManager && !config.events_queue.empty()) {
    AddEvents(config, partition, scope, statements);
  }
  if (!config.dynamodb_table.empty()) AddDynamoDb(config, role, partition, scope, statements);
  if (config.ec2_pools() && role != AwsRole::kIngest) {
    AddEc2Pools(config, role, partition, scope, statements);
  }
  return json{{"Version", "2012-10-17"}, {"Statement", statements}};
}

}  // namespace spotbatch
