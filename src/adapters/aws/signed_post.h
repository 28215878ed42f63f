// What the query-protocol and JSON-protocol clients (aws_query_client.h, aws_json_client.h)
// share: one endpoint and its connection, a SigV4 signer for a service in a region, and a POST
// of a body to "/", signed afresh for each attempt and retried as http_retry.h says.
#pragma once

#include <memory>
#include <string>

#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/provided_signer.h"
#include "spotbatch/clock.h"

namespace spotbatch {

class SignedPost {
 public:
  // kInvalidArgument for an endpoint HttpClient refuses. `credentials` and `clock` must
  // outlive it.
  static Result<std::unique_ptr<SignedPost>> New(const std::string& endpoint,
                                                 const HttpClientOptions& http,
                                                 SigV4Options signing,
                                                 CredentialsProvider& credentials, Clock& clock);

  // POSTs `body` with Host, `content_type` and the `extra` headers; the response `classify`
  // accepts, else the failure SendWithRetries returns. Thread-safe.
  Result<HttpResponse> Send(const std::string& content_type, std::string body,
                            const HeaderMap& extra, const ClassifyResponse& classify,
                            const HttpRetryPolicy& retry);

  HttpClient& http() { return *http_; }

 private:
  SignedPost(std::string host, std::unique_ptr<HttpClient> http, SigV4Options signing,
             CredentialsProvider& credentials, Clock& clock);

  const std::string host_;
  std::unique_ptr<HttpClient> http_;
  ProvidedSigner signer_;
  Clock& clock_;
};

}  // namespace spotbatch
