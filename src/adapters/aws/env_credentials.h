// The first source of the chain: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (for temporary
// keys) AWS_SESSION_TOKEN, as every AWS SDK reads them. An empty variable counts as unset.
#pragma once

#include <memory>

#include "adapters/aws/credentials_source.h"

namespace spotbatch {

// The process's environment (getenv): what production passes; tests pass a map.
EnvLookup ProcessEnvironment();

// The source reading `env`. Find(): the credentials (never expiring: the environment says
// nothing of an expiry); none when neither key variable is set; kInvalidArgument naming the
// missing variable when one of the two is set without the other (or only the session token),
// or naming the variable whose value CheckCredentialValue refuses.
std::unique_ptr<CredentialsSource> NewEnvironmentSource(EnvLookup env);

}  // namespace spotbatch
