// The handler of `spotbatch lambda`: the reference architecture's Lambda function, which turns
// each upload into a job exactly as `put` and `up` do (EventIngest::Handle). An invocation's
// event is either
//   - an S3 event notification (the bucket invokes the function): handled whole; a retryable
//     failure is an error, so that Lambda invokes again (ingesting twice is harmless), and an
//     event that is no notification is an error of type spotbatch.NotANotification;
//   - an SQS event whose messages are S3 notifications (the bucket notifies a queue that
//     triggers the function): each message handled alone, the ones to try again listed in
//     "batchItemFailures" (the event source mapping needs ReportBatchItemFailures; without it
//     Lambda retries the whole batch, which is harmless too). A message that is no notification
//     is listed as well, so that the queue's redrive policy moves it to its dead-letter queue.
// The response document counts what was done: {"objects", "created_jobs", "skipped", "notes"}.
#pragma once

#include <string_view>

#include "adapters/aws/lambda_runtime.h"
#include "agent/event_ingest.h"

namespace spotbatch {

LambdaOutcome HandleIngestInvocation(EventIngest& ingest, std::string_view event);

}  // namespace spotbatch
