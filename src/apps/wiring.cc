#include "apps/wiring.h"

#include <filesystem>

#include "adapters/aws/dynamodb_state_store.h"
#include "adapters/aws/env_credentials.h"
#include "adapters/aws/s3_object_store.h"
#include "adapters/aws/sqs_task_queue.h"
#include "adapters/local/dir_object_store.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"
#include "apps/aws_services.h"

namespace spotbatch {
namespace {

// The adapters of a config that names AWS services, over one credentials chain. `up`'s events
// queue dead-letters a notification delivered this often (one that no poll could handle).
constexpr int kEventMaxReceives = 10;

Status OpenAwsServices(const Config& config, const Platform& platform, EventsQueue events,
                       Services* s) {
  const EnvLookup env = ProcessEnvironment();
  SB_ASSIGN_OR_RETURN(const std::string region, AwsRegionFor(config, env));
  SB_ASSIGN_OR_RETURN(s->credentials,
                      AwsCredentialsFor(config, env, *platform.clock, platform.imds_endpoint));
  if (config.store_on_s3) {
    S3Options options;
    options.region = region;
    options.endpoint = AwsEndpointFor(config, "s3", region);
    options.addressing =
        config.aws.s3_path_style ? S3Addressing::kPathStyle : S3Addressing::kVirtualHost;
    options.work_bucket = config.work_bucket;
    SB_ASSIGN_OR_RETURN(s->store, NewS3ObjectStore(options, *s->credentials, *platform.clock));
  }
  const bool open_events = events == EventsQueue::kOpen && !config.events_queue.empty();
  if (!config.sqs_queue.empty() || open_events) {
    SqsQueueOptions options;
    options.region = region;
    options.endpoint = AwsEndpointFor(config, "sqs", region);
    if (!config.sqs_queue.empty()) {
      SB_ASSIGN_OR_RETURN(s->queue, NewSqsTaskQueue(options, *s->credentials, *platform.clock));
    }
    if (open_events) {
      SB_ASSIGN_OR_RETURN(s->events, NewSqsTaskQueue(options, *s->credentials, *platform.clock));
      SB_RETURN_IF_ERROR(
          s->events->Configure(config.events_queue, {.max_receives = kEventMaxReceives}));
    }
  }
  if (!config.dynamodb_table.empty()) {
    DynamoDbOptions options;
    options.region = region;
    options.endpoint = AwsEndpointFor(config, "dynamodb", region);
    options.table = config.dynamodb_table;
    SB_ASSIGN_OR_RETURN(s->state, NewDynamoDbStateStore(options, *s->credentials, *platform.clock));
  }
  return Status::Ok();
}

}  // namespace

Result<Services> OpenServices(const Config& config, const Platform& platform, EventsQueue events) {
  Services s;
  if (config.uses_aws()) SB_RETURN_IF_ERROR(OpenAwsServices(config, platform, events, &s));
  if (!s.store) {
    SB_ASSIGN_OR_RETURN(s.store, OpenDirObjectStore(config.store_path, *platform.fs));
  }
  if (!s.queue || !s.state) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(config.state_db).parent_path(), ec);
    SB_ASSIGN_OR_RETURN(
        std::shared_ptr<SqliteDb> db,
        SqliteDb::Open(config.state_db, config.state_fsync_every_commit ? SqliteDb::Sync::kFull
                                                                        : SqliteDb::Sync::kNormal));
    if (!s.queue) s.queue = NewSqliteTaskQueue(db, *platform.clock);
    if (!s.state) s.state = NewSqliteStateStore(db);
  }
  QueueOptions options;  // dead-lettering is a safety net; the task budgets decide first
  SB_RETURN_IF_ERROR(s.queue->Configure(config.pipeline.queue, options));
  SB_RETURN_IF_ERROR(s.queue->Configure(OnDemandQueue(config.pipeline.queue), options));
  return s;
}

Ingest IngestFor(const Config& config, Services& services, Clock& clock) {
  return Ingest(config.pipeline, *services.store, *services.queue, *services.state, clock);
}

WorkerOptions WorkerOptionsFor(const Config& config, const std::string& worker_id) {
  WorkerOptions options;
  options.worker_id = worker_id;
  options.work_dir = config.work_dir + "/" + worker_id;
  options.lease_millis = static_cast<int64_t>(config.lease_seconds * 1000);
  options.heartbeat_millis = static_cast<int64_t>(config.heartbeat_seconds * 1000);
  options.kill_grace_millis = static_cast<int64_t>(config.kill_grace_seconds * 1000);
  options.metadata_poll_millis = static_cast<int64_t>(config.metadata_poll_seconds * 1000);
  options.interruption_grace_millis =
      static_cast<int64_t>(config.interruption_grace_seconds * 1000);
  options.drain_on_rebalance = config.drain_on_rebalance;
  options.poll_wait_millis = static_cast<int64_t>(config.poll_wait_seconds * 1000);
  return options;
}

}  // namespace spotbatch
