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
  auto http = HttpClient::New(options.endpoint, options.http);
  if (!http.ok()) return http.status();
  return std::unique_ptr<AwsQueryClient>(
      new AwsQueryClient(std::move(options), std::move(*http), credentials, clock));
}

AwsQueryClient::AwsQueryClient(AwsQueryClientOptions options, std::unique_ptr<HttpClient> http,
                               CredentialsProvider& credentials, Clock& clock)
    : options_(std::move(options)),
      // HttpClient::New checked the form http[s]://host[:port].
      host_(options_.endpoint.substr(options_.endpoint.find("://") + 3)),
      http_(std::move(http)),
      signer_(credentials,
              SigV4Options::Service(options_.region, std::string(options_.api.service)), clock),
      clock_(clock) {}

Result<std::string> AwsQueryClient::Call(std::string_view action, const QueryParams& params) {
  QueryParams form = {{"Action", std::string(action)},
                      {"Version", std::string(options_.api.version)}};
  form.insert(form.end(), params.begin(), params.end());
  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.headers.emplace("Host", host_);
  request.headers.emplace("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  request.body = UriEncodeQuery(form);
  auto classify = [&](const HttpResponse& response) -> Status {
    if (response.status >= 200 && response.status < 300) return Status::Ok();
    // EC2's <Response><Errors><Error>, Auto Scaling's <ErrorResponse><Error>.
    const AwsServiceError error = ParseAwsJsonError(response.status, "", response.body);
    return Status(StatusCodeOfAwsError(error), AwsErrorMessage(action, error));
  };
  auto response = SendWithRetries(
      *http_, std::move(request), [&](HttpRequest& r) { return signer_.SignHeaders(r).status(); },
      classify, options_.retry, clock_, JitterDraw);
  if (!response.ok()) return response.status();
  return std::move(response->body);
}

}  // namespace spotbatch
