// One source of AWS credentials in the chain (credentials_chain.h): the environment, the
// shared files, the instance role. A source either finds credentials, finds none and says
// why (the chain goes on to the next), or finds something broken (the chain stops: a
// half-set environment or a missing named profile must not fall through to other keys).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "adapters/aws/aws_credentials.h"
#include "spotbatch/status.h"

namespace spotbatch {

// Looks up an environment variable: its value, or nullopt when unset. Injected, so that tests
// never read the process's environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// What a source found: credentials, or why there were none ("AWS_ACCESS_KEY_ID is not set").
// Neither ever holds a secret in a message.
struct SourceFinding {
  std::optional<AwsCredentials> credentials;
  std::string why_none;
};

class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  // What the source is, for messages: "environment", "instance role".
  virtual std::string name() const = 0;
  // On success, the credentials found or why none were. On failure a Status naming the
  // problem (never a secret); kUnavailable when asking again later may succeed. Called by
  // one thread at a time.
  virtual Result<SourceFinding> Find() = 0;
};

}  // namespace spotbatch
