#include "adapters/aws/aws_json_error.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "adapters/aws/http_retry.h"
#include "common/control_bytes.h"

namespace spotbatch {
namespace {

constexpr size_t kMaxCodeBytes = 128;
constexpr size_t kMaxMessageBytes = 300;

// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" → the part after '#';
// some services append ":<url>" to the code.
std::string CodeOfType(std::string_view type) {
  if (size_t hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (size_t colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  return Quotable(type, kMaxCodeBytes);
}

bool OneOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

// An error body in the query protocol's XML (<ErrorResponse><Error><Code>...), which a
// service's front end may send instead of JSON (moto sends its access denials so): its code
// and message, when it has them.
void ReadXmlError(std::string_view body, AwsServiceError& error) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8)) return;
  const pugi::xml_node e = doc.select_node("//Error").node();
  if (error.code.empty()) error.code = Quotable(e.child_value("Code"), kMaxCodeBytes);
  error.message = Quotable(e.child_value("Message"), kMaxMessageBytes);
}

}  // namespace

AwsServiceError ParseAwsJsonError(int http_status, std::string_view query_error,
                                  std::string_view body) {
  AwsServiceError error;
  error.http_status = http_status;
  // SQS's JSON protocol names the code of its query protocol here, which is the one its
  // documentation lists ("AWS.SimpleQueueService.NonExistentQueue;Sender").
  if (!query_error.empty()) {
    error.code = Quotable(query_error.substr(0, query_error.find(';')), kMaxCodeBytes);
  }
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    if (body.starts_with("<")) ReadXmlError(body, error);
    return error;
  }
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
      error.message = Quotable(it->get_ref<const std::string&>(), kMaxMessageBytes);
      break;
    }
  }
  return error;
}

std::string AwsErrorMessage(std::string_view action, const AwsServiceError& error) {
  std::string message = std::string(action) + ": ";
  message += error.code.empty() ? "HTTP " + std::to_string(error.http_status) : error.code;
  if (!error.message.empty()) message += ": " + error.message;
  return message;
}

StatusCode StatusCodeOfAwsError(const AwsServiceError& error) {
  const std::string_view code = error.code;
  if (OneOf(code, {"ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled",
                   "RequestThrottledException", "TooManyRequestsException",
                   "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                   "LimitExceededException", "TransactionInProgressException", "ServiceUnavailable",
                   "ServiceUnavailableException", "InternalFailure", "InternalError",
                   "InternalServerError", "RequestTimeout", "RequestTimeoutException",
                   "ExpiredToken", "ExpiredTokenException", "RequestExpired",
                   "AWS.SimpleQueueService.RequestThrottled", "KMSThrottlingException",
                   // Auto Scaling: another change of the group is under way.
                   "ScalingActivityInProgress", "ResourceContention"})) {
    return StatusCode::kUnavailable;
  }
  if (OneOf(code, {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
                   "InvalidClientTokenId", "SignatureDoesNotMatch", "MissingAuthenticationToken",
                   "IncompleteSignature", "InvalidSignatureException",
                   "MissingAuthenticationTokenException", "NotAuthorized", "UnauthorizedOperation",
                   "AuthFailure"})) {
    return StatusCode::kFailedPrecondition;
  }
  if (OneOf(code, {"ConditionalCheckFailedException", "TransactionCanceledException",
                   "TransactionConflictException"})) {
    return StatusCode::kAborted;
  }
  if (OneOf(code,
            {"ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue",
             "QueueDoesNotExist", "InvalidInstanceID.NotFound", "NoSuchEntity",
             "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound"})) {
    return StatusCode::kNotFound;
  }
  if (OneOf(code, {"ResourceInUseException", "AlreadyExists", "EntityAlreadyExists",
                   "InvalidLaunchTemplateName.AlreadyExistsException"})) {
    return StatusCode::kAlreadyExists;
  }
  // No capacity for the launch, or an account quota reached: nothing to retry at once.
  if (OneOf(code, {"InsufficientInstanceCapacity", "LimitExceeded"})) {
    return StatusCode::kResourceExhausted;
  }
  if (OneOf(code, {"ValidationException", "ValidationError", "SerializationException",
                   "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter",
                   "InvalidAction", "ItemCollectionSizeLimitExceededException"})) {
    return StatusCode::kInvalidArgument;
  }
  return StatusOfHttp(error.http_status, "").code();
}

}  // namespace spotbatch
