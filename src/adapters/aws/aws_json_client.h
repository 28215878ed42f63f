// A client of one AWS service that speaks the JSON protocol (SQS, DynamoDB): every call is a
// signed POST of a JSON document to "/" naming its action in X-Amz-Target, retried as
// http_retry.h says, and its failure read from the service's error document so that the caller
// gets a status code that says what to do (a failed DynamoDB condition is kAborted,
// throttling kUnavailable, access denied kFailedPrecondition and never retried).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/aws/aws_json_error.h"
#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/signed_post.h"
#include "spotbatch/clock.h"

namespace spotbatch {

struct AwsJsonServiceOptions {
  std::string endpoint;       // "https://sqs.us-east-1.amazonaws.com", "http://127.0.0.1:5000"
  std::string region;         // "us-east-1"
  std::string signing_name;   // the service in the credential scope: "sqs", "dynamodb"
  std::string target_prefix;  // X-Amz-Target is "<prefix>.<Action>": "AmazonSQS"
  std::string content_type = "application/x-amz-json-1.0";
  HttpRetryPolicy retry;
  HttpClientOptions http;
  // The service's own codes, asked before the shared ones; nullopt: not one of its own.
  std::function<std::optional<StatusCode>(const AwsServiceError&)> classify;
};

class AwsJsonClient {
 public:
  // kInvalidArgument for an endpoint HttpClient refuses, or an empty region, signing name or
  // target prefix. `credentials` and `clock` must outlive the client.
  static Result<std::unique_ptr<AwsJsonClient>> New(AwsJsonServiceOptions options,
                                                    CredentialsProvider& credentials, Clock& clock);

  // Calls `action` with `input`; the response document on success (an empty object when the
  // service answered with an empty body). Failures carry the status of the error (classify,
  // then StatusCodeOfAwsError) and the message "<Action>: <code>: <message>"; when
  // `error_document` is given it receives the service's error document (for callers that need
  // more than the status, e.g. DynamoDB's cancellation reasons), or null when the call did not
  // get one. A response that is not JSON is kInternal; transport failures are HttpClient's,
  // after the retries. Thread-safe.
  Result<nlohmann::json> Call(std::string_view action, const nlohmann::json& input,
                              nlohmann::json* error_document = nullptr);

  HttpClient& http() { return post_->http(); }
  const AwsJsonServiceOptions& options() const { return options_; }

 private:
  AwsJsonClient(AwsJsonServiceOptions options, std::unique_ptr<SignedPost> post)
      : options_(std::move(options)), post_(std::move(post)) {}

  const AwsJsonServiceOptions options_;
  std::unique_ptr<SignedPost> post_;
};

}  // namespace spotbatch
