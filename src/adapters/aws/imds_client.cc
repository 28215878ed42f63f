#include "adapters/aws/imds_client.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace spotbatch {
namespace {

constexpr size_t kMaxBody = 64 * 1024;  // every answer here is a few dozen bytes
constexpr const char* kTokenPath = "/latest/api/token";
constexpr const char* kInstanceActionPath = "/latest/meta-data/spot/instance-action";
constexpr const char* kTerminationTimePath = "/latest/meta-data/spot/termination-time";
constexpr const char* kRebalancePath = "/latest/meta-data/events/recommendations/rebalance";
constexpr const char* kLifecyclePath = "/latest/meta-data/autoscaling/target-lifecycle-state";

struct Answer {
  int status = 0;
  std::string body;
};

Result<SpotInterruption> ParseInstanceAction(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("action") || !j["action"].is_string() || !j.contains("time") ||
      !j["time"].is_string()) {
    return InvalidArgument("instance-action is not {\"action\": ..., \"time\": ...}: " +
                           body.substr(0, 200));
  }
  SpotInterruption out;
  const std::string action = j["action"];
  if (action == "terminate") {
    out.action = SpotAction::kTerminate;
  } else if (action == "stop") {
    out.action = SpotAction::kStop;
  } else if (action == "hibernate") {
    out.action = SpotAction::kHibernate;
  } else {
    return InvalidArgument("instance-action has unknown action \"" + action.substr(0, 40) + "\"");
  }
  auto time = ParseUtcTimestamp(j["time"].get<std::string>());
  if (!time) return InvalidArgument("instance-action has a malformed time: " + body.substr(0, 200));
  out.time_unix_millis = *time;
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

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
        auto time = ParseUtcTimestamp(Trim(legacy.body));
        if (!time) {
          return InvalidArgument("termination-time is malformed: " + legacy.body.substr(0, 100));
        }
        out.interruption = SpotInterruption{SpotAction::kTerminate, *time};
      } else if (legacy.status != 404) {
        return Unexpected(kTerminationTimePath, legacy.status);
      }
    } else {
      return Unexpected(kInstanceActionPath, action.status);
    }
    SB_ASSIGN_OR_RETURN(Answer rebalance, Get(kRebalancePath));
    if (rebalance.status == 200) {
      auto j = nlohmann::json::parse(rebalance.body, nullptr, false);
      std::optional<int64_t> at;
      if (j.is_object() && j.contains("noticeTime") && j["noticeTime"].is_string()) {
        at = ParseUtcTimestamp(j["noticeTime"].get<std::string>());
      }
      if (!at) {
        return InvalidArgument("rebalance recommendation is not {\"noticeTime\": ...}: " +
                               rebalance.body.substr(0, 200));
      }
      out.rebalance_unix_millis = at;
    } else if (rebalance.status != 404) {
      return Unexpected(kRebalancePath, rebalance.status);
    }
    SB_ASSIGN_OR_RETURN(Answer lifecycle, Get(kLifecyclePath));
    if (lifecycle.status == 200) {
      out.target_lifecycle_state = Trim(lifecycle.body);
      if (out.target_lifecycle_state.size() > 64) {
        return InvalidArgument("target-lifecycle-state is too long");
      }
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
    const std::string token = Trim(a.body);
    if (token.empty() || token.size() > 1024 ||
        token.find_first_of("\r\n\t \x7f") != std::string::npos) {
      return InvalidArgument("instance metadata returned a malformed token");
    }
    token_ = token;
    token_renew_at_ = now + options_.token_ttl_seconds * 1000 * 9 / 10;
    return Status::Ok();
  }

  Result<Answer> Send(const char* method, const char* path, const httplib::Headers& headers) {
    Answer a;
    bool too_big = false;
    auto receive = [&](const char* data, size_t n) {
      if (a.body.size() + n > kMaxBody) {
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
      if (r->body.size() > kMaxBody) return InvalidArgument("instance metadata token over 64 KiB");
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
