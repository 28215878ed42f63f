// Moves the SQS clock of a moto started with MotoClock::kWarpable (tests/aws/moto_timewarp.py)
// along with a test's FakeClock, so that what the test's clock says has passed has passed for
// moto's visibility timeouts and delays too.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "adapters/aws/http_client.h"
#include "common/fake_clock.h"

namespace spotbatch::testing {

class MotoClockSync {
 public:
  // `endpoint`: the warpable moto's. Starts in step with `clock` as it is now.
  MotoClockSync(const std::string& endpoint, FakeClock& clock)
      : endpoint_(endpoint), clock_(clock), synced_ms_(clock.NowUnixMillis()) {
    auto http = HttpClient::New(endpoint);
    if (http.ok()) http_ = std::move(*http);
  }

  // Advances moto's SQS clock by what the FakeClock advanced since the last call. Thread-safe:
  // each advance is sent once, however many callers see it.
  Status Sync() {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_.NowUnixMillis();
    if (now <= synced_ms_) return Status::Ok();
    if (http_ == nullptr) return Internal("no HTTP client for " + endpoint_);
    HttpRequest r;
    r.method = "POST";
    r.path = "/spotbatch-test/advance";
    r.query = {{"millis", std::to_string(now - synced_ms_)}};
    r.headers.emplace("Host", endpoint_.substr(endpoint_.find("://") + 3));
    auto response = http_->Send(r);
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return Internal("moto's clock did not advance: HTTP " + std::to_string(response->status) +
                      " " + response->body.substr(0, 200));
    }
    synced_ms_ = now;
    return Status::Ok();
  }

 private:
  const std::string endpoint_;
  FakeClock& clock_;
  std::unique_ptr<HttpClient> http_;
  std::mutex mu_;
  int64_t synced_ms_;
};

}  // namespace spotbatch::testing
