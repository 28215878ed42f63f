// The AWS Lambda Runtime API, as a custom runtime ("provided.al2023") speaks it: fetch the
// next invocation, answer it with a response or an error, report a failed start. What
// `spotbatch lambda` runs, so that the reference architecture's Lambda function is spotbatch's
// own ingest. https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "adapters/aws/http_client.h"
#include "spotbatch/status.h"

namespace spotbatch {

struct LambdaInvocation {
  std::string request_id;      // Lambda-Runtime-Aws-Request-Id, checked (it goes into paths)
  int64_t deadline_unix_millis = 0;  // Lambda-Runtime-Deadline-Ms; 0 when not given
  std::string function_arn;    // Lambda-Runtime-Invoked-Function-Arn (informational)
  std::string event;           // the event document, as sent
};

// What a handler answers: a response document, or an error whose type and message Lambda
// records (and, for asynchronous invocations, retries).
struct LambdaOutcome {
  bool ok = true;
  std::string body;        // ok: the response document (JSON)
  std::string error_type;  // !ok: e.g. "spotbatch.Unavailable"
  std::string error_message;
};

class LambdaRuntimeClient {
 public:
  // `api` is $AWS_LAMBDA_RUNTIME_API ("host:port"). kInvalidArgument when it is not one.
  static Result<std::unique_ptr<LambdaRuntimeClient>> New(const std::string& api);

  // Waits for the next invocation (the call blocks until there is one). kUnavailable when the
  // Runtime API cannot be reached; kInternal for an answer without a valid request id.
  Result<LambdaInvocation> Next();
  // Answers `request_id` (202 expected). A 413 (payload too large) is kInvalidArgument.
  Status Respond(const std::string& request_id, const LambdaOutcome& outcome);
  // Reports that the runtime could not start (before any Next()).
  Status InitError(const std::string& error_type, const std::string& message);

 private:
  explicit LambdaRuntimeClient(std::unique_ptr<HttpClient> http) : http_(std::move(http)) {}
  Status Post(const std::string& path, std::string body, const std::string& error_type);

  std::unique_ptr<HttpClient> http_;
};

using LambdaHandler = std::function<LambdaOutcome(const LambdaInvocation&)>;

// The runtime loop: Next, handle, Respond, until `keep_going` says stop (asked before each
// Next) or the Runtime API fails (then its status: Lambda restarts a runtime that exits).
// A Respond that fails is retried a few times, then the loop ends with its status.
Status RunLambdaLoop(LambdaRuntimeClient& client, const LambdaHandler& handler,
                     const std::function<bool()>& keep_going);

}  // namespace spotbatch
