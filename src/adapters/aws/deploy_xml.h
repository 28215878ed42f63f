// The answers `spotbatch aws deploy` reads to find what exists and what it was made from:
// EC2's DescribeLaunchTemplates, IAM's GetInstanceProfile and GetRolePolicy, Auto Scaling's
// DescribeLifecycleHooks. Bounded as the other query parsers (query_xml.h): kInternal naming
// the field for anything else.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

struct LaunchTemplateInfo {
  std::string id;    // "lt-0abc..."
  std::string name;  // 3..128 characters
  int latest_version = 0;
  std::map<std::string, std::string> tags;
  bool operator==(const LaunchTemplateInfo&) const = default;
};
Result<std::vector<LaunchTemplateInfo>> ParseDescribeLaunchTemplates(std::string_view body);

// The names of the roles in a GetInstanceProfile answer (an instance profile holds one).
Result<std::vector<std::string>> ParseInstanceProfileRoles(std::string_view body);

// The policy document of a GetRolePolicy answer, URL-decoded as IAM sends it.
Result<std::string> ParseRolePolicyDocument(std::string_view body);

// The hooks' names in a DescribeLifecycleHooks answer.
Result<std::vector<std::string>> ParseLifecycleHookNames(std::string_view body);

}  // namespace spotbatch
