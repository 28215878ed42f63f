#include "apps/wiring.h"

#include <filesystem>

#include "adapters/local/dir_object_store.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"

namespace spotbatch {

Result<Services> OpenServices(const Config& config, const Platform& platform) {
  Services s;
  SB_ASSIGN_OR_RETURN(s.store, OpenDirObjectStore(config.store_path, *platform.fs));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(config.state_db).parent_path(), ec);
  SB_ASSIGN_OR_RETURN(
      std::shared_ptr<SqliteDb> db,
      SqliteDb::Open(config.state_db, config.state_fsync_every_commit ? SqliteDb::Sync::kFull
                                                                      : SqliteDb::Sync::kNormal));
  s.queue = NewSqliteTaskQueue(db, *platform.clock);
  s.state = NewSqliteStateStore(db);
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
  return options;
}

}  // namespace spotbatch
