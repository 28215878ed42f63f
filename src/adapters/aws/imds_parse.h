// The answers of EC2's instance metadata service, parsed. Pure functions (no I/O), kept apart
// from the HTTP client so that each can be tested and fuzzed on its own: the bodies come from
// a service on the network and are untrusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/aws/aws_credentials.h"
#include "spotbatch/instance_metadata.h"
#include "spotbatch/status.h"

namespace spotbatch {

// Every answer the client reads is a few dozen bytes; more is refused before parsing.
inline constexpr size_t kMaxImdsBody = 64 * 1024;
inline constexpr size_t kMaxImdsToken = 1024;
inline constexpr size_t kMaxLifecycleState = 64;
// IAM's limit on a role name.
inline constexpr size_t kMaxRoleName = 64;

// spot/instance-action: {"action": "terminate"|"stop"|"hibernate", "time": UTC timestamp}.
// kInvalidArgument (quoting at most 200 bytes of the body) for anything else.
Result<SpotInterruption> ParseInstanceAction(std::string_view body);
// spot/termination-time (legacy): a UTC timestamp, trailing newlines and spaces allowed.
Result<int64_t> ParseTerminationTime(std::string_view body);
// events/recommendations/rebalance: {"noticeTime": UTC timestamp}; the time, in Unix millis.
Result<int64_t> ParseRebalanceRecommendation(std::string_view body);
// autoscaling/target-lifecycle-state: "InService", "Terminated", ... (trailing newlines and
// spaces dropped); kInvalidArgument over kMaxLifecycleState bytes or with a control byte.
Result<std::string> ParseLifecycleState(std::string_view body);
// The answer of PUT api/token: 1..kMaxImdsToken bytes, no whitespace or control byte (it is
// sent back in a header), trailing newlines and spaces dropped.
Result<std::string> ParseImdsToken(std::string_view body);

// iam/security-credentials/: the name of the instance profile's role (the first line; EC2
// lists one). 1..kMaxRoleName bytes of IAM's role-name characters (letters, digits, +=,.@_-),
// not "." or "..", so that it can be put in the next path as is. kInvalidArgument otherwise,
// quoting at most 100 bytes.
Result<std::string> ParseRoleName(std::string_view body);
// iam/security-credentials/ROLE: {"Code": "Success", "AccessKeyId", "SecretAccessKey",
// "Token", "Expiration": UTC timestamp, ...} (other members ignored). The credentials, each
// value as CheckCredentialValue wants it, expiring at Expiration. kInvalidArgument for
// anything else (a Code other than Success is quoted, at most 64 bytes); the body itself is
// never quoted: it holds the secret.
Result<AwsCredentials> ParseRoleCredentials(std::string_view body);

// instance-id, instance-type, placement/availability-zone, placement/region: 1..64 bytes of
// [a-z0-9.-] (trailing newlines and spaces dropped), as they go into API calls and ids;
// kInvalidArgument naming `what` otherwise, quoting at most 64 bytes.
Result<std::string> ParseIdentityValue(std::string_view what, std::string_view body);

}  // namespace spotbatch
