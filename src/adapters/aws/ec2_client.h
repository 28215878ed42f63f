// A client of EC2's query protocol: every call is a signed POST of a form
// ("Action=...&Version=2016-11-15&...") to "/", retried as http_retry.h says; a failure is read
// from EC2's error document (aws_json_error.h reads its XML) so that the caller's status says what to do
// (RequestLimitExceeded kUnavailable and retried, UnauthorizedOperation kFailedPrecondition
// and not). The market's reads of EC2 go through it (ec2_market_reads.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_request.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/provided_signer.h"
#include "spotbatch/clock.h"

namespace spotbatch {

struct Ec2ClientOptions {
  std::string endpoint;  // "https://ec2.us-east-1.amazonaws.com", "http://127.0.0.1:5000"
  std::string region;    // "us-east-1"
  HttpRetryPolicy retry;
  HttpClientOptions http;
};

class Ec2Client {
 public:
  // kInvalidArgument for an endpoint HttpClient refuses or an empty region. `credentials` and
  // `clock` must outlive the client.
  static Result<std::unique_ptr<Ec2Client>> New(Ec2ClientOptions options,
                                                CredentialsProvider& credentials, Clock& clock);

  // Calls `action` with `params` (names as EC2 spells them: "InstanceType.1"); the answer's
  // XML on success. A failure carries the status of EC2's error code (StatusCodeOfAwsError)
  // and the message "<Action>: <code>: <message>"; transport failures are HttpClient's, after
  // the retries. Thread-safe.
  Result<std::string> Call(std::string_view action, const QueryParams& params);

 private:
  Ec2Client(Ec2ClientOptions options, std::unique_ptr<HttpClient> http,
            CredentialsProvider& credentials, Clock& clock);

  const Ec2ClientOptions options_;
  const std::string host_;
  std::unique_ptr<HttpClient> http_;
  ProvidedSigner signer_;
  Clock& clock_;
};

}  // namespace spotbatch
