// The IAM policies of a pipeline's roles on AWS (`spotbatch aws policy`): for each role, the
// actions its processes call, on the resources the config names and nothing else.
//
// The roles: "ingest" turns uploads into jobs (`spotbatch lambda`); "worker" runs tasks
// (`spotbatch worker`, what each instance runs), and on EC2 pools protects its instance from
// scale-in and completes its lifecycle action in its group; "manager" runs the control plane
// (`up`, `run`, `status`, `cost`, `retry`, `cancel`, `logs`, `get`): the ingest's calls, the
// events queue, the janitor's deletions, the bills and the table's creation, and on EC2 pools
// the groups' capacity (SetDesiredCapacity, terminate-in-group, protection), the market's
// reads and the backlog metrics in the "spotbatch" namespace.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "apps/config.h"
#include "spotbatch/status.h"

namespace spotbatch {

enum class AwsRole { kIngest, kWorker, kManager };

// "ingest", "worker", "manager".
std::string_view AwsRoleName(AwsRole role);
// The role `name` names; kInvalidArgument listing the three otherwise.
Result<AwsRole> ParseAwsRole(std::string_view name);
inline const std::vector<AwsRole>& AllAwsRoles() {
  static const std::vector<AwsRole> roles = {AwsRole::kIngest, AwsRole::kWorker, AwsRole::kManager};
  return roles;
}

// Where the ARNs point: `region` and `account` may be "*" (any).
struct PolicyScope {
  std::string region = "*";
  std::string account = "*";
};

// OK for an account "*" or of 12 digits; kInvalidArgument naming the problem otherwise.
Status ValidateAwsAccount(std::string_view account);

// The policy document of `role` under `config`: {"Version": "2012-10-17", "Statement": [...]},
// a statement per service and set of resources, for the services the config puts on AWS
// only (none: no statement). Bucket-level listing is granted on the whole bucket (S3 lists
// key names, never contents); every other S3 action is on the prefixes the role uses.
nlohmann::ordered_json AwsPolicyFor(const Config& config, AwsRole role, const PolicyScope& scope);

}  // namespace spotbatch
