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
  SB_ASSIGN_OR_RETURN(std::unique_ptr<SignedPost> post,
                      SignedPost::New(options.endpoint, options.http,
                                      SigV4Options::Service(options.region, options.signing_name),
                                      credentials, clock));
  return std::unique_ptr<AwsJsonClient>(new AwsJsonClient(std::move(options), std::move(post)));
}

Result<nlohmann::json> AwsJsonClient::Call(std::string_view action, const nlohmann::json& input,
                                           nlohmann::json* error_document) {
  if (error_document != nullptr) *error_document = nullptr;
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
  auto response =
      post_->Send(options_.content_type, input.dump(),
                  {{"X-Amz-Target", options_.target_prefix + "." + std::string(action)}}, classify,
                  options_.retry);
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
