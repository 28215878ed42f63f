#include "adapters/local/local_protection.h"

#include <httplib.h>

#include "adapters/local/local_imds_server.h"

namespace spotbatch {
namespace {

class LocalProtection final : public ScaleInProtection {
 public:
  LocalProtection(const std::string& endpoint, int64_t timeout_millis) : http_(endpoint) {
    const time_t sec = timeout_millis / 1000;
    const time_t usec = (timeout_millis % 1000) * 1000;
    http_.set_connection_timeout(sec, usec);
    http_.set_read_timeout(sec, usec);
    http_.set_write_timeout(sec, usec);
    http_.set_keep_alive(true);
  }

  Status Protect(bool busy) override {
    // A token expires or the server restarts: one fresh token, then give up for now.
    for (int tries = 0; tries < 2; ++tries) {
      if (token_.empty()) SB_RETURN_IF_ERROR(FetchToken());
      auto res = http_.Put(kProtectionPath, {{"X-aws-ec2-metadata-token", token_}},
                           busy ? "true" : "false", "text/plain");
      if (!res) return Unavailable("scale-in protection: " + httplib::to_string(res.error()));
      if (res->status == 204 || res->status == 200) return Status::Ok();
      if (res->status != 401) {
        return Unavailable("scale-in protection: HTTP " + std::to_string(res->status));
      }
      token_.clear();
    }
    return Unavailable("scale-in protection: the metadata server refuses its own tokens");
  }

 private:
  Status FetchToken() {
    auto res = http_.Put("/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}},
                         "", "text/plain");
    if (!res) return Unavailable("metadata token: " + httplib::to_string(res.error()));
    if (res->status != 200 || res->body.empty() || res->body.size() > 256) {
      return Unavailable("metadata token: HTTP " + std::to_string(res->status));
    }
    token_ = res->body;
    return Status::Ok();
  }

  httplib::Client http_;
  std::string token_;
};

}  // namespace

Result<std::unique_ptr<ScaleInProtection>> NewLocalScaleInProtection(const std::string& endpoint,
                                                                     int64_t timeout_millis) {
  if (!endpoint.starts_with("http://127.0.0.1:") && !endpoint.starts_with("http://localhost:")) {
    return InvalidArgument("scale-in protection: " + endpoint +
                           " is not a local metadata server (http://127.0.0.1:PORT)");
  }
  return std::unique_ptr<ScaleInProtection>(
      std::make_unique<LocalProtection>(endpoint, timeout_millis));
}

}  // namespace spotbatch
