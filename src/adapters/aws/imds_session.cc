#include "adapters/aws/imds_session.h"

#include <httplib.h>

#include <mutex>

#include "adapters/aws/imds_parse.h"

namespace spotbatch {
namespace {

constexpr const char* kTokenPath = "/latest/api/token";

std::string Where(std::string_view path) { return "instance metadata " + std::string(path); }

class Session final : public ImdsSession {
 public:
  Session(const ImdsOptions& options, Clock& clock)
      : options_(options), clock_(clock), http_(options.endpoint) {
    const time_t sec = options.timeout_millis / 1000;
    const time_t usec = (options.timeout_millis % 1000) * 1000;
    http_.set_connection_timeout(sec, usec);
    http_.set_read_timeout(sec, usec);
    http_.set_write_timeout(sec, usec);
    http_.set_keep_alive(true);
  }

  Result<ImdsAnswer> Get(std::string_view path) override {
    // One connection, one token: httplib's client is not safe for concurrent requests.
    std::lock_guard<std::mutex> lock(mu_);
    const std::string p(path);
    for (int tries = 0; tries < 2; ++tries) {
      SB_RETURN_IF_ERROR(EnsureToken());
      SB_ASSIGN_OR_RETURN(ImdsAnswer a, Send("GET", p, {{"X-aws-ec2-metadata-token", token_}}));
      if (a.status != 401) return a;
      token_.clear();  // expired or revoked
    }
    return Unavailable(Where(path) + ": token refused twice");
  }

 private:
  Status EnsureToken() {
    const int64_t now = clock_.MonotonicNanos() / 1'000'000;
    // Renew a little early: a token must not expire between this check and the request.
    if (!token_.empty() && now < token_renew_at_) return Status::Ok();
    SB_ASSIGN_OR_RETURN(ImdsAnswer a, Send("PUT", kTokenPath,
                                           {{"X-aws-ec2-metadata-token-ttl-seconds",
                                             std::to_string(options_.token_ttl_seconds)}}));
    if (a.status != 200) return UnexpectedImdsAnswer(kTokenPath, a.status);
    SB_ASSIGN_OR_RETURN(token_, ParseImdsToken(a.body));
    token_renew_at_ = now + options_.token_ttl_seconds * 1000 * 9 / 10;
    return Status::Ok();
  }

  Result<ImdsAnswer> Send(std::string_view method, const std::string& path,
                          const httplib::Headers& headers) {
    ImdsAnswer a;
    bool too_big = false;
    auto receive = [&](const char* data, size_t n) {
      if (a.body.size() + n > kMaxImdsBody) {
        too_big = true;
        return false;
      }
      a.body.append(data, n);
      return true;
    };
    httplib::Result r = method == "PUT" ? http_.Put(path, headers, std::string(), "text/plain")
                                        : http_.Get(path, headers, receive);
    if (too_big) return InvalidArgument(Where(path) + ": answer over 64 KiB");
    if (!r) return Unavailable(Where(path) + ": " + httplib::to_string(r.error()));
    a.status = r->status;
    if (method == "PUT") {
      if (r->body.size() > kMaxImdsBody)
        return InvalidArgument("instance metadata token over 64 KiB");
      a.body = r->body;
    }
    return a;
  }

  const ImdsOptions options_;
  Clock& clock_;
  std::mutex mu_;
  httplib::Client http_;        // guarded by mu_
  std::string token_;           // guarded by mu_
  int64_t token_renew_at_ = 0;  // guarded by mu_
};

}  // namespace

Status UnexpectedImdsAnswer(std::string_view path, int http_status) {
  return Unavailable(Where(path) + ": HTTP " + std::to_string(http_status));
}

Result<std::unique_ptr<ImdsSession>> ImdsSession::Create(const ImdsOptions& options, Clock& clock) {
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
  return std::unique_ptr<ImdsSession>(new Session(options, clock));
}

}  // namespace spotbatch
