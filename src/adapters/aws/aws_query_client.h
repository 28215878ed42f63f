// A client of AWS's query protocol, which EC2, Auto Scaling and CloudWatch speak: every call is
// a signed POST of a form ("Action=...&Version=...&...") to "/", retried as http_retry.h says;
// a failure is read from the service's XML error document (aws_json_error.h reads it) so that
// the caller's status says what to do (RequestLimitExceeded or Throttling kUnavailable and
// retried, UnauthorizedOperation or AccessDenied kFailedPrecondition and not).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_request.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/signed_post.h"
#include "spotbatch/clock.h"

namespace spotbatch {

// A service of the query protocol: its name in signatures and its API version.
struct QueryApi {
  std::string_view service;
  std::string_view version;
};
inline constexpr QueryApi kEc2Api{"ec2", "2016-11-15"};
inline constexpr QueryApi kAutoScalingApi{"autoscaling", "2011-01-01"};
inline constexpr QueryApi kCloudWatchApi{"monitoring", "2010-08-01"};

struct AwsQueryClientOptions {
  std::string endpoint;  // "https://ec2.us-east-1.amazonaws.com", "http://127.0.0.1:5000"
  std::string region;    // "us-east-1"
  QueryApi api = kEc2Api;
  HttpRetryPolicy retry;
  HttpClientOptions http;
};

class AwsQueryClient {
 public:
  // kInvalidArgument for an endpoint HttpClient refuses or an empty region. `credentials` and
  // `clock` must outlive the client.
  static Result<std::unique_ptr<AwsQueryClient>> New(AwsQueryClientOptions options,
                                                     CredentialsProvider& credentials,
                                                     Clock& clock);

  // Calls `action` with `params` (names as the service spells them: "InstanceType.1"); the
  // answer's XML on success. A failure carries the status of its error code (StatusCodeOfAwsError)
  // and the message "<Action>: <code>: <message>"; transport failures are HttpClient's, after
  // the retries. Thread-safe.
  Result<std::string> Call(std::string_view action, const QueryParams& params);

 private:
  AwsQueryClient(AwsQueryClientOptions options, std::unique_ptr<SignedPost> post)
      : options_(std::move(options)), post_(std::move(post)) {}

  const AwsQueryClientOptions options_;
  std::unique_ptr<SignedPost> post_;
};

}  // namespace spotbatch
