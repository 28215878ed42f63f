#include "adapters/aws/instance_role_credentials.h"

#include "adapters/aws/imds_parse.h"
#include "common/time_format.h"

namespace spotbatch {
namespace {

class InstanceRoleSource final : public CredentialsSource {
 public:
  InstanceRoleSource(std::unique_ptr<ImdsSession> session, Clock& clock)
      : session_(std::move(session)), clock_(clock) {}

  std::string name() const override { return "instance role"; }

  Result<SourceFinding> Find() override {
    SB_ASSIGN_OR_RETURN(const ImdsAnswer list, session_->Get(kRoleListPath));
    if (list.status == 404) {
      return SourceFinding{
          std::nullopt, "the instance has no role (" + std::string(kRoleListPath) + ": HTTP 404)"};
    }
    if (list.status != 200) return UnexpectedImdsAnswer(kRoleListPath, list.status);
    SB_ASSIGN_OR_RETURN(const std::string role, ParseRoleName(list.body));
    // The role name was checked to hold no '/', '?' or '%': it can be put in the path as is.
    const std::string path = kRoleListPath + role;
    SB_ASSIGN_OR_RETURN(const ImdsAnswer answer, session_->Get(path));
    // A 404 here too: the role was detached between the two requests; asking again settles it.
    if (answer.status != 200) return UnexpectedImdsAnswer(path, answer.status);
    SB_ASSIGN_OR_RETURN(AwsCredentials c, ParseRoleCredentials(answer.body));
    if (*c.expires_unix_millis <= clock_.NowUnixMillis()) {
      return Unavailable("the credentials of role " + role + " expired at " +
                         FormatUtcTimestamp(*c.expires_unix_millis));
    }
    return SourceFinding{std::move(c), ""};
  }

 private:
  std::unique_ptr<ImdsSession> session_;
  Clock& clock_;
};

}  // namespace

std::unique_ptr<CredentialsSource> NewInstanceRoleSource(std::unique_ptr<ImdsSession> session,
                                                         Clock& clock) {
  return std::make_unique<InstanceRoleSource>(std::move(session), clock);
}

}  // namespace spotbatch
