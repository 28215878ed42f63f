// StateStore on SQLite (the embedded default).
#pragma once

#include <memory>

#include "adapters/sqlite/sqlite_db.h"
#include "spotbatch/state_store.h"

namespace spotbatch {

std::unique_ptr<StateStore> NewSqliteStateStore(std::shared_ptr<SqliteDb> db);

}  // namespace spotbatch
