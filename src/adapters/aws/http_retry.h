// Retrying AWS requests, as the AWS SDKs do: on throttling, a server error or a broken
// connection, wait a full-jitter exponential backoff (a uniform draw below base * 2^retry,
// capped) and send again, signed anew (a signature holds only for its second); anything else
// goes back to the caller at once with the status code that says what to do with it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "adapters/aws/http_client.h"
#include "spotbatch/clock.h"

namespace spotbatch {

struct HttpRetryPolicy {
  int max_attempts = 5;  // the first one included
  int64_t base_delay_millis = 50;
  int64_t max_delay_millis = 20'000;
};

// A uniform draw in [0, 1) from a per-thread generator seeded by the OS: the jitter of
// production retries (tests pass their own).
double JitterDraw();

// The wait before retry `retry` (0 for the first), a full-jitter draw: `uniform01` in [0, 1)
// times min(max_delay, base * 2^retry).
int64_t BackoffMillis(const HttpRetryPolicy& policy, int retry, double uniform01);

// What an HTTP status means when the service's error code says nothing more: 2xx OK;
// 408, 429, 500, 502, 503, 504 kUnavailable (retry); 401 and 403 kFailedPrecondition (access
// denied: retrying will not help); 404 kNotFound; 409 and 412 kAborted (a condition failed);
// other 4xx kInvalidArgument; anything else kInternal. `what` goes into the message.
Status StatusOfHttp(int http_status, const std::string& what);

// Prepares an attempt (signs `request` at the clock's time); a failure ends the retries.
using SignAttempt = std::function<Status(HttpRequest&)>;
// What a response means for its service: OK (done), a retryable status (try again), or the
// failure to return. Each adapter reads its service's error codes here (e.g. DynamoDB's
// ConditionalCheckFailedException is kAborted, S3's SlowDown kUnavailable).
using ClassifyResponse = std::function<Status(const HttpResponse&)>;

// Sends `request` until `classify` accepts the response or gives a failure that is not
// retryable, a transport failure is not retryable (kDeadlineExceeded and kUnavailable are),
// or `policy.max_attempts` are spent (then the last failure, its message saying how many
// attempts were made). Waits on `clock` between attempts, at least a response's Retry-After
// seconds (up to max_delay). `uniform01` draws the jitter. Returns the accepted response.
Result<HttpResponse> SendWithRetries(HttpClient& client, HttpRequest request,
                                     const SignAttempt& sign, const ClassifyResponse& classify,
                                     const HttpRetryPolicy& policy, Clock& clock,
                                     const std::function<double()>& uniform01);

}  // namespace spotbatch
