#include "adapters/aws/lambda_runtime.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "adapters/aws/http_retry.h"

namespace spotbatch {
namespace {

constexpr const char* kVersion = "/2018-06-01";
constexpr size_t kMaxRequestIdBytes = 128;
// Lambda's limit for a synchronous event is 6 MB, for an asynchronous one 256 KB.
constexpr size_t kMaxEventBytes = 6 << 20;
constexpr int kRespondAttempts = 3;

bool ValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<LambdaRuntimeClient>> LambdaRuntimeClient::New(const std::string& api) {
  if (api.empty() || api.find_first_of("/?#@ ") != std::string::npos) {
    return InvalidArgument("AWS_LAMBDA_RUNTIME_API must be host:port, not \"" +
                           api.substr(0, 100) + "\"");
  }
  HttpClientOptions options;
  // Next blocks until an invocation comes, which can take any time; Lambda freezes the
  // process meanwhile.
  options.timeout_millis = 24LL * 3600 * 1000;
  options.max_response_bytes = kMaxEventBytes;
  options.max_idle_handles = 1;
  auto http = HttpClient::New("http://" + api, options);
  if (!http.ok()) return http.status();
  return std::unique_ptr<LambdaRuntimeClient>(new LambdaRuntimeClient(std::move(*http)));
}

Result<LambdaInvocation> LambdaRuntimeClient::Next() {
  HttpRequest request;
  request.method = "GET";
  request.path = std::string(kVersion) + "/runtime/invocation/next";
  auto response = http_->Send(request);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return Unavailable("runtime API: next invocation: HTTP " + std::to_string(response->status));
  }
  LambdaInvocation invocation;
  invocation.request_id = response->Header("Lambda-Runtime-Aws-Request-Id");
  if (!ValidRequestId(invocation.request_id)) {
    return Internal("runtime API: next invocation without a valid request id");
  }
  const std::string deadline = response->Header("Lambda-Runtime-Deadline-Ms");
  int64_t millis = 0;
  auto [end, ec] = std::from_chars(deadline.data(), deadline.data() + deadline.size(), millis);
  if (ec == std::errc() && end == deadline.data() + deadline.size()) {
    invocation.deadline_unix_millis = millis;
  }
  invocation.function_arn = response->Header("Lambda-Runtime-Invoked-Function-Arn").substr(0, 256);
  invocation.event = std::move(response->body);
  return invocation;
}

Status LambdaRuntimeClient::Post(const std::string& path, std::string body,
                                 const std::string& error_type) {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.headers.emplace("Content-Type", "application/json");
  if (!error_type.empty()) request.headers.emplace("Lambda-Runtime-Function-Error-Type", error_type);
  request.body = std::move(body);
  auto response = http_->Send(request);
  if (!response.ok()) return response.status();
  if (response->status == 202) return Status::Ok();
  if (response->status == 413) return InvalidArgument("runtime API: the response is too large");
  return StatusOfHttp(response->status, "runtime API: " + path);
}

Status LambdaRuntimeClient::Respond(const std::string& request_id, const LambdaOutcome& outcome) {
  if (!ValidRequestId(request_id)) return InvalidArgument("invalid request id");
  const std::string base = std::string(kVersion) + "/runtime/invocation/" + request_id;
  if (outcome.ok) return Post(base + "/response", outcome.body, "");
  const nlohmann::json error = {{"errorType", outcome.error_type},
                                {"errorMessage", outcome.error_message},
                                {"stackTrace", nlohmann::json::array()}};
  return Post(base + "/error", error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
              outcome.error_type);
}

Status LambdaRuntimeClient::InitError(const std::string& error_type, const std::string& message) {
  const nlohmann::json error = {{"errorType", error_type}, {"errorMessage", message}};
  return Post(std::string(kVersion) + "/runtime/init/error",
              error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), error_type);
}

Status RunLambdaLoop(LambdaRuntimeClient& client, const LambdaHandler& handler,
                     const std::function<bool()>& keep_going) {
  while (keep_going()) {
    Result<LambdaInvocation> invocation = client.Next();
    if (!invocation.ok()) return invocation.status();
    const LambdaOutcome outcome = handler(*invocation);
    Status answered;
    for (int attempt = 0; attempt < kRespondAttempts; ++attempt) {
      answered = client.Respond(invocation->request_id, outcome);
      if (answered.ok() || !answered.retryable()) break;
    }
    if (!answered.ok()) return answered;
  }
  return Status::Ok();
}

}  // namespace spotbatch
