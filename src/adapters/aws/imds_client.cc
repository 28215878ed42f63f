#include "adapters/aws/imds_client.h"

#include <httplib.h>

#include "adapters/aws/imds_parse.h"

namespace spotbatch {
namespace {

constexpr const char* kTokenPath = "/latest/api/token";
constexpr const char* kInstanceActionPath = "/latest/meta-data/spot/instance-action";
constexpr const char* kTerminationTimePath = "/latest/meta-data/spot/termination-time";
constexpr const char* kRebalancePath = "/latest/meta-data/events/recommendations/rebalance";
constexpr const char* kLifecyclePath = "/latest/meta-data/autoscaling/target-lifecycle-state";

struct Answer {
  int status = 0;
  std::string body;
};

class ImdsClient final : public InstanceMetadata {
 public:
  ImdsClient(const ImdsOptions& options, Clock& clock)
      : options_(options), clock_(clock), http_(options.endpoint) {
    const time_t sec = options.timeout_millis / 1000;
    const time_t usec = (options.timeout_millis % 1000) * 1000;
    http_.set_connection_timeout(sec, usec);
    http_.set_read_timeout(sec, usec);
    http_.set_write_timeout(sec, usec);
    http_.set_keep_alive(true);
  }

  Result<MetadataNotices> Poll() override {
    MetadataNotices out;
    // The notice itself: instance-action, or the legacy termination-time where it is all
    // the service offers.
    SB_ASSIGN_OR_RETURN(Answer action, Get(kInstanceActionPath));
    if (action.status == 200) {
      SB_ASSIGN_OR_RETURN(out.interruption, ParseInstanceAction(action.body));
    } else if (action.status == 404) {
      SB_ASSIGN_OR_RETURN(Answer legacy, Get(kTerminationTimePath));
      if (legacy.status == 200) {
        SB_ASSIGN_OR_RETURN(const int64_t time, ParseTerminationTime(legacy.body));
        out.interruption = SpotInterruption{SpotAction::kTerminate, time};
      } else if (legacy.status != 404) {
        return Unexpected(kTerminationTimePath, legacy.status);
      }
    } else {
      return Unexpected(kInstanceActionPath, action.status);
    }
    SB_ASSIGN_OR_RETURN(Answer rebalance, Get(kRebalancePath));
    if (rebalance.status == 200) {
      SB_ASSIGN_OR_RETURN(out.rebalance_unix_millis, ParseRebalanceRecommendation(rebalance.body));
    } else if (rebalance.status != 404) {
      return Unexpected(kRebalancePath, rebalance.status);
    }
    SB_ASSIGN_OR_RETURN(Answer lifecycle, Get(kLifecyclePath));
    if (lifecycle.status == 200) {
      SB_ASSIGN_OR_RETURN(out.target_lifecycle_state, ParseLifecycleState(lifecycle.body));
    } else if (lifecycle.status != 404) {
      return Unexpected(kLifecyclePath, lifecycle.status);
    }
    return out;
  }

 private:
  static Status Unexpected(const char* path, int status) {
    return Unavailable(std::string("instance metadata ") + path + ": HTTP " +
                       std::to_string(status));
  }

  // A GET with the session token; a 401 renews the token and tries once more.
  Result<Answer> Get(const char* path) {
    for (int tries = 0; tries < 2; ++tries) {
      SB_RETURN_IF_ERROR(EnsureToken());
      SB_ASSIGN_OR_RETURN(Answer a, Send("GET", path, {{"X-aws-ec2-metadata-token", token_}}));
      if (a.status != 401) return a;
      token_.clear();  // expired or revoked
    }
    return Unavailable(std::string("instance metadata ") + path + ": token refused twice");
  }

  Status EnsureToken() {
    const int64_t now = clock_.MonotonicNanos() / 1'000'000;
    // Renew a little early: a token must not expire between this check and the request.
    if (!token_.empty() && now < token_renew_at_) return Status::Ok();
    SB_ASSIGN_OR_RETURN(Answer a, Send("PUT", kTokenPath,
                                       {{"X-aws-ec2-metadata-token-ttl-seconds",
                                         std::to_string(options_.token_ttl_seconds)}}));
    if (a.status != 200) return Unexpected(kTokenPath, a.status);
    SB_ASSIGN_OR_RETURN(token_, ParseImdsToken(a.body));
    token_renew_at_ = now + options_.token_ttl_seconds * 1000 * 9 / 10;
    return Status::Ok();
  }

  Result<Answer> Send(const char* method, const char* path, const httplib::Headers& headers) {
    Answer a;
    bool too_big = false;
    auto receive = [&](const char* data, size_t n) {
      if (a.body.size() + n > kMaxImdsBody) {
        too_big = true;
        return false;
      }
      a.body.append(data, n);
      return true;
    };
    httplib::Result r = std::string_view(method) == "PUT"
                            ? http_.Put(path, headers, std::string(), "text/plain")
                            : http_.Get(path, headers, receive);
    if (too_big)
      return InvalidArgument(std::string("instance metadata ") + path + ": answer over 64 KiB");
    if (!r) {
      return Unavailable(std::string("instance metadata ") + path + ": " +
                         httplib::to_string(r.error()));
    }
    a.status = r->status;
    if (std::string_view(method) == "PUT") {
      if (r->body.size() > kMaxImdsBody)
        return InvalidArgument("instance metadata token over 64 KiB");
      a.body = r->body;
    }
    return a;
  }

  ImdsOptions options_;
  Clock& clock_;
  httplib::Client http_;
  std::string token_;
  int64_t token_renew_at_ = 0;
};

}  // namespace

Result<std::unique_ptr<InstanceMetadata>> NewImdsClient(const ImdsOptions& options, Clock& clock) {
  const std::string& e = options.endpoint;
  constexpr std::string_view kScheme = "http://";
  if (e.rfind(kScheme, 0) != 0 || e.size() == kScheme.size() ||
      e.find_first_of("/?#@ ", kScheme.size()) != std::string::npos) {
    return InvalidArgument("metadata endpoint must look like http://HOST[:PORT], not \"" + e +
                           "\"");
  }
  if (options.token_ttl_seconds < 1 || options.token_ttl_seconds > 21600) {
    return InvalidArgument("metadata token TTL must be 1..21600 seconds");
  }
  if (options.timeout_millis < 1) return InvalidArgument("metadata timeout must be positive");
  return std::unique_ptr<InstanceMetadata>(new ImdsClient(options, clock));
}

}  // namespace spotbatch
