// A SigV4Signer fed from a CredentialsProvider: what the AWS adapters sign with, so that a
// role's credentials refreshed by the chain are used from the next signing on.
#pragma once

#include <mutex>

#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/sigv4.h"

namespace spotbatch {

class ProvidedSigner {
 public:
  // `provider` and `clock` must outlive the signer.
  ProvidedSigner(CredentialsProvider& provider, SigV4Options options, Clock& clock);

  // As SigV4Signer's, with the provider's current credentials: handed to the signer only when
  // they changed, so that its daily signing key is kept meanwhile. Fails as the provider's
  // Get() does (then `request` is untouched), or as SigV4Signer's. Thread-safe.
  Result<SigV4Signing> SignHeaders(HttpRequest& request);
  Result<SigV4Signing> Presign(HttpRequest& request, int64_t expires_seconds);

  const SigV4Signer& signer() const { return signer_; }

 private:
  Status Update();

  CredentialsProvider& provider_;
  SigV4Signer signer_;
  std::mutex mu_;
  AwsCredentials current_;  // guarded by mu_: what signer_ holds
};

}  // namespace spotbatch
