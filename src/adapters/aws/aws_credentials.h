// The keys a request to AWS is signed with: long-lived (an IAM user's) or temporary (a role's,
// from IMDS or STS), which come with a session token and an expiry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace spotbatch {

struct AwsCredentials {
  std::string access_key_id;      // "AKIDEXAMPLE"
  std::string secret_access_key;  // never logged, never sent: only HMAC keys derive from it
  std::string session_token;      // empty for long-lived keys
  // When temporary credentials stop working (Unix millis); nullopt for long-lived keys. The
  // credentials chain refreshes before it; the signer refuses to sign after it.
  std::optional<int64_t> expires_unix_millis;
};

}  // namespace spotbatch
