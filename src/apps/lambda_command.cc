#include "apps/lambda_command.h"

#include <cstdio>
#include <cstdlib>

#include "adapters/aws/lambda_runtime.h"
#include "apps/lambda_handler.h"
#include "apps/s3_notifications.h"
#include "apps/wiring.h"

namespace spotbatch {
int LambdaCommand(const Config& config) {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr || *api == '\0') {
    std::fprintf(stderr,
                 "spotbatch lambda: AWS_LAMBDA_RUNTIME_API is not set (this command runs as a "
                 "Lambda function's bootstrap)\n");
    return 2;
  }
  auto client = LambdaRuntimeClient::New(api);
  if (!client.ok()) {
    std::fprintf(stderr, "spotbatch lambda: %s\n", client.status().ToString().c_str());
    return 2;
  }
  auto services = OpenServices(config);
  if (!services.ok()) {
    std::fprintf(stderr, "spotbatch lambda: %s\n", services.status().ToString().c_str());
    (void)(*client)->InitError("spotbatch.InitError", services.status().ToString());
    return 1;
  }
  Ingest ingest = IngestFor(config, *services);
  // Poll is not used here (Lambda delivers the events), so no events queue is named.
  EventIngest events(ingest, config.pipeline, *services->store, *services->queue, "",
                     DecodeS3Notification);
  Status ended = RunLambdaLoop(
      **client,
      [&](const LambdaInvocation& invocation) {
        LambdaOutcome outcome = HandleIngestInvocation(events, invocation.event);
        // CloudWatch Logs takes the runtime's stderr.
        std::fprintf(stderr, "spotbatch lambda: %s %s\n", invocation.request_id.c_str(),
                     outcome.ok ? outcome.body.c_str() : outcome.error_message.c_str());
        return outcome;
      },
      [] { return true; });
  if (!ended.ok()) {
    std::fprintf(stderr, "spotbatch lambda: runtime API: %s\n", ended.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace spotbatch
