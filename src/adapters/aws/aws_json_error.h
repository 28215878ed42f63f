// The errors of AWS's JSON-protocol services (SQS, DynamoDB) read from their responses, and
// what each means for the caller: a pure parser of untrusted input (fuzzed by
// fuzz/aws_json_error_fuzzer.cc).
#pragma once

#include <string>
#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

// A service's answer to a call that failed, as read from its response.
struct AwsServiceError {
  int http_status = 0;
  // The error code: the part of "__type" after '#' ("ConditionalCheckFailedException"), or of
  // SQS's x-amzn-query-error header before ';' ("AWS.SimpleQueueService.NonExistentQueue");
  // empty when the response names none. At most 128 printable bytes.
  std::string code;
  // The service's message, at most 300 bytes, control bytes replaced by '?': responses are
  // untrusted and end up in logs.
  std::string message;
};

// Reads the error of a failed JSON-protocol response: its HTTP status, its x-amzn-query-error
// header (empty when absent) and its body (JSON, or the query protocol's XML <Error> that
// some front ends answer with). Never fails: what cannot be read stays empty.
AwsServiceError ParseAwsJsonError(int http_status, std::string_view query_error_header,
                                  std::string_view body);

// What an error means, by the codes the services share: throttling, internal errors, expired
// signatures or tokens and Auto Scaling's "another activity is under way" kUnavailable (the
// retry signs anew with fresh credentials); access denied and bad credentials
// kFailedPrecondition; validation kInvalidArgument; a missing resource kNotFound; a failed
// condition or a cancelled transaction kAborted; a resource in use or already there
// kAlreadyExists; no capacity or a quota reached kResourceExhausted. Other codes go by the
// HTTP status (StatusOfHttp).
StatusCode StatusCodeOfAwsError(const AwsServiceError& error);

// "<action>: <code>: <message>" of a failed call (the HTTP status where the answer named no
// code, no message part where it had none): what a client's failure says.
std::string AwsErrorMessage(std::string_view action, const AwsServiceError& error);

}  // namespace spotbatch
