// A local instance-metadata server: the paths, token flow and status codes of EC2's IMDSv2,
// on loopback, for one simulated instance.
//
//   PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 1..21600) -> token; 400
//       without a valid TTL, 403 when X-Forwarded-For is present (as EC2 does)
//   GET /latest/meta-data/spot/instance-action            404, or 200 {"action","time"}
//   GET /latest/meta-data/spot/termination-time           404, or 200 "...Z" (terminate only)
//   GET /latest/meta-data/events/recommendations/rebalance 404, or 200 {"noticeTime"}
//   GET /latest/meta-data/autoscaling/target-lifecycle-state 404, or 200 "InService"...
//   GET /latest/meta-data/iam/security-credentials/       404, or 200 the role's name
//   GET /latest/meta-data/iam/security-credentials/ROLE   200 {"Code": "Success",
//       "AccessKeyId", "SecretAccessKey", "Token", "Expiration", ...}; 404 for another role
// Every GET needs a live token (401 otherwise). Notices appear when the injected clock passes
// the time they were scheduled for. Fault injection for tests: failing requests, slow
// answers, revoked tokens. The owner (the local fleet, a test) drives it through the calls
// below; Reclaim() makes the instance vanish: the server stops answering.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/aws/aws_credentials.h"
#include "spotbatch/clock.h"
#include "spotbatch/instance_metadata.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The path of the scale-in protection extension.
extern const char* const kProtectionPath;

// What the server says the instance is (meta-data/instance-id, instance-type,
// placement/availability-zone, placement/region, instance-life-cycle); empty fields: 404.
struct LocalInstanceIdentity {
  std::string instance_id;
  std::string instance_type;
  std::string zone;
  std::string region;
  std::string life_cycle;  // "spot" or "on-demand"
};

class LocalImdsServer {
 public:
  // Listens on 127.0.0.1 at `port` (0: any free port).
  static Result<std::unique_ptr<LocalImdsServer>> Start(Clock& clock, int port = 0);
  virtual ~LocalImdsServer() = default;

  virtual int port() const = 0;
  virtual std::string endpoint() const = 0;  // "http://127.0.0.1:PORT"

  // The rebalance recommendation appears from `at_unix_millis` on.
  virtual void ScheduleRebalance(int64_t at_unix_millis) = 0;
  // The interruption notice appears from `notice_at`, announcing `action` at `reclaim_at`.
  virtual void ScheduleInterruption(int64_t notice_at_unix_millis, int64_t reclaim_at_unix_millis,
                                    SpotAction action = SpotAction::kTerminate) = 0;
  // Clears every scheduled notice.
  virtual void ClearNotices() = 0;
  virtual void SetTargetLifecycleState(const std::string& state) = 0;  // empty: 404
  virtual void SetIdentity(const LocalInstanceIdentity& identity) = 0;
  // The instance profile's role and the credentials served for it (expires_unix_millis is
  // the Expiration written; nullopt: an hour after the clock's now). Calling it again rotates
  // them, as EC2 does before they expire; an empty role: no role (404).
  virtual void SetRoleCredentials(const std::string& role, const AwsCredentials& credentials) = 0;
  // The instance is gone: the server stops answering (connections are refused).
  virtual void Reclaim() = 0;

  // The next `count` requests (token requests included) answer `http_status`.
  virtual void FailNextRequests(int count, int http_status = 500) = 0;
  // Every answer waits this long first (0: none).
  virtual void SetAnswerDelayMillis(int64_t millis) = 0;
  // Every token issued so far is refused from now on (as if expired).
  virtual void RevokeTokens() = 0;

  // Whether the instance's worker protected it from scale-in (PUT
  // /spotbatch/v1/scale-in-protection with "true" or "false" and a metadata token: a spotbatch
  // extension standing for Auto Scaling's SetInstanceProtection).
  virtual bool protected_from_scale_in() const = 0;

  virtual int64_t requests() const = 0;                  // requests answered so far
  virtual int64_t token_requests() const = 0;            // of which PUT /latest/api/token
  virtual int64_t role_credential_requests() const = 0;  // answered GETs of .../ROLE
};

}  // namespace spotbatch
