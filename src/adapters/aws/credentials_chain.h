// Where the AWS adapters get the credentials they sign with: AWS's standard chain, the
// sources tried in order until one has credentials:
//   1. the environment (env_credentials.h): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//      AWS_SESSION_TOKEN; skipped when spotbatch's config names a profile, as the AWS CLI's
//      --profile overrides the environment;
//   2. the shared files (profile_credentials.h): the profile of [aws] profile, else
//      AWS_PROFILE, else "default", in ~/.aws/credentials then ~/.aws/config;
//   3. the instance role through IMDSv2 (instance_role_credentials.h), when an endpoint is
//      given and AWS_EC2_METADATA_DISABLED is not "true".
// Temporary credentials are fetched again `refresh_margin_millis` before they expire.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/aws/aws_credentials.h"
#include "adapters/aws/credentials_source.h"
#include "adapters/aws/imds_session.h"
#include "spotbatch/clock.h"
#include "spotbatch/status.h"

namespace spotbatch {

inline constexpr int64_t kDefaultRefreshMarginMillis = 5 * 60 * 1000;
// After a refresh failed while the old credentials still work, how long they are used before
// the next try: a failing metadata service is not asked on every signing.
inline constexpr int64_t kRefreshRetryMillis = 10 * 1000;

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials valid now: the ones found before while they are more than the refresh margin
  // from expiry, else found anew. Thread-safe; one caller refreshes while the others go on with
  // the old credentials as long as they have not expired. When a refresh fails, the old ones
  // are returned until they expire (asking again every kRefreshRetryMillis).
  // Failures: a source's own (environment half set, named profile missing, ...), its name in
  // front; when no source has credentials, kFailedPrecondition (kUnavailable when the last
  // failure may pass: the metadata service did not answer) naming every source and why each
  // gave none. No message ever holds a secret.
  virtual Result<AwsCredentials> Get() = 0;
};

// The chain of `sources`, in that order. `clock` must outlive it.
std::unique_ptr<CredentialsProvider> NewCredentialsChain(
    std::vector<std::unique_ptr<CredentialsSource>> sources, Clock& clock,
    int64_t refresh_margin_millis = kDefaultRefreshMarginMillis);

struct StandardChainOptions {
  EnvLookup env;         // ProcessEnvironment() in production; a map in tests
  std::string home_dir;  // where ~/.aws is; empty: only files named by the variables are read
  std::string profile;   // [aws] profile; empty: AWS_PROFILE, else "default"
  // The metadata service; nullopt: the instance role is not tried (not on EC2).
  std::optional<ImdsOptions> imds;
  int64_t refresh_margin_millis = kDefaultRefreshMarginMillis;
};

// The standard chain above. kInvalidArgument when `env` is empty, the margin negative, or the
// metadata options invalid (ImdsSession::Create).
Result<std::unique_ptr<CredentialsProvider>> NewStandardCredentialsChain(
    StandardChainOptions options, Clock& clock);

}  // namespace spotbatch
