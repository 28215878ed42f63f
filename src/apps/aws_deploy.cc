#include "apps/aws_deploy.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "adapters/aws/asg_self.h"
#include "adapters/aws/asg_xml.h"
#include "adapters/aws/deploy_xml.h"
#include "adapters/aws/dynamodb_state_store.h"
#include "adapters/aws/ec2_market_reads.h"
#include "adapters/aws/env_credentials.h"
#include "adapters/aws/s3_bucket_config.h"
#include "adapters/aws/sqs_task_queue.h"
#include "apps/aws_deployment.h"
#include "apps/aws_services.h"
#include "apps/wiring.h"
#include "common/control_bytes.h"
#include "core/pipeline_keys.h"

namespace spotbatch {
namespace {

using json = nlohmann::json;

constexpr char kAbortUploadsRule[] = "spotbatch-abort-uploads";
constexpr int kAbortUploadsDays = 7;
constexpr char kRolePolicyName[] = "spotbatch-worker";

std::string BucketOf(const std::string& prefix) {
  return std::string(BucketAndKeyPrefix(prefix).first);
}

bool IsNotFound(const Status& s) { return s.code() == StatusCode::kNotFound; }

// Carries one deploy or destroy out against the clients, recording as it goes.
class Deployer {
 public:
  Deployer(const Config& config, AwsDeployClients& clients)
      : c_(config), k_(clients), record_key_(config.work_bucket + "/" + kDeploymentRecord) {}

  DeployReport& report() { return report_; }

  // --- The record of what deploy made ------------------------------------------------------
  Status LoadRecord() {
    auto body = k_.s3->Get(record_key_);
    if (!body.ok()) return IsNotFound(body.status()) ? Status::Ok() : body.status();
    const json doc = json::parse(*body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("made") || !doc["made"].is_array()) {
      return DataLoss(record_key_ + " is not a deployment record");
    }
    for (const json& m : doc["made"]) {
      if (m.is_string()) made_.push_back(m.get<std::string>());
    }
    return Status::Ok();
  }
  bool Made(const std::string& kind, const std::string& name) const {
    return std::find(made_.begin(), made_.end(), kind + ":" + name) != made_.end();
  }
  // Written before the thing is made: a deploy cut off right after still knows it is ours.
  Status Intend(const std::string& kind, const std::string& name) {
    if (Made(kind, name)) return Status::Ok();
    made_.push_back(kind + ":" + name);
    return SaveRecord();
  }
  Status Forget(const std::string& kind, const std::string& name) {
    made_.erase(std::remove(made_.begin(), made_.end(), kind + ":" + name), made_.end());
    return Status::Ok();
  }
  Status SaveRecord() { return k_.s3->Put(record_key_, json{{"made", made_}}.dump(1)).status(); }
  bool RecordEmpty() const { return made_.empty(); }
  Status DeleteRecord() { return k_.s3->Delete(record_key_); }

  void Step(std::string kind, std::string name, std::string done, std::string why = "") {
    report_.steps.push_back({std::move(kind), std::move(name), std::move(done), std::move(why)});
  }

  // --- Buckets ------------------------------------------------------------------------------
  std::vector<std::string> Buckets() const {
    std::vector<std::string> out = {c_.work_bucket};  // first: it holds the record
    for (const std::string& b :
         {BucketOf(c_.pipeline.input_prefix), BucketOf(c_.pipeline.output_prefix)}) {
      if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    }
    return out;
  }

  Status DeployBuckets() {
    for (const std::string& bucket : Buckets()) {
      SB_ASSIGN_OR_RETURN(const bool exists, k_.s3->BucketExists(bucket));
      if (exists) {
        Step("bucket", bucket, "unchanged");
        continue;
      }
      // The work bucket holds the record, so it is written down once the bucket is there.
      if (bucket != c_.work_bucket) SB_RETURN_IF_ERROR(Intend("bucket", bucket));
      SB_RETURN_IF_ERROR(k_.s3->CreateBucket(bucket));
      if (bucket == c_.work_bucket) {
        SB_RETURN_IF_ERROR(LoadRecord());
        SB_RETURN_IF_ERROR(Intend("bucket", bucket));
      }
      Step("bucket", bucket, "created");
    }
    return Status::Ok();
  }

  Status DeployLifecycleRule() {
    const std::string& bucket = c_.work_bucket;
    SB_ASSIGN_OR_RETURN(const std::string existing, BucketConfig(bucket, "lifecycle"));
    SB_ASSIGN_OR_RETURN(
        BucketConfigEdit edit,
        WithLifecycleRule(existing, {kAbortUploadsRule, "_spotbatch/", kAbortUploadsDays}));
    if (!edit.changed) {
      Step("lifecycle", bucket + " " + kAbortUploadsRule, "unchanged");
      return Status::Ok();
    }
    SB_RETURN_IF_ERROR(Intend("lifecycle", bucket));
    SB_RETURN_IF_ERROR(k_.s3->PutBucketConfig(bucket, "lifecycle", edit.document));
    Step("lifecycle", bucket + " " + kAbortUploadsRule, existing.empty() ? "created" : "updated");
    return Status::Ok();
  }

  // A bucket's document, "" where it has none.
  Result<std::string> BucketConfig(const std::string& bucket, const char* what) {
    auto doc = k_.s3->GetBucketConfig(bucket, what);
    if (!doc.ok() && IsNotFound(doc.status())) return std::string();
    return doc;
  }

  // --- Queues and the table -----------------------------------------------------------------
  Result<std::string> QueueUrl(const std::string& name) {
    SB_ASSIGN_OR_RETURN(json r, k_.sqs->Call("GetQueueUrl", {{"QueueName", name}}));
    if (!r.contains("QueueUrl") || !r["QueueUrl"].is_string()) {
      return Internal("SQS GetQueueUrl: no QueueUrl for " + name);
    }
    return r["QueueUrl"].get<std::string>();
  }
  Result<bool> QueueExists(const std::string& name) {
    auto url = QueueUrl(name);
    if (url.ok()) return true;
    if (IsNotFound(url.status())) return false;
    return url.status();
  }
  Result<bool> TableExists() {
    auto r = k_.dynamodb->Call("DescribeTable", {{"TableName", c_.dynamodb_table}});
    if (r.ok()) return true;
    if (IsNotFound(r.status())) return false;
    return r.status();
  }

  Status DeployQueuesAndTable(const std::function<Status()>& open_services) {
    SB_ASSIGN_OR_RETURN(const bool queue, QueueExists(c_.sqs_queue));
    bool events = true;
    if (!c_.events_queue.empty()) {
      SB_ASSIGN_OR_RETURN(events, QueueExists(c_.events_queue));
    }
    SB_ASSIGN_OR_RETURN(const bool table, TableExists());
    if (!queue) SB_RETURN_IF_ERROR(Intend("queue", c_.sqs_queue));
    if (!events) SB_RETURN_IF_ERROR(Intend("queue", c_.events_queue));
    if (!table) SB_RETURN_IF_ERROR(Intend("table", c_.dynamodb_table));
    // Configuring is idempotent: it makes what is missing (with the dead-letter queues and
    // redrive policies) and leaves the rest as it is.
    SB_RETURN_IF_ERROR(open_services());
    Step("queue", c_.sqs_queue, queue ? "unchanged" : "created");
    if (!c_.events_queue.empty()) Step("queue", c_.events_queue, events ? "unchanged" : "created");
    Step("table", c_.dynamodb_table, table ? "unchanged" : "created");
    return Status::Ok();
  }

  // The events queue lets the input bucket send, and the bucket tells it of each upload.
  Status DeployNotification() {
    if (c_.events_queue.empty()) return Status::Ok();
    const std::string bucket = BucketOf(c_.pipeline.input_prefix);
    SB_ASSIGN_OR_RETURN(const std::string url, QueueUrl(c_.events_queue));
    SB_ASSIGN_OR_RETURN(
        json attrs,
        k_.sqs->Call("GetQueueAttributes",
                     {{"QueueUrl", url}, {"AttributeNames", json::array({"QueueArn", "Policy"})}}));
    const json& a = attrs.value("Attributes", json::object());
    if (!a.contains("QueueArn") || !a["QueueArn"].is_string()) {
      return Internal("SQS GetQueueAttributes: no QueueArn for " + c_.events_queue);
    }
    const std::string arn = a["QueueArn"];
    // "arn:PARTITION:sqs:...": the bucket's ARN is of the same partition.
    const size_t colon = arn.find(':', 4);
    if (!arn.starts_with("arn:") || colon == std::string::npos) {
      return Internal("SQS GetQueueAttributes: QueueArn " + Quotable(arn, 100) + " is no ARN");
    }
    const std::string partition = arn.substr(4, colon - 4);
    const std::string sid = "spotbatch-s3-" + bucket;
    const json statement = {
        {"Sid", sid},
        {"Effect", "Allow"},
        {"Principal", {{"Service", "s3.amazonaws.com"}}},
        {"Action", "sqs:SendMessage"},
        {"Resource", arn},
        {"Condition", {{"ArnLike", {{"aws:SourceArn", "arn:" + partition + ":s3:::" + bucket}}}}}};
    json policy = json::parse(a.value("Policy", std::string("{}")), nullptr, false);
    if (policy.is_discarded() || !policy.is_object()) policy = json::object();
    if (!policy.contains("Statement") || !policy["Statement"].is_array()) {
      policy["Version"] = "2012-10-17";
      policy["Statement"] = json::array();
    }
    json& statements = policy["Statement"];
    auto ours = std::find_if(statements.begin(), statements.end(),
                             [&](const json& st) { return st.value("Sid", "") == sid; });
    if (ours == statements.end() || *ours != statement) {
      if (ours != statements.end()) statements.erase(ours);
      statements.push_back(statement);
      SB_RETURN_IF_ERROR(
          k_.sqs
              ->Call("SetQueueAttributes",
                     {{"QueueUrl", url}, {"Attributes", {{"Policy", policy.dump()}}}})
              .status());
      Step("queue-policy", c_.events_queue, "updated");
    } else {
      Step("queue-policy", c_.events_queue, "unchanged");
    }
    SB_ASSIGN_OR_RETURN(const std::string existing, BucketConfig(bucket, "notification"));
    SB_ASSIGN_OR_RETURN(
        BucketConfigEdit edit,
        WithQueueNotification(existing,
                              {NotificationId(), arn,
                               std::string(BucketAndKeyPrefix(c_.pipeline.input_prefix).second)}));
    if (!edit.changed) {
      Step("notification", bucket, "unchanged");
      return Status::Ok();
    }
    SB_RETURN_IF_ERROR(Intend("notification", bucket));
    SB_RETURN_IF_ERROR(k_.s3->PutBucketConfig(bucket, "notification", edit.document));
    Step("notification", bucket, "created");
    return Status::Ok();
  }
  std::string NotificationId() const { return "spotbatch-" + c_.events_queue; }

  // --- EC2 pools ----------------------------------------------------------------------------
  Status DeployRole(const Ec2Deployment& d) {
    auto role = k_.iam->Call("GetRole", {{"RoleName", d.role}});
    if (!role.ok() && !IsNotFound(role.status())) return role.status();
    if (!role.ok()) {
      SB_RETURN_IF_ERROR(Intend("role", d.role));
      auto made =
          k_.iam->Call("CreateRole", {{"RoleName", d.role},
                                      {"AssumeRolePolicyDocument", d.trust_policy},
                                      {"Description", "spotbatch workers (spotbatch aws deploy)"}});
      if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) return made.status();
    }
    auto policy =
        k_.iam->Call("GetRolePolicy", {{"RoleName", d.role}, {"PolicyName", kRolePolicyName}});
    if (!policy.ok() && !IsNotFound(policy.status())) return policy.status();
    bool same = false;
    if (policy.ok()) {
      SB_ASSIGN_OR_RETURN(const std::string doc, ParseRolePolicyDocument(*policy));
      const json have = json::parse(doc, nullptr, false);
      same = !have.is_discarded() && have == json::parse(d.worker_policy);
    }
    if (!same) {
      SB_RETURN_IF_ERROR(k_.iam
                             ->Call("PutRolePolicy", {{"RoleName", d.role},
                                                      {"PolicyName", kRolePolicyName},
                                                      {"PolicyDocument", d.worker_policy}})
                             .status());
    }
    Step("role", d.role, !role.ok() ? "created" : same ? "unchanged" : "updated");

    auto profile = k_.iam->Call("GetInstanceProfile", {{"InstanceProfileName", d.role}});
    if (!profile.ok() && !IsNotFound(profile.status())) return profile.status();
    std::vector<std::string> roles;
    if (profile.ok()) {
      SB_ASSIGN_OR_RETURN(roles, ParseInstanceProfileRoles(*profile));
    } else {
      SB_RETURN_IF_ERROR(Intend("instance-profile", d.role));
      auto made = k_.iam->Call("CreateInstanceProfile", {{"InstanceProfileName", d.role}});
      if (!made.ok() && made.status().code() != StatusCode::kAlreadyExists) return made.status();
    }
    const bool has_role = std::find(roles.begin(), roles.end(), d.role) != roles.end();
    if (!has_role) {
      SB_RETURN_IF_ERROR(k_.iam
                             ->Call("AddRoleToInstanceProfile",
                                    {{"InstanceProfileName", d.role}, {"RoleName", d.role}})
                             .status());
    }
    Step("instance-profile", d.role,
         !profile.ok() ? "created"
         : has_role    ? "unchanged"
                       : "updated");
    return Status::Ok();
  }

  Result<std::optional<LaunchTemplateInfo>> FindTemplate(const std::string& name) {
    auto body = k_.ec2->Call("DescribeLaunchTemplates", {{"LaunchTemplateName.1", name}});
    if (!body.ok()) {
      if (IsNotFound(body.status())) return std::optional<LaunchTemplateInfo>();
      return body.status();
    }
    SB_ASSIGN_OR_RETURN(std::vector<LaunchTemplateInfo> found, ParseDescribeLaunchTemplates(*body));
    for (LaunchTemplateInfo& t : found) {
      if (t.name == name) return std::optional<LaunchTemplateInfo>(std::move(t));
    }
    return std::optional<LaunchTemplateInfo>();
  }

  Status DeployTemplate(const Ec2Deployment& d) {
    SB_ASSIGN_OR_RETURN(std::optional<LaunchTemplateInfo> found, FindTemplate(d.launch_template));
    if (!found) {
      SB_RETURN_IF_ERROR(Intend("launch-template", d.launch_template));
      QueryParams p = d.template_data;
      p.insert(p.end(), {{"LaunchTemplateName", d.launch_template},
                         {"TagSpecification.1.ResourceType", "launch-template"},
                         {"TagSpecification.1.Tag.1.Key", kSpecTag},
                         {"TagSpecification.1.Tag.1.Value", d.template_fingerprint}});
      SB_RETURN_IF_ERROR(k_.ec2->Call("CreateLaunchTemplate", p).status());
      Step("launch-template", d.launch_template, "created");
      return Status::Ok();
    }
    auto tag = found->tags.find(kSpecTag);
    if (tag != found->tags.end() && tag->second == d.template_fingerprint) {
      Step("launch-template", d.launch_template, "unchanged");
      return Status::Ok();
    }
    // A new version: the groups launch $Latest, so new instances boot it.
    QueryParams p = d.template_data;
    p.emplace_back("LaunchTemplateName", d.launch_template);
    SB_RETURN_IF_ERROR(k_.ec2->Call("CreateLaunchTemplateVersion", p).status());
    SB_RETURN_IF_ERROR(k_.ec2
                           ->Call("CreateTags", {{"ResourceId.1", found->id},
                                                 {"Tag.1.Key", kSpecTag},
                                                 {"Tag.1.Value", d.template_fingerprint}})
                           .status());
    Step("launch-template", d.launch_template, "updated");
    return Status::Ok();
  }

  Result<std::map<std::string, AsgGroup>> Groups(const std::vector<std::string>& names) {
    std::map<std::string, AsgGroup> out;
    for (size_t i = 0; i < names.size(); i += 50) {
      QueryParams p;
      for (size_t j = i; j < std::min(names.size(), i + 50); ++j) {
        p.emplace_back("AutoScalingGroupNames.member." + std::to_string(j - i + 1), names[j]);
      }
      SB_ASSIGN_OR_RETURN(const std::string body,
                          k_.autoscaling->Call("DescribeAutoScalingGroups", p));
      SB_ASSIGN_OR_RETURN(AsgPage page, ParseDescribeAutoScalingGroups(body));
      for (AsgGroup& g : page.groups) out[g.name] = std::move(g);
    }
    return out;
  }

  Status DeployGroups(const Ec2Deployment& d) {
    std::vector<std::string> names;
    for (const Ec2GroupSpec& g : d.groups) names.push_back(g.name);
    SB_ASSIGN_OR_RETURN(auto existing, Groups(names));
    for (const Ec2GroupSpec& g : d.groups) {
      auto found = existing.find(g.name);
      if (found == existing.end()) {
        SB_RETURN_IF_ERROR(Intend("group", g.name));
        SB_RETURN_IF_ERROR(k_.autoscaling->Call("CreateAutoScalingGroup", g.create).status());
        Step("group", g.name, "created");
      } else if (auto tag = found->second.tags.find(kSpecTag);
                 tag != found->second.tags.end() && tag->second == g.fingerprint) {
        Step("group", g.name, "unchanged");
      } else {
        SB_RETURN_IF_ERROR(k_.autoscaling->Call("UpdateAutoScalingGroup", g.update).status());
        SB_RETURN_IF_ERROR(
            k_.autoscaling
                ->Call("CreateOrUpdateTags", {{"Tags.member.1.ResourceId", g.name},
                                              {"Tags.member.1.ResourceType", "auto-scaling-group"},
                                              {"Tags.member.1.Key", kSpecTag},
                                              {"Tags.member.1.Value", g.fingerprint},
                                              {"Tags.member.1.PropagateAtLaunch", "false"}})
                .status());
        Step("group", g.name, "updated");
      }
      SB_ASSIGN_OR_RETURN(
          const std::string hooks,
          k_.autoscaling->Call("DescribeLifecycleHooks",
                               {{"AutoScalingGroupName", g.name},
                                {"LifecycleHookNames.member.1", std::string(kDrainHook)}}));
      SB_ASSIGN_OR_RETURN(std::vector<std::string> hook_names, ParseLifecycleHookNames(hooks));
      if (std::find(hook_names.begin(), hook_names.end(), kDrainHook) != hook_names.end()) {
        Step("hook", g.name + " " + std::string(kDrainHook), "unchanged");
        continue;
      }
      SB_RETURN_IF_ERROR(
          k_.autoscaling
              ->Call("PutLifecycleHook",
                     {{"AutoScalingGroupName", g.name},
                      {"LifecycleHookName", std::string(kDrainHook)},
                      {"LifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING"},
                      {"HeartbeatTimeout", std::to_string(kDrainHookTimeoutSeconds)},
                      {"DefaultResult", "CONTINUE"}})
              .status());
      Step("hook", g.name + " " + std::string(kDrainHook), "created");
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> RegionZones() {
    bool needed = false;
    for (const PoolConfig& p : c_.pools) needed = needed || p.zones.empty();
    if (!needed || !c_.aws.worker.subnets.empty()) return std::vector<std::string>{};
    SB_ASSIGN_OR_RETURN(std::vector<AvailabilityZone> zones, DescribeAvailabilityZones(*k_.ec2));
    std::vector<std::string> names;
    for (const AvailabilityZone& z : zones) names.push_back(z.name);
    return names;
  }

  // --- Destroy ------------------------------------------------------------------------------
  Status DestroyGroups() {
    std::vector<std::string> names;
    for (const PoolConfig& p : c_.pools) {
      if (p.ec2 && Made("group", p.group)) names.push_back(p.group);
    }
    if (names.empty()) return Status::Ok();
    SB_ASSIGN_OR_RETURN(auto existing, Groups(names));
    for (const std::string& name : names) {
      if (existing.count(name)) {
        // ForceDelete: its instances go with it (the workers hand their tasks back on the
        // way out, as on any termination).
        SB_RETURN_IF_ERROR(k_.autoscaling
                               ->Call("DeleteAutoScalingGroup",
                                      {{"AutoScalingGroupName", name}, {"ForceDelete", "true"}})
                               .status());
      }
      Step("group", name, existing.count(name) ? "deleted" : "absent");
      SB_RETURN_IF_ERROR(Forget("group", name));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    return Status::Ok();
  }

  Status DestroyTemplate() {
    const std::string name = LaunchTemplateName(c_);
    if (!Made("launch-template", name)) return Status::Ok();
    auto deleted = k_.ec2->Call("DeleteLaunchTemplate", {{"LaunchTemplateName", name}});
    if (!deleted.ok() && !IsNotFound(deleted.status())) return deleted.status();
    Step("launch-template", name, deleted.ok() ? "deleted" : "absent");
    SB_RETURN_IF_ERROR(Forget("launch-template", name));
    return SaveRecord();
  }

  // Each call may find its part gone already (a destroy cut off halfway and run again).
  Status IamGone(std::string_view action, const QueryParams& p) {
    auto r = k_.iam->Call(action, p);
    return r.ok() || IsNotFound(r.status()) ? Status::Ok() : r.status();
  }

  Status DestroyRole() {
    const std::string& role = c_.aws.worker.instance_profile;
    if (Made("instance-profile", role)) {
      SB_RETURN_IF_ERROR(IamGone("RemoveRoleFromInstanceProfile",
                                 {{"InstanceProfileName", role}, {"RoleName", role}}));
      SB_RETURN_IF_ERROR(IamGone("DeleteInstanceProfile", {{"InstanceProfileName", role}}));
      Step("instance-profile", role, "deleted");
      SB_RETURN_IF_ERROR(Forget("instance-profile", role));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    if (Made("role", role)) {
      SB_RETURN_IF_ERROR(
          IamGone("DeleteRolePolicy", {{"RoleName", role}, {"PolicyName", kRolePolicyName}}));
      SB_RETURN_IF_ERROR(IamGone("DeleteRole", {{"RoleName", role}}));
      Step("role", role, "deleted");
      SB_RETURN_IF_ERROR(Forget("role", role));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    return Status::Ok();
  }

  Status DestroyBucketConfigs() {
    const std::string input = BucketOf(c_.pipeline.input_prefix);
    if (Made("notification", input)) {
      auto existing = BucketConfig(input, "notification");
      if (existing.ok()) {
        SB_ASSIGN_OR_RETURN(BucketConfigEdit edit,
                            WithoutQueueNotification(*existing, NotificationId()));
        if (edit.changed) {
          SB_RETURN_IF_ERROR(k_.s3->PutBucketConfig(input, "notification", edit.document));
        }
      } else if (!IsNotFound(existing.status())) {
        return existing.status();
      }
      Step("notification", input, "deleted");
      SB_RETURN_IF_ERROR(Forget("notification", input));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    const std::string& work = c_.work_bucket;
    if (Made("lifecycle", work)) {
      auto existing = BucketConfig(work, "lifecycle");
      if (existing.ok()) {
        SB_ASSIGN_OR_RETURN(BucketConfigEdit edit,
                            WithoutLifecycleRule(*existing, kAbortUploadsRule));
        if (edit.changed && edit.empty) {
          SB_RETURN_IF_ERROR(k_.s3->DeleteBucketConfig(work, "lifecycle"));
        } else if (edit.changed) {
          SB_RETURN_IF_ERROR(k_.s3->PutBucketConfig(work, "lifecycle", edit.document));
        }
      } else if (!IsNotFound(existing.status())) {
        return existing.status();
      }
      Step("lifecycle", work + " " + kAbortUploadsRule, "deleted");
      SB_RETURN_IF_ERROR(Forget("lifecycle", work));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    return Status::Ok();
  }

  // Every SQS queue of `name`: itself and "<name>-..." (its on-demand queue, dead-letter
  // queues and priority levels).
  Status DeleteQueuesOf(const std::string& name) {
    std::vector<std::string> urls;
    std::string token;
    for (int page = 0; page < 100; ++page) {
      json in = {{"QueueNamePrefix", name}, {"MaxResults", 1000}};
      if (!token.empty()) in["NextToken"] = token;
      SB_ASSIGN_OR_RETURN(json r, k_.sqs->Call("ListQueues", in));
      for (const json& u : r.value("QueueUrls", json::array())) {
        if (!u.is_string()) continue;
        const std::string url = u;
        const std::string queue = url.substr(url.rfind('/') + 1);
        if (queue == name || queue.starts_with(name + "-")) urls.push_back(url);
      }
      token = r.value("NextToken", "");
      if (token.empty()) break;
    }
    for (const std::string& url : urls) {
      auto deleted = k_.sqs->Call("DeleteQueue", {{"QueueUrl", url}});
      if (!deleted.ok() && !IsNotFound(deleted.status())) return deleted.status();
    }
    return Status::Ok();
  }

  Status DestroyQueuesAndTable() {
    for (const std::string& q : {c_.sqs_queue, c_.events_queue}) {
      if (q.empty() || !Made("queue", q)) continue;
      SB_RETURN_IF_ERROR(DeleteQueuesOf(q));
      Step("queue", q, "deleted");
      SB_RETURN_IF_ERROR(Forget("queue", q));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    if (Made("table", c_.dynamodb_table)) {
      auto deleted = k_.dynamodb->Call("DeleteTable", {{"TableName", c_.dynamodb_table}});
      if (!deleted.ok() && !IsNotFound(deleted.status())) return deleted.status();
      Step("table", c_.dynamodb_table, "deleted");
      SB_RETURN_IF_ERROR(Forget("table", c_.dynamodb_table));
      SB_RETURN_IF_ERROR(SaveRecord());
    }
    return Status::Ok();
  }

  Status DestroyBuckets(bool delete_data) {
    std::vector<std::string> buckets = Buckets();
    std::reverse(buckets.begin(), buckets.end());  // the work bucket, holding the record, last
    for (const std::string& bucket : buckets) {
      if (!Made("bucket", bucket)) continue;
      SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, k_.s3->List(bucket + "/"));
      const bool work = bucket == c_.work_bucket;
      // The record is the work bucket's one object of its own: it goes with the bucket.
      size_t others = 0;
      for (const ObjectInfo& o : objects) others += !(work && o.key == record_key_);
      if (others > 0 && !delete_data) {
        Step("bucket", bucket, "kept",
             std::to_string(others) + " objects in it (destroy --delete-data removes them)");
        continue;
      }
      if (work) {
        SB_RETURN_IF_ERROR(Forget("bucket", bucket));
        if (!RecordEmpty()) {  // something kept: the record stays (naming this bucket too)
          made_.push_back("bucket:" + bucket);
          SB_RETURN_IF_ERROR(SaveRecord());
          Step("bucket", bucket, "kept", "it holds the record of what is kept");
          continue;
        }
      }
      for (const ObjectInfo& o : objects) SB_RETURN_IF_ERROR(k_.s3->Delete(o.key));
      // Unfinished uploads are no data anyone kept (deploy's lifecycle rule aborts them after
      // a day), but their parts are billed while they last.
      SB_ASSIGN_OR_RETURN(const int aborted, k_.s3->AbortUploadsIn(bucket));
      SB_RETURN_IF_ERROR(k_.s3->DeleteBucket(bucket));
      Step("bucket", bucket, "deleted",
           aborted == 0   ? ""
           : aborted == 1 ? "1 unfinished upload aborted"
                          : std::to_string(aborted) + " unfinished uploads aborted");
      if (!work) {
        SB_RETURN_IF_ERROR(Forget("bucket", bucket));
        SB_RETURN_IF_ERROR(SaveRecord());
      }
    }
    return Status::Ok();
  }

 private:
  const Config& c_;
  AwsDeployClients& k_;
  const std::string record_key_;
  std::vector<std::string> made_;
  DeployReport report_;
};

Status CheckOnAws(const Config& config) {
  if (!config.store_on_s3 || config.sqs_queue.empty() || config.dynamodb_table.empty()) {
    return FailedPrecondition(
        "aws deploy makes a pipeline on AWS: the config needs [store] url = \"s3://\", [queue] "
        "url = \"sqs://NAME\" and [state] url = \"dynamodb://TABLE\"");
  }
  return Status::Ok();
}

}  // namespace

int DeployReport::changed() const {
  return static_cast<int>(std::count_if(steps.begin(), steps.end(), [](const DeployStep& s) {
    return s.done == "created" || s.done == "updated" || s.done == "deleted";
  }));
}

nlohmann::json DeployReport::ToJson() const {
  json out = json::array();
  for (const DeployStep& s : steps) {
    json step = {{"kind", s.kind}, {"name", s.name}, {"done", s.done}};
    if (!s.why.empty()) step["why"] = s.why;
    out.push_back(std::move(step));
  }
  return {{"steps", out}, {"changed", changed()}};
}

Result<DeployReport> DeployOnAws(const Config& config, std::string_view config_text,
                                 AwsDeployClients& clients,
                                 const std::function<Status()>& open_services) {
  SB_RETURN_IF_ERROR(CheckOnAws(config));
  Deployer d(config, clients);
  std::optional<Ec2Deployment> ec2;
  if (config.ec2_pools()) {
    SB_ASSIGN_OR_RETURN(std::vector<std::string> zones, d.RegionZones());
    // Checked before anything is made: a config that cannot launch makes nothing.
    SB_ASSIGN_OR_RETURN(ec2, Ec2DeploymentFor(config, config_text, zones));
  }
  SB_ASSIGN_OR_RETURN(const bool work_exists, clients.s3->BucketExists(config.work_bucket));
  if (work_exists) SB_RETURN_IF_ERROR(d.LoadRecord());
  SB_RETURN_IF_ERROR(d.DeployBuckets());
  SB_RETURN_IF_ERROR(d.DeployLifecycleRule());
  SB_RETURN_IF_ERROR(d.DeployQueuesAndTable(open_services));
  SB_RETURN_IF_ERROR(d.DeployNotification());
  if (ec2) {
    SB_RETURN_IF_ERROR(d.DeployRole(*ec2));
    SB_RETURN_IF_ERROR(d.DeployTemplate(*ec2));
    SB_RETURN_IF_ERROR(d.DeployGroups(*ec2));
  }
  return std::move(d.report());
}

Result<DeployReport> DestroyOnAws(const Config& config, AwsDeployClients& clients,
                                  bool delete_data) {
  SB_RETURN_IF_ERROR(CheckOnAws(config));
  Deployer d(config, clients);
  SB_ASSIGN_OR_RETURN(const bool work_exists, clients.s3->BucketExists(config.work_bucket));
  if (!work_exists) return std::move(d.report());  // no record: nothing of ours
  SB_RETURN_IF_ERROR(d.LoadRecord());
  if (config.ec2_pools()) {
    SB_RETURN_IF_ERROR(d.DestroyGroups());
    SB_RETURN_IF_ERROR(d.DestroyTemplate());
    SB_RETURN_IF_ERROR(d.DestroyRole());
  }
  SB_RETURN_IF_ERROR(d.DestroyBucketConfigs());
  SB_RETURN_IF_ERROR(d.DestroyQueuesAndTable());
  SB_RETURN_IF_ERROR(d.DestroyBuckets(delete_data));
  return std::move(d.report());
}

namespace {

struct OpenedClients {
  std::unique_ptr<CredentialsProvider> credentials;
  std::unique_ptr<S3ObjectStore> s3;
  std::unique_ptr<AwsJsonClient> sqs, dynamodb;
  std::unique_ptr<AwsQueryClient> iam, ec2, autoscaling;
  AwsDeployClients clients;
};

Result<std::unique_ptr<OpenedClients>> OpenClients(const Config& config) {
  const EnvLookup env = ProcessEnvironment();
  SB_ASSIGN_OR_RETURN(const std::string region, AwsRegionFor(config, env));
  auto o = std::make_unique<OpenedClients>();
  SB_ASSIGN_OR_RETURN(o->credentials, AwsCredentialsFor(config, env, SystemClock(), ""));
  S3Options s3;
  s3.region = region;
  s3.endpoint = AwsEndpointFor(config, "s3", region);
  s3.addressing = config.aws.s3_path_style ? S3Addressing::kPathStyle : S3Addressing::kVirtualHost;
  s3.work_bucket = config.work_bucket;
  SB_ASSIGN_OR_RETURN(o->s3, S3ObjectStore::New(s3, *o->credentials, SystemClock()));
  SB_ASSIGN_OR_RETURN(
      o->sqs, AwsJsonClient::New(SqsServiceOptions(AwsEndpointFor(config, "sqs", region), region),
                                 *o->credentials, SystemClock()));
  SB_ASSIGN_OR_RETURN(
      o->dynamodb,
      AwsJsonClient::New(DynamoDbServiceOptions(AwsEndpointFor(config, "dynamodb", region), region),
                         *o->credentials, SystemClock()));
  auto query = [&](const char* service, QueryApi api) {
    return AwsQueryClientFor(config, service, api, region, *o->credentials, SystemClock());
  };
  SB_ASSIGN_OR_RETURN(o->iam, query("iam", kIamApi));
  SB_ASSIGN_OR_RETURN(o->ec2, query("ec2", kEc2Api));
  SB_ASSIGN_OR_RETURN(o->autoscaling, query("autoscaling", kAutoScalingApi));
  o->clients = {o->s3.get(),  o->sqs.get(), o->dynamodb.get(),
                o->iam.get(), o->ec2.get(), o->autoscaling.get()};
  return o;
}

int Report(const char* command, const Result<DeployReport>& report, bool json) {
  if (!report.ok()) {
    std::fprintf(stderr, "spotbatch aws %s: %s (run it again to go on)\n", command,
                 report.status().ToString().c_str());
    return 1;
  }
  if (json) {
    std::printf("%s\n", report->ToJson().dump(2).c_str());
    return 0;
  }
  std::printf("| kind | name | done |\n|---|---|---|\n");
  for (const DeployStep& s : report->steps) {
    std::printf("| %s | %s | %s%s%s |\n", s.kind.c_str(), s.name.c_str(), s.done.c_str(),
                s.why.empty() ? "" : ": ", s.why.c_str());
  }
  std::printf("\n%d changed\n", report->changed());
  return 0;
}

}  // namespace

int AwsDeployCommand(const Config& config, bool json) {
  std::ifstream in(config.file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto clients = OpenClients(config);
  if (!clients.ok()) return Report("deploy", clients.status(), json);
  auto open_services = [&config]() {
    return OpenServices(config, {}, EventsQueue::kOpen).status();
  };
  return Report("deploy", DeployOnAws(config, text.str(), (*clients)->clients, open_services),
                json);
}

int AwsDestroyCommand(const Config& config, bool json, bool delete_data) {
  auto clients = OpenClients(config);
  if (!clients.ok()) return Report("destroy", clients.status(), json);
  return Report("destroy", DestroyOnAws(config, (*clients)->clients, delete_data), json);
}

}  // namespace spotbatch
