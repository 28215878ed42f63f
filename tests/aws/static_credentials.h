// Fixed credentials for tests against moto (which, unless it checks IAM, accepts any key).
#pragma once

#include "adapters/aws/credentials_chain.h"

namespace spotbatch::testing {

class StaticCredentials : public CredentialsProvider {
 public:
  explicit StaticCredentials(std::string key = "testing", std::string secret = "testing") {
    credentials_.access_key_id = std::move(key);
    credentials_.secret_access_key = std::move(secret);
  }
  Result<AwsCredentials> Get() override { return credentials_; }

 private:
  AwsCredentials credentials_;
};

}  // namespace spotbatch::testing
