#include "adapters/aws/signed_post.h"

#include <utility>

namespace spotbatch {

Result<std::unique_ptr<SignedPost>> SignedPost::New(const std::string& endpoint,
                                                    const HttpClientOptions& http,
                                                    SigV4Options signing,
                                                    CredentialsProvider& credentials,
                                                    Clock& clock) {
  SB_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, HttpClient::New(endpoint, http));
  // HttpClient::New checked the form http[s]://host[:port].
  std::string host = endpoint.substr(endpoint.find("://") + 3);
  return std::unique_ptr<SignedPost>(
      new SignedPost(std::move(host), std::move(client), std::move(signing), credentials, clock));
}

SignedPost::SignedPost(std::string host, std::unique_ptr<HttpClient> http, SigV4Options signing,
                       CredentialsProvider& credentials, Clock& clock)
    : host_(std::move(host)),
      http_(std::move(http)),
      signer_(credentials, std::move(signing), clock),
      clock_(clock) {}

Result<HttpResponse> SignedPost::Send(const std::string& content_type, std::string body,
                                      const HeaderMap& extra, const ClassifyResponse& classify,
                                      const HttpRetryPolicy& retry) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers.emplace("Host", host_);
  request.headers.emplace("Content-Type", content_type);
  for (const auto& [name, value] : extra) request.headers.emplace(name, value);
  request.body = std::move(body);
  return SendWithRetries(
      *http_, std::move(request), [&](HttpRequest& r) { return signer_.SignHeaders(r).status(); },
      classify, retry, clock_, JitterDraw);
}

}  // namespace spotbatch
