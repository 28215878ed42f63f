// `spotbatch lambda -c FILE`: the ingest handler (lambda_handler.h) as a Lambda custom runtime.
// Packaged as the function's `bootstrap` with its config, it reads the Runtime API's address
// from $AWS_LAMBDA_RUNTIME_API and serves invocations until Lambda ends the sandbox. A signal
// ends it at once, even within an invocation: what that invocation ingested is kept, and the
// event comes again (ingesting twice is harmless). A Runtime API that fails ends it with exit
// code 1, and Lambda starts a new one.
#pragma once

#include "apps/config.h"

namespace spotbatch {

int LambdaCommand(const Config& config);

}  // namespace spotbatch
