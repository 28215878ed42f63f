// TaskQueue on SQLite (the embedded default): durable, shared by every process that opens
// the same database file.
#pragma once

#include <memory>

#include "adapters/sqlite/sqlite_db.h"
#include "spotbatch/clock.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

std::unique_ptr<TaskQueue> NewSqliteTaskQueue(std::shared_ptr<SqliteDb> db, Clock& clock);

}  // namespace spotbatch
