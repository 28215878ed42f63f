// The keys a request to AWS is signed with: long-lived (an IAM user's) or temporary (a role's,
// from IMDS or STS), which come with a session token and an expiry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

struct AwsCredentials {
  std::string access_key_id;      // "AKIDEXAMPLE"
  std::string secret_access_key;  // never logged, never sent: only HMAC keys derive from it
  std::string session_token;      // empty for long-lived keys
  // When temporary credentials stop working (Unix millis); nullopt for long-lived keys. The
  // credentials chain refreshes before it; the signer refuses to sign after it.
  std::optional<int64_t> expires_unix_millis;

  bool operator==(const AwsCredentials&) const = default;
};

// The longest access key id, secret or session token taken (session tokens of assumed roles
// run to a few KiB).
inline constexpr size_t kMaxCredentialValue = 16 * 1024;

// Whether `value`, read as the credential field `field` ("AWS_SECRET_ACCESS_KEY",
// "aws_session_token", "Token"), can go into a request: 1..kMaxCredentialValue bytes of
// printable ASCII without a space (it is sent in a header or hashed as is). On failure
// kInvalidArgument naming `field` and never quoting the value: it may be a secret.
Status CheckCredentialValue(std::string_view field, std::string_view value);

}  // namespace spotbatch
