#include "apps/wiring.h"

#include <filesystem>

#include "adapters/local/dir_object_store.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"

namespace spotbatch {

Result<Services> OpenServices(const Config& config) {
  Services s;
  SB_ASSIGN_OR_RETURN(s.store, OpenDirObjectStore(config.store_path));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(config.state_db).parent_path(), ec);
  SB_ASSIGN_OR_RETURN(
      std::shared_ptr<SqliteDb> db,
      SqliteDb::Open(config.state_db, config.state_fsync_every_commit ? SqliteDb::Sync::kFull
                                                                      : SqliteDb::Sync::kNormal));
  s.queue = NewSqliteTaskQueue(db, SystemClock());
  s.state = NewSqliteStateStore(db);
  QueueOptions options;  // dead-lettering is a safety net; the task budgets decide first
  SB_RETURN_IF_ERROR(s.queue->Configure(config.pipeline.queue, options));
  SB_RETURN_IF_ERROR(s.queue->Configure(OnDemandQueue(config.pipeline.queue), options));
  return s;
}

Ingest IngestFor(const Config& config, Services& services) {
  return Ingest(config.pipeline, *services.store, *services.queue, *services.state, SystemClock());
}

}  // namespace spotbatch
