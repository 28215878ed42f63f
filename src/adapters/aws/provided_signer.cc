#include "adapters/aws/provided_signer.h"

namespace spotbatch {

ProvidedSigner::ProvidedSigner(CredentialsProvider& provider, SigV4Options options, Clock& clock)
    : provider_(provider), signer_(AwsCredentials{}, std::move(options), clock) {}

Status ProvidedSigner::Update() {
  SB_ASSIGN_OR_RETURN(AwsCredentials fresh, provider_.Get());
  std::lock_guard<std::mutex> lock(mu_);
  if (fresh != current_) {
    current_ = fresh;
    signer_.SetCredentials(std::move(fresh));
  }
  return Status::Ok();
}

Result<SigV4Signing> ProvidedSigner::SignHeaders(HttpRequest& request) {
  SB_RETURN_IF_ERROR(Update());
  return signer_.SignHeaders(request);
}

Result<SigV4Signing> ProvidedSigner::Presign(HttpRequest& request, int64_t expires_seconds) {
  SB_RETURN_IF_ERROR(Update());
  return signer_.Presign(request, expires_seconds);
}

}  // namespace spotbatch
