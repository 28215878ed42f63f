// `spotbatch aws deploy -c FILE` and `spotbatch aws destroy -c FILE`: what a pipeline on AWS
// needs, made from its config, and taken down again.
//
// Deploy creates what is missing and updates what differs, in an order that lets each step
// use the last: the buckets; the queues with their dead-letter queues, the events queue and
// the table (as the manager's first command would make them); the input bucket's
// notification to the events queue (and the queue's policy that lets S3 send); a lifecycle
// rule that aborts spotbatch's unfinished uploads in the work bucket after 7 days; for EC2
// pools the workers' role and instance profile, the launch template and one Auto Scaling
// group per pool with the termination hook "spotbatch-drain". Running it again changes
// nothing (launch templates and groups carry the fingerprint of what they were made from,
// notifications and lifecycle rules are compared with what the bucket has); a bucket's other
// notifications and rules are kept.
//
// What deploy made is written down before it is made, in the work bucket's
// "_spotbatch/deployment.json": a deploy cut off halfway is run again to completion, and
// destroy removes what the record names and nothing else (a bucket, queue or table that was
// there before deploy stays). Destroy keeps a bucket that holds objects unless asked to
// delete the data.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/aws/aws_json_client.h"
#include "adapters/aws/aws_query_client.h"
#include "adapters/aws/s3_object_store.h"
#include "apps/config.h"

namespace spotbatch {

inline constexpr QueryApi kIamApi{"iam", "2010-05-08"};
inline constexpr char kDeploymentRecord[] = "_spotbatch/deployment.json";

// One thing deploy or destroy looked at: its kind ("bucket", "queue", "table",
// "queue-policy", "notification", "lifecycle", "role", "instance-profile", "launch-template",
// "group", "hook"), its name, and what was done ("created", "updated", "unchanged", "deleted",
// "kept", "absent").
struct DeployStep {
  std::string kind, name, done;
  std::string why;  // "kept": why; "deleted": what went with it
};

struct DeployReport {
  std::vector<DeployStep> steps;
  int changed() const;  // created, updated or deleted
  nlohmann::json ToJson() const;
};

// The clients deploy calls through, all on one region and credentials; they must outlive it.
struct AwsDeployClients {
  S3ObjectStore* s3 = nullptr;
  AwsJsonClient* sqs = nullptr;
  AwsJsonClient* dynamodb = nullptr;
  AwsQueryClient* iam = nullptr;  // null without EC2 pools
  AwsQueryClient* ec2 = nullptr;
  AwsQueryClient* autoscaling = nullptr;
};

// kFailedPrecondition for a config that keeps its objects, queue or state off AWS; the
// services' failures otherwise, after which running it again goes on where it stopped.
// `config_text`: the config file as the instances get it. `open_services` makes the queues
// and the table as the pipeline's processes do (apps/wiring.h OpenServices).
Result<DeployReport> DeployOnAws(const Config& config, std::string_view config_text,
                                 AwsDeployClients& clients,
                                 const std::function<Status()>& open_services);
// Removes what the deployment record names, groups first, the record last. A bucket that
// holds objects is emptied only with `delete_data` (kept otherwise, and said so).
Result<DeployReport> DestroyOnAws(const Config& config, AwsDeployClients& clients,
                                  bool delete_data);

// The commands: the clients from [aws]; a report to stdout (markdown, or JSON with `json`).
// 0 done; 1 a failure (stderr says which step and why; running again resumes).
int AwsDeployCommand(const Config& config, bool json);
int AwsDestroyCommand(const Config& config, bool json, bool delete_data);

}  // namespace spotbatch
