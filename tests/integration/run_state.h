// The queue and state a pipeline folder's runs left behind, opened with the real SQLite
// adapters, for tests that check what the spotbatch binary did.
#pragma once

#include <memory>
#include <string>

#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"

namespace spotbatch::testing {

struct RunState {
  // `folder` holds the config; the database is at its default place.
  explicit RunState(const std::string& folder)
      : db(*SqliteDb::Open(folder + "/.spotbatch/spotbatch.db")),
        state(NewSqliteStateStore(db)),
        queue(NewSqliteTaskQueue(db, SystemClock())) {}
  std::shared_ptr<SqliteDb> db;
  std::unique_ptr<StateStore> state;
  std::unique_ptr<TaskQueue> queue;
};

}  // namespace spotbatch::testing
