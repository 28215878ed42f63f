#include "adapters/aws/credentials_chain.h"

#include <condition_variable>
#include <mutex>

#include "adapters/aws/env_credentials.h"
#include "adapters/aws/instance_role_credentials.h"
#include "adapters/aws/profile_credentials.h"

namespace spotbatch {
namespace {

// A source left out of the chain, which the error of an empty chain still names with why.
class SkippedSource final : public CredentialsSource {
 public:
  SkippedSource(std::string name, std::string why) : name_(std::move(name)), why_(std::move(why)) {}
  std::string name() const override { return name_; }
  Result<SourceFinding> Find() override { return SourceFinding{std::nullopt, why_}; }

 private:
  std::string name_;
  std::string why_;
};

class Chain final : public CredentialsProvider {
 public:
  Chain(std::vector<std::unique_ptr<CredentialsSource>> sources, Clock& clock, int64_t margin)
      : sources_(std::move(sources)), clock_(clock), margin_(margin) {}

  Result<AwsCredentials> Get() override {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      const int64_t now = clock_.NowUnixMillis();
      if (cached_ && Usable(*cached_, now) &&
          (Fresh(*cached_, now) || refreshing_ || now < next_try_)) {
        return *cached_;
      }
      if (!refreshing_) break;
      cv_.wait(lock);  // nothing usable meanwhile: wait for the refresher's
    }
    refreshing_ = true;
    lock.unlock();
    // Outside the lock: the metadata service may take its timeout to answer, and callers
    // with credentials still usable go on meanwhile.
    Result<AwsCredentials> found = Walk();
    lock.lock();
    refreshing_ = false;
    cv_.notify_all();
    const int64_t now = clock_.NowUnixMillis();
    // Whether it failed or gave credentials already inside the margin, not again at once.
    next_try_ = now + kRefreshRetryMillis;
    if (found.ok()) {
      cached_ = *found;
      return found;
    }
    if (cached_ && Usable(*cached_, now)) return *cached_;
    return found.status();
  }

 private:
  static bool Usable(const AwsCredentials& c, int64_t now) {
    return !c.expires_unix_millis || now < *c.expires_unix_millis;
  }
  bool Fresh(const AwsCredentials& c, int64_t now) const {
    return !c.expires_unix_millis || now < *c.expires_unix_millis - margin_;
  }

  // The sources in order (one caller at a time: refreshing_).
  Result<AwsCredentials> Walk() {
    std::string tried;
    bool may_pass = false;
    for (const auto& source : sources_) {
      Result<SourceFinding> f = source->Find();
      std::string why;
      if (!f.ok()) {
        if (!f.status().retryable()) {
          return Status(f.status().code(), source->name() + ": " + f.status().message());
        }
        may_pass = true;  // the next call may find them here: go on, but say so at the end
        why = f.status().message();
      } else if (f->credentials) {
        return *std::move(f->credentials);
      } else {
        why = f->why_none;
      }
      tried += (tried.empty() ? "" : "; ") + source->name() + ": " + why;
    }
    std::string message = "no AWS credentials found; tried " + tried;
    return may_pass ? Unavailable(std::move(message)) : FailedPrecondition(std::move(message));
  }

  const std::vector<std::unique_ptr<CredentialsSource>> sources_;
  Clock& clock_;
  const int64_t margin_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<AwsCredentials> cached_;  // guarded by mu_
  bool refreshing_ = false;               // guarded by mu_
  int64_t next_try_ = 0;                  // guarded by mu_
};

}  // namespace

std::unique_ptr<CredentialsProvider> NewCredentialsChain(
    std::vector<std::unique_ptr<CredentialsSource>> sources, Clock& clock,
    int64_t refresh_margin_millis) {
  return std::make_unique<Chain>(std::move(sources), clock, refresh_margin_millis);
}

Result<std::unique_ptr<CredentialsProvider>> NewStandardCredentialsChain(
    StandardChainOptions options, Clock& clock) {
  if (!options.env) return InvalidArgument("the credentials chain needs an environment lookup");
  if (options.refresh_margin_millis < 0) {
    return InvalidArgument("the credentials refresh margin must not be negative");
  }
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  if (options.profile.empty()) {
    sources.push_back(NewEnvironmentSource(options.env));
  } else {
    sources.push_back(std::make_unique<SkippedSource>(
        "environment", "not read: the config names profile \"" + options.profile + "\""));
  }
  sources.push_back(NewProfileSource({options.env, options.home_dir, options.profile}));
  if (!options.imds) {
    sources.push_back(
        std::make_unique<SkippedSource>("instance role", "not tried: no metadata endpoint"));
  } else if (options.env("AWS_EC2_METADATA_DISABLED").value_or("") == "true") {
    sources.push_back(std::make_unique<SkippedSource>(
        "instance role", "not tried: AWS_EC2_METADATA_DISABLED is true"));
  } else {
    SB_ASSIGN_OR_RETURN(std::unique_ptr<ImdsSession> session,
                        ImdsSession::Create(*options.imds, clock));
    sources.push_back(NewInstanceRoleSource(std::move(session), clock));
  }
  return NewCredentialsChain(std::move(sources), clock, options.refresh_margin_millis);
}

}  // namespace spotbatch
