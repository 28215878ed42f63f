#include "adapters/aws/http_retry.h"

#include <algorithm>
#include <charconv>
#include <random>

namespace spotbatch {

double JitterDraw() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

int64_t BackoffMillis(const HttpRetryPolicy& policy, int retry, double uniform01) {
  int64_t cap = policy.base_delay_millis;
  for (int i = 0; i < retry && cap < policy.max_delay_millis; ++i) cap *= 2;
  cap = std::min(cap, policy.max_delay_millis);
  const double draw = std::clamp(uniform01, 0.0, 1.0);
  return std::min<int64_t>(cap - 1, static_cast<int64_t>(draw * static_cast<double>(cap)));
}

Status StatusOfHttp(int http_status, const std::string& what) {
  const std::string message = what + " (HTTP " + std::to_string(http_status) + ")";
  if (http_status >= 200 && http_status < 300) return Status::Ok();
  switch (http_status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return Unavailable(message);
    case 401:
    case 403:
      return FailedPrecondition("access denied: " + message);
    case 404:
      return NotFound(message);
    case 409:
    case 412:
      return Aborted(message);
    default:
      return http_status >= 400 && http_status < 500 ? InvalidArgument(message) : Internal(message);
  }
}

namespace {

// Retry-After in whole seconds (the only form AWS sends), in millis; 0 when absent or not
// a number.
int64_t RetryAfterMillis(const HttpResponse& response) {
  const std::string value = response.Header("Retry-After");
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) return 0;
  return std::min<int64_t>(seconds, 3600) * 1000;
}

}  // namespace

Result<HttpResponse> SendWithRetries(HttpClient& client, HttpRequest request,
                                     const SignAttempt& sign, const ClassifyResponse& classify,
                                     const HttpRetryPolicy& policy, Clock& clock,
                                     const std::function<double()>& uniform01) {
  Status last;
  const int attempts = std::max(1, policy.max_attempts);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    SB_RETURN_IF_ERROR(sign(request));
    Result<HttpResponse> response = client.Send(request);
    int64_t at_least = 0;  // what the service asked to wait
    if (!response.ok()) {
      last = response.status();
    } else {
      last = classify(*response);
      if (last.ok()) return response;
      at_least = std::min(RetryAfterMillis(*response), policy.max_delay_millis);
    }
    if (!last.retryable()) return last;
    if (attempt + 1 < attempts) {
      clock.SleepForMillis(std::max(BackoffMillis(policy, attempt, uniform01()), at_least));
    }
  }
  return Status(last.code(), last.message() + " (after " + std::to_string(attempts) + " attempts)");
}

}  // namespace spotbatch
