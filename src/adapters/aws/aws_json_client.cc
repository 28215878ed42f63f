#include "adapters/aws/aws_json_client.h"

#include <utility>

#include "common/control_bytes.h"

namespace spotbatch {

Result<std::unique_ptr<AwsJsonClient>> AwsJsonClient::New(AwsJsonServiceOptions options,
                                                          CredentialsProvider& credentials,
                                                          Clock& clock) {
  if (options.region.empty() || options.signing_name.empty() || options.target_prefix.empty()) {
    return InvalidArgument("an AWS JSON service needs a region, a signing name and a target");
  }
  auto http = HttpClient::New(options.endpoint, options.http);
  if (!http.ok()) return http.status();
  return std::unique_ptr<AwsJsonClient>(
      new AwsJsonClient(std::move(options), std::move(*http), credentials, clock));
}

AwsJsonClient::AwsJsonClient(AwsJsonServiceOptions options, std::unique_ptr<HttpClient> http,
                             CredentialsProvider& credentials, Clock& clock)
    : options_(std::move(options)),
      // HttpClient::New checked the form http[s]://host[:port].
      host_(options_.endpoint.substr(options_.endpoint.find("://") + 3)),
      http_(std::move(http)),
      signer_(credentials, SigV4Options::Service(options_.region, options_.signing_name), clock),
      clock_(clock) {}

Result<nlohmann::json> AwsJsonClient::Call(std::string_view action, const nlohmann::json& input,
                                           nlohmann::json* error_document) {
  if (error_document != nullptr) *error_document = nullptr;
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers.emplace("Host", host_);
  request.headers.emplace("Content-Type", options_.content_type);
  request.headers.emplace("X-Amz-Target", options_.target_prefix + "." + std::string(action));
  request.body = input.dump();
  auto classify = [&](const HttpResponse& response) -> Status {
    if (response.status >= 200 && response.status < 300) return Status::Ok();
    const AwsServiceError error =
        ParseAwsJsonError(response.status, response.Header("x-amzn-query-error"), response.body);
    std::optional<StatusCode> code;
    if (options_.classify) code = options_.classify(error);
    if (!code) code = StatusCodeOfAwsError(error);
    if (*code == StatusCode::kOk) return Status::Ok();
    if (error_document != nullptr) {
      *error_document = nlohmann::json::parse(response.body, nullptr, false);
    }
    return Status(*code, AwsErrorMessage(action, error));
  };
  auto response = SendWithRetries(
      *http_, std::move(request), [&](HttpRequest& r) { return signer_.SignHeaders(r).status(); },
      classify, options_.retry, clock_, JitterDraw);
  if (!response.ok()) return response.status();
  if (error_document != nullptr) *error_document = nullptr;  // a retry succeeded
  if (response->body.empty()) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  if (doc.is_discarded()) {
    return Internal(std::string(action) +
                    ": the response is not JSON: " + Quotable(response->body, 100));
  }
  return doc;
}

}  // namespace spotbatch
