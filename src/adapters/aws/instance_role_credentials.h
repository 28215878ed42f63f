// The last source of the chain: the temporary credentials of the instance profile's role, from
// the instance metadata service (IMDSv2, through imds_session.h's token flow):
//   GET /latest/meta-data/iam/security-credentials/       the role's name (404: no role)
//   GET /latest/meta-data/iam/security-credentials/ROLE   {"Code", "AccessKeyId",
//       "SecretAccessKey", "Token", "Expiration", ...}
// EC2 rotates them well before Expiration; the chain asks again before they expire.
#pragma once

#include <memory>

#include "adapters/aws/credentials_source.h"
#include "adapters/aws/imds_session.h"
#include "spotbatch/clock.h"

namespace spotbatch {

inline constexpr const char* kRoleListPath = "/latest/meta-data/iam/security-credentials/";

// The source asking `session`; `clock` (which must outlive it) says whether what the service
// gives has already expired. Find(): the role's credentials with their expiry; none when the
// instance has no role (404). kUnavailable when the service cannot be reached, answers with
// another status, or gives credentials already expired; kInvalidArgument when an answer does
// not parse (imds_parse.h's ParseRoleName, ParseRoleCredentials).
std::unique_ptr<CredentialsSource> NewInstanceRoleSource(std::unique_ptr<ImdsSession> session,
                                                         Clock& clock);

}  // namespace spotbatch
