// [store] url, [queue], [state] url, [ingest] and [aws]: which adapter backs each port.
#include <string>

#include "apps/config_parser.h"
#include "core/aws_names.h"
#include "core/pipeline_keys.h"

namespace spotbatch::config_internal {
namespace {

// The AWS services an endpoint may be given for: this part's (s3, sqs, dynamodb) and the
// fleet's (issue 12's EC2 adapters), so that one [aws.endpoints] serves both.
const std::set<std::string> kEndpointServices = {"s3",          "sqs", "dynamodb",   "ec2",
                                                 "autoscaling", "iam", "cloudwatch", "sts"};

}  // namespace

// The on-demand queue's dead-letter queue is the longest name made from the task queue's
// (core/task_machine.h's OnDemandQueue, then the dead-letter suffix; config_services_test
// checks that they agree).
const char* const kLongestSqsQueueSuffix = "-on-demand-dlq";

namespace {

// "http[s]://host[:port]", nothing after: the adapters add the paths.
bool IsEndpoint(const std::string& url) {
  const size_t host = url.starts_with("http://")    ? 7
                      : url.starts_with("https://") ? 8
                                                    : std::string::npos;
  if (host == std::string::npos || url.size() == host || url.size() > 256) return false;
  for (size_t i = host; i < url.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(url[i]);
    if (c <= ' ' || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '@') return false;
  }
  return true;
}

// The NAME of "<scheme>NAME", or an error naming `key`.
Status NameAfterScheme(const Parser& p, const toml::table* t, const std::string& section,
                       const char* key, std::string_view scheme, std::string_view what,
                       std::string* out) {
  std::string url;
  SB_RETURN_IF_ERROR(p.String(t, section, key, &url));
  if (url.empty()) return Status::Ok();
  const std::string full_key = section + "." + key;
  if (!url.starts_with(scheme) || url.size() == scheme.size()) {
    return p.Error(t->get(key), full_key,
                   "must be \"" + std::string(scheme) + "NAME\" (" + std::string(what) + ")");
  }
  *out = url.substr(scheme.size());
  return Status::Ok();
}

bool AllOf(std::string_view s, std::string_view allowed_punctuation) {
  for (char ch : s) {
    const bool alnum =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && allowed_punctuation.find(ch) == std::string_view::npos) return false;
  }
  return true;
}

// [aws.worker]: what each EC2 instance is launched with. Each value goes into a launch
// template or a shell script on the instance: checked here, byte by byte.
Status ParseAwsWorker(const Parser& p, const toml::table& aws, AwsConfig::Worker* w) {
  const toml::node* node = aws.get("worker");
  if (node == nullptr) return Status::Ok();
  if (!node->is_table()) return p.Error(node, "aws.worker", "must be a table ([aws.worker])");
  const toml::table* t = node->as_table();
  SB_RETURN_IF_ERROR(p.OnlyKnown(
      *t, "aws.worker",
      {"ami", "instance_profile", "subnets", "security_groups", "install", "spotbatch"}));
  SB_RETURN_IF_ERROR(p.String(t, "aws.worker", "ami", &w->ami));
  const bool ami_id = w->ami.starts_with("ami-") && w->ami.size() >= 12 && w->ami.size() <= 21 &&
                      w->ami.find_first_not_of("0123456789abcdef", 4) == std::string::npos;
  const bool ssm = w->ami.starts_with("resolve:ssm:") && w->ami.size() > 12 &&
                   w->ami.size() <= 12 + 1011 && AllOf(w->ami.substr(12), "_.-/:");
  if (t->get("ami") != nullptr && !ami_id && !ssm) {
    return p.Error(t->get("ami"), "aws.worker.ami",
                   "must be \"ami-\" and 8 to 17 hex digits, or \"resolve:ssm:PARAMETER\"");
  }
  SB_RETURN_IF_ERROR(p.String(t, "aws.worker", "instance_profile", &w->instance_profile));
  if (w->instance_profile.empty() || w->instance_profile.size() > 64 ||
      !AllOf(w->instance_profile, "+=,.@_-")) {
    return p.Error(t->get("instance_profile"), "aws.worker.instance_profile",
                   "must be 1 to 64 letters, digits or +=,.@_- (an IAM role and profile name)");
  }
  SB_RETURN_IF_ERROR(p.Names(t, "aws.worker", "subnets", 0, 16, &w->subnets));
  for (size_t i = 0; i < w->subnets.size(); ++i) {
    if (!w->subnets[i].starts_with("subnet-")) {
      return p.Error(t->get("subnets"), "aws.worker.subnets[" + std::to_string(i) + "]",
                     "must be a subnet id (\"subnet-...\")");
    }
  }
  SB_RETURN_IF_ERROR(p.Names(t, "aws.worker", "security_groups", 0, 5, &w->security_groups));
  for (size_t i = 0; i < w->security_groups.size(); ++i) {
    if (!w->security_groups[i].starts_with("sg-")) {
      return p.Error(t->get("security_groups"),
                     "aws.worker.security_groups[" + std::to_string(i) + "]",
                     "must be a security group id (\"sg-...\")");
    }
  }
  if (const toml::node* install = t->get("install"); install != nullptr) {
    const toml::array* lines = install->as_array();
    if (lines == nullptr || lines->size() > 32) {
      return p.Error(install, "aws.worker.install", "must be an array of at most 32 shell lines");
    }
    for (size_t i = 0; i < lines->size(); ++i) {
      const std::string at = "aws.worker.install[" + std::to_string(i) + "]";
      const auto* line = (*lines)[i].as_string();
      bool ok = line != nullptr && !line->get().empty() && line->get().size() <= 1024;
      for (char ch : ok ? line->get() : std::string()) ok = ok && ch >= 0x20 && ch < 0x7f;
      if (!ok) return p.Error(&(*lines)[i], at, "must be 1 to 1024 printable characters");
      w->install.push_back(line->get());
    }
  }
  SB_RETURN_IF_ERROR(p.String(t, "aws.worker", "spotbatch", &w->spotbatch));
  if (!w->spotbatch.starts_with("/") || w->spotbatch.size() > 256 || !AllOf(w->spotbatch, "_./-") ||
      w->spotbatch.find("..") != std::string::npos) {
    return p.Error(t->get("spotbatch"), "aws.worker.spotbatch",
                   "must be an absolute path of letters, digits and _./- (the binary on the "
                   "instance)");
  }
  return Status::Ok();
}

Status ParseAws(const Parser& p, const toml::table& root, Config* c) {
  SB_ASSIGN_OR_RETURN(const toml::table* aws, p.Table(root, "aws"));
  if (aws == nullptr) return Status::Ok();
  SB_RETURN_IF_ERROR(
      p.OnlyKnown(*aws, "aws", {"region", "profile", "s3_addressing", "endpoints", "worker"}));
  AwsConfig& a = c->aws;
  SB_RETURN_IF_ERROR(p.String(aws, "aws", "region", &a.region));
  if (aws->get("region") != nullptr) {
    if (Status s = ValidateAwsRegion(a.region); !s.ok()) {
      return p.Error(aws->get("region"), "aws.region", s.message());
    }
  }
  SB_RETURN_IF_ERROR(p.String(aws, "aws", "profile", &a.profile));
  if (aws->get("profile") != nullptr &&
      (a.profile.empty() || a.profile.size() > 64 ||
       a.profile.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_.-") != std::string::npos)) {
    return p.Error(aws->get("profile"), "aws.profile",
                   "must be 1 to 64 letters, digits, '_', '.' or '-' (a profile of ~/.aws/config)");
  }
  const toml::node* endpoints_node = aws->get("endpoints");
  if (endpoints_node != nullptr && !endpoints_node->is_table()) {
    return p.Error(endpoints_node, "aws.endpoints", "must be a table ([aws.endpoints])");
  }
  const toml::table* endpoints = endpoints_node ? endpoints_node->as_table() : nullptr;
  if (endpoints != nullptr) {
    for (const auto& [name, node] : *endpoints) {
      const std::string service(name.str());
      const std::string key = "aws.endpoints." + service;
      if (!kEndpointServices.count(service)) {
        return p.Error(&node, key,
                       "unknown service (s3, sqs, dynamodb, ec2, autoscaling, iam, cloudwatch, "
                       "sts)");
      }
      std::string url;
      SB_RETURN_IF_ERROR(p.String(endpoints, "aws.endpoints", service.c_str(), &url));
      if (!IsEndpoint(url)) {
        return p.Error(&node, key, "must be \"http[s]://host[:port]\" with nothing after");
      }
      a.endpoints[service] = url;
    }
  }
  std::string addressing = a.endpoints.count("s3") ? "path" : "virtual";
  SB_RETURN_IF_ERROR(p.String(aws, "aws", "s3_addressing", &addressing));
  if (addressing != "path" && addressing != "virtual") {
    return p.Error(aws->get("s3_addressing"), "aws.s3_addressing",
                   "must be \"virtual\" (bucket.host) or \"path\" (host/bucket)");
  }
  a.s3_path_style = addressing == "path";
  return ParseAwsWorker(p, *aws, &a.worker);
}

// On S3 the first segment of each prefix is a real bucket: say so now, not at the first upload.
Status CheckBucketOf(const Parser& p, const toml::table* pipeline, const char* key,
                     const std::string& prefix) {
  Status s = ValidateS3BucketName(BucketAndKeyPrefix(prefix).first);
  if (s.ok()) return s;
  const bool given = pipeline != nullptr && pipeline->get(key) != nullptr;
  return p.Error(given ? pipeline->get(key) : pipeline, std::string("pipeline.") + key,
                 s.message() + (given ? "" : " (the embedded default " + prefix + " is not one)") +
                     "; with [store] url = \"s3://\" name your bucket, e.g. " + key +
                     " = \"acme-media-" + (std::string(key) == "input" ? "in" : "out") + "/\"");
}

}  // namespace

Status ParseServices(const Parser& p, const toml::table& root, Config* c) {
  SB_RETURN_IF_ERROR(ParseAws(p, root, c));

  SB_ASSIGN_OR_RETURN(const toml::table* store, p.Table(root, "store"));
  std::string store_url;
  SB_RETURN_IF_ERROR(p.String(store, "store", "url", &store_url));
  if (store != nullptr && store->get("url") != nullptr) {
    if (store_url != "s3://") {
      return p.Error(store->get("url"), "store.url",
                     "must be \"s3://\" (objects on S3, a key's first segment its bucket); "
                     "buckets are named by [pipeline] input and output");
    }
    if (store->get("path") != nullptr) {
      return p.Error(store->get("path"), "store.path",
                     "give either store.path (a directory) or store.url, not both");
    }
    c->store_on_s3 = true;
  }
  SB_RETURN_IF_ERROR(p.String(store, "store", "work_bucket", &c->work_bucket));
  if (store != nullptr && store->get("work_bucket") != nullptr) {
    if (!c->store_on_s3) {
      return p.Error(store->get("work_bucket"), "store.work_bucket", "needs store.url = \"s3://\"");
    }
    if (Status s = ValidateS3BucketName(c->work_bucket); !s.ok()) {
      return p.Error(store->get("work_bucket"), "store.work_bucket", s.message());
    }
  }
  SB_ASSIGN_OR_RETURN(const toml::table* pipeline, p.Table(root, "pipeline"));
  if (c->store_on_s3 && c->has_pipeline) {
    SB_RETURN_IF_ERROR(CheckBucketOf(p, pipeline, "input", c->pipeline.input_prefix));
    SB_RETURN_IF_ERROR(CheckBucketOf(p, pipeline, "output", c->pipeline.output_prefix));
    if (c->work_bucket.empty()) {
      c->work_bucket = std::string(BucketAndKeyPrefix(c->pipeline.output_prefix).first);
    }
  }

  SB_ASSIGN_OR_RETURN(const toml::table* queue, p.Table(root, "queue"));
  SB_RETURN_IF_ERROR(queue ? p.OnlyKnown(*queue, "queue", {"url"}) : Status::Ok());
  SB_RETURN_IF_ERROR(NameAfterScheme(p, queue, "queue", "url", "sqs://",
                                     "the SQS queue of the pipeline's tasks", &c->sqs_queue));
  if (!c->sqs_queue.empty()) {
    Status s = ValidateSqsQueueName(c->sqs_queue + kLongestSqsQueueSuffix);
    if (!s.ok()) {
      return p.Error(queue->get("url"), "queue.url",
                     s.message() + " (made from the name: at most 66 characters)");
    }
    // On SQS the pipeline's queue is the queue the URL names.
    if (pipeline != nullptr && pipeline->get("queue") != nullptr &&
        c->pipeline.queue != c->sqs_queue) {
      return p.Error(pipeline->get("queue"), "pipeline.queue",
                     "with queue.url the queue is the one it names (\"" + c->sqs_queue +
                         "\"): give the name once");
    }
    c->pipeline.queue = c->sqs_queue;
  }

  SB_ASSIGN_OR_RETURN(const toml::table* state, p.Table(root, "state"));
  SB_RETURN_IF_ERROR(NameAfterScheme(p, state, "state", "url", "dynamodb://",
                                     "the DynamoDB table of jobs and tasks", &c->dynamodb_table));
  if (!c->dynamodb_table.empty()) {
    if (Status s = ValidateDynamoDbTableName(c->dynamodb_table); !s.ok()) {
      return p.Error(state->get("url"), "state.url", s.message());
    }
  }

  SB_ASSIGN_OR_RETURN(const toml::table* ingest, p.Table(root, "ingest"));
  SB_RETURN_IF_ERROR(ingest ? p.OnlyKnown(*ingest, "ingest", {"events"}) : Status::Ok());
  SB_RETURN_IF_ERROR(NameAfterScheme(p, ingest, "ingest", "events", "sqs://",
                                     "the SQS queue the input bucket notifies", &c->events_queue));
  if (!c->events_queue.empty()) {
    if (Status s = ValidateSqsQueueName(c->events_queue + "-dlq"); !s.ok()) {
      return p.Error(ingest->get("events"), "ingest.events", s.message());
    }
    if (!c->store_on_s3) {
      return p.Error(ingest->get("events"), "ingest.events",
                     "needs store.url = \"s3://\" (the events are S3's notifications)");
    }
    if (!c->sqs_queue.empty() && c->events_queue.starts_with(c->sqs_queue)) {
      return p.Error(ingest->get("events"), "ingest.events",
                     "must not be the task queue or one made from its name");
    }
  }
  return Status::Ok();
}

}  // namespace spotbatch::config_internal
