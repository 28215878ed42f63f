#include "adapters/aws/env_credentials.h"

#include <cstdlib>

namespace spotbatch {
namespace {

constexpr const char* kKeyId = "AWS_ACCESS_KEY_ID";
constexpr const char* kSecret = "AWS_SECRET_ACCESS_KEY";
constexpr const char* kToken = "AWS_SESSION_TOKEN";

class EnvironmentSource final : public CredentialsSource {
 public:
  explicit EnvironmentSource(EnvLookup env) : env_(std::move(env)) {}

  std::string name() const override { return "environment"; }

  Result<SourceFinding> Find() override {
    const std::string key_id = Get(kKeyId);
    const std::string secret = Get(kSecret);
    const std::string token = Get(kToken);
    if (key_id.empty() && secret.empty()) {
      if (!token.empty()) {
        return InvalidArgument(std::string(kToken) + " is set but " + kKeyId + " and " + kSecret +
                               " are not");
      }
      return SourceFinding{std::nullopt, std::string(kKeyId) + " and " + kSecret + " are not set"};
    }
    if (key_id.empty() || secret.empty()) {
      const char* set = key_id.empty() ? kSecret : kKeyId;
      const char* missing = key_id.empty() ? kKeyId : kSecret;
      return InvalidArgument(std::string(missing) + " is not set, but " + set + " is");
    }
    AwsCredentials c{key_id, secret, token, std::nullopt};
    SB_RETURN_IF_ERROR(CheckCredentialValue(kKeyId, c.access_key_id));
    SB_RETURN_IF_ERROR(CheckCredentialValue(kSecret, c.secret_access_key));
    if (!token.empty()) SB_RETURN_IF_ERROR(CheckCredentialValue(kToken, c.session_token));
    return SourceFinding{std::move(c), ""};
  }

 private:
  std::string Get(const char* name) const { return env_(name).value_or(""); }

  EnvLookup env_;
};

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::unique_ptr<CredentialsSource> NewEnvironmentSource(EnvLookup env) {
  return std::make_unique<EnvironmentSource>(std::move(env));
}

}  // namespace spotbatch
