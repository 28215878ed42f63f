// Opens the adapters a config names. The only place that knows which adapter backs a port.
#pragma once

#include <memory>

#include "adapters/aws/credentials_chain.h"
#include "agent/ingest.h"
#include "agent/worker.h"
#include "apps/config.h"
#include "common/file_system.h"
#include "spotbatch/object_store.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

// What the adapters run on: the calls that change files and the clock. Tests replace both (a
// disk that loses power, a clock that has moved past the leases of a machine that died).
struct Platform {
  FileSystem* fs = &PosixFileSystem();
  Clock* clock = &SystemClock();
  // The instance metadata service the credentials chain may ask for the instance role (the
  // worker's --on-ec2 or --metadata-url); empty: $AWS_EC2_METADATA_SERVICE_ENDPOINT, else none.
  std::string imds_endpoint;
};

struct Services {
  // What the AWS adapters sign with (set when the config uses one): declared first, so that it
  // outlives them.
  std::unique_ptr<CredentialsProvider> credentials;
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<TaskQueue> queue;
  std::unique_ptr<StateStore> state;
  // [ingest] events: the SQS queue the input bucket notifies of uploads; null without, or when
  // not asked for (EventsQueue::kSkip).
  std::unique_ptr<TaskQueue> events;
};

// Whether Services::events is opened: only `up` consumes [ingest] events, so no other command
// touches that queue (nor needs the permission to).
enum class EventsQueue { kSkip, kOpen };

// The adapters `config` names: S3, SQS and DynamoDB where it says so (any mix), the directory
// store and the SQLite queue and state otherwise; the pipeline's queues configured. Fails as
// the adapters do, or when an AWS adapter has no region or credentials (saying what was
// tried).
Result<Services> OpenServices(const Config& config, const Platform& platform = {},
                              EventsQueue events = EventsQueue::kSkip);
// The ingest of the config's pipeline over `services`.
Ingest IngestFor(const Config& config, Services& services, Clock& clock = SystemClock());
// The options of `spotbatch worker --id worker_id` under `config`.
WorkerOptions WorkerOptionsFor(const Config& config, const std::string& worker_id);

}  // namespace spotbatch
