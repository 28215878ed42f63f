#include "adapters/aws/aws_json_client.h"

#include <array>
#include <random>
#include <utility>

#include "common/control_bytes.h"

namespace spotbatch {
namespace {

constexpr size_t kMaxCodeBytes = 128;
constexpr size_t kMaxMessageBytes = 300;

std::string Printable(std::string_view text, size_t limit) {
  std::string out(text.substr(0, limit));
  for (char& c : out) {
    if (IsControlByte(static_cast<unsigned char>(c))) c = '?';
  }
  return out;
}

// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" → the part after '#';
// some services append ":<url>" to the code.
std::string CodeOfType(std::string_view type) {
  if (size_t hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (size_t colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  return Printable(type, kMaxCodeBytes);
}

bool OneOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

double Uniform01() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

AwsServiceError ParseAwsJsonError(const HttpResponse& response) {
  AwsServiceError error;
  error.http_status = response.status;
  // SQS's JSON protocol names the code of its query protocol here, which is the one its
  // documentation lists ("AWS.SimpleQueueService.NonExistentQueue;Sender").
  const std::string query_error = response.Header("x-amzn-query-error");
  if (!query_error.empty()) {
    error.code = Printable(query_error.substr(0, query_error.find(';')), kMaxCodeBytes);
  }
  const nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return error;
  if (error.code.empty()) {
    for (const char* key : {"__type", "code", "Code"}) {
      auto it = doc.find(key);
      if (it != doc.end() && it->is_string()) {
        error.code = CodeOfType(it->get_ref<const std::string&>());
        break;
      }
    }
  }
  for (const char* key : {"message", "Message"}) {
    auto it = doc.find(key);
    if (it != doc.end() && it->is_string()) {
      error.message = Printable(it->get_ref<const std::string&>(), kMaxMessageBytes);
      break;
    }
  }
  return error;
}

StatusCode StatusCodeOfAwsError(const AwsServiceError& error) {
  const std::string_view code = error.code;
  if (OneOf(code, {"ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled",
                   "RequestThrottledException", "TooManyRequestsException",
                   "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                   "LimitExceededException", "TransactionInProgressException",
                   "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
                   "InternalError", "InternalServerError", "RequestTimeout",
                   "RequestTimeoutException", "ExpiredToken", "ExpiredTokenException",
                   "RequestExpired", "AWS.SimpleQueueService.RequestThrottled",
                   "KMSThrottlingException"})) {
    return StatusCode::kUnavailable;
  }
  if (OneOf(code, {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
                   "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationToken",
                   "IncompleteSignature", "InvalidSignatureException",
                   "MissingAuthenticationTokenException", "NotAuthorized"})) {
    return StatusCode::kFailedPrecondition;
  }
  if (OneOf(code, {"ConditionalCheckFailedException", "TransactionCanceledException",
                   "TransactionConflictException"})) {
    return StatusCode::kAborted;
  }
  if (OneOf(code, {"ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue",
                   "QueueDoesNotExist"})) {
    return StatusCode::kNotFound;
  }
  if (OneOf(code, {"ResourceInUseException"})) return StatusCode::kAlreadyExists;
  if (OneOf(code, {"ValidationException", "SerializationException", "InvalidParameterValue",
                   "InvalidParameterCombination", "MissingParameter", "InvalidAction",
                   "ItemCollectionSizeLimitExceededException"})) {
    return StatusCode::kInvalidArgument;
  }
  return StatusOfHttp(error.http_status, "").code();
}

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
    const AwsServiceError error = ParseAwsJsonError(response);
    std::optional<StatusCode> code;
    if (options_.classify) code = options_.classify(error);
    if (!code) code = StatusCodeOfAwsError(error);
    if (*code == StatusCode::kOk) return Status::Ok();
    if (error_document != nullptr) {
      *error_document = nlohmann::json::parse(response.body, nullptr, false);
    }
    std::string message = std::string(action) + ": ";
    message += error.code.empty() ? "HTTP " + std::to_string(error.http_status) : error.code;
    if (!error.message.empty()) message += ": " + error.message;
    return Status(*code, std::move(message));
  };
  auto response = SendWithRetries(
      *http_, std::move(request),
      [&](HttpRequest& r) { return signer_.SignHeaders(r).status(); }, classify, options_.retry,
      clock_, Uniform01);
  if (!response.ok()) return response.status();
  if (error_document != nullptr) *error_document = nullptr;  // a retry succeeded
  if (response->body.empty()) return nlohmann::json::object();
  nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
  if (doc.is_discarded()) {
    return Internal(std::string(action) + ": the response is not JSON: " +
                    Printable(response->body, 100));
  }
  return doc;
}

}  // namespace spotbatch
