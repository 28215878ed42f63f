#include "adapters/aws/aws_query_client.h"

#include <utility>

#include "adapters/aws/aws_json_error.h"
#include "adapters/aws/uri_encode.h"

namespace spotbatch {

Result<std::unique_ptr<AwsQueryClient>> AwsQueryClient::New(AwsQueryClientOptions options,
                                                            CredentialsProvider& credentials,
                                                            Clock& clock) {
  if (options.region.empty()) {
    return InvalidArgument("a client of " + std::string(options.api.service) + " needs a region");
  }
  SB_ASSIGN_OR_RETURN(
      std::unique_ptr<SignedPost> post,
      SignedPost::New(options.endpoint, options.http,
                      SigV4Options::Service(options.region, std::string(options.api.service)),
                      credentials, clock));
  return std::unique_ptr<AwsQueryClient>(new AwsQueryClient(std::move(options), std::move(post)));
}

Result<std::string> AwsQueryClient::Call(std::string_view action, const QueryParams& params) {
  QueryParams form = {{"Action", std::string(action)},
                      {"Version", std::string(options_.api.version)}};
  form.insert(form.end(), params.begin(), params.end());
  auto classify = [&](const HttpResponse& response) -> Status {
    if (response.status >= 200 && response.status < 300) return Status::Ok();
    // EC2's <Response><Errors><Error>, Auto Scaling's <ErrorResponse><Error>.
    const AwsServiceError error = ParseAwsJsonError(response.status, "", response.body);
    return Status(StatusCodeOfAwsError(error), AwsErrorMessage(action, error));
  };
  SB_ASSIGN_OR_RETURN(HttpResponse response,
                      post_->Send("application/x-www-form-urlencoded; charset=utf-8",
                                  UriEncodeQuery(form), {}, classify, options_.retry));
  return std::move(response.body);
}

}  // namespace spotbatch
