// The subcommands that act once and exit: put, status, get, logs, retry, cancel, worker,
// aws policy.
// Each returns the process exit code: 0 success, 1 failure, 2 usage or configuration error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apps/config.h"

namespace spotbatch {

int PutCommand(const Config& config, const std::vector<std::string>& paths, const std::string& key);
int StatusCommand(const Config& config, bool json);
// The bills of every run so far, by pool and by job (apps/bills.h).
int CostCommand(const Config& config, bool json);
int GetCommand(const Config& config, const std::string& key, const std::string& dest);
int LogsCommand(const Config& config, const std::string& id);
int RetryCommand(const Config& config, const std::string& job_id);
int CancelCommand(const Config& config, const std::string& job_id);
struct WorkerFlags {
  std::string worker_id;
  std::string pool;
  bool on_spot = false;
  std::string metadata_url;  // empty: $SPOTBATCH_METADATA_URL, else no notices
  // On an instance of the EC2 fleet: EC2's metadata service (or metadata_url, when given),
  // the instance's own identity, scale-in protection and lifecycle (apps/ec2_worker.h).
  bool on_ec2 = false;
  int64_t metadata_poll_millis = 0;  // 0: [worker] metadata_poll_seconds
  // How often a worker held by its group's termination hook sends a heartbeat (the hook
  // `aws deploy` makes times out after 600 s).
  int64_t lifecycle_heartbeat_millis = 300'000;
};
int WorkerCommand(const Config& config, const WorkerFlags& flags);
// `aws policy`: the IAM policy of `role` ("ingest", "worker", "manager"), or of every role
// when empty ({"ingest": ..., "worker": ..., "manager": ...}), as JSON on stdout; ARNs in
// `account` ("*": any) and the config's region (else $AWS_REGION, else any).
int AwsPolicyCommand(const Config& config, const std::string& role, const std::string& account);

}  // namespace spotbatch
