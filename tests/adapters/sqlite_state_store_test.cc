#include "adapters/sqlite/sqlite_state_store.h"

#include <sqlite3.h>

#include "contract/state_store_contract.h"

namespace spotbatch {
namespace {

std::unique_ptr<StateStore> Open(const std::string& dir) {
  auto db = SqliteDb::Open(dir + "/state.db");
  return db.ok() ? NewSqliteStateStore(*db) : nullptr;
}

using contract::StateStoreContract;
// Another connection is a new SqliteDb on the same file, as another process opens it.
INSTANTIATE_TEST_SUITE_P(Sqlite, StateStoreContract,
                         ::testing::Values(contract::StateStoreAdapter{
                             "adapter", Open,
                             [](StateStore&, const std::string& dir) { return Open(dir); }}),
                         contract::AdapterName);

TEST(SqliteStateStore, StateSurvivesReopen) {
  testing::TempDir dir;
  {
    auto s = Open(dir.path());
    JobRecord job{"j", "in/j", "e", 1, 2};
    TaskRecord t;
    t.id = "j-0";
    t.job_id = "j";
    t.input_key = "in/j";
    ASSERT_TRUE(s->CreateJob(job, {t}).ok());
  }
  auto s = Open(dir.path());
  EXPECT_TRUE(s->GetTask("j-0").ok());
}

TEST(SqliteStateStore, DatabaseOfAnEarlierVersionGainsTheNewColumns) {
  testing::TempDir dir;
  {
    // The tables as the first release created them.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "state.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "CREATE TABLE tasks(id TEXT PRIMARY KEY, job_id TEXT NOT NULL, idx "
                           "INTEGER NOT NULL, input_key TEXT NOT NULL, state TEXT NOT NULL, "
                           "version INTEGER NOT NULL, attempt_token TEXT NOT NULL, attempts "
                           "INTEGER NOT NULL, app_failures INTEGER NOT NULL, interruptions "
                           "INTEGER NOT NULL, lost INTEGER NOT NULL, not_before INTEGER NOT NULL, "
                           "lease_expires INTEGER NOT NULL, enqueued INTEGER NOT NULL, outputs "
                           "TEXT NOT NULL, last_error TEXT NOT NULL, updated_at INTEGER NOT NULL);"
                           "CREATE TABLE attempts(token TEXT PRIMARY KEY, task_id TEXT NOT NULL, "
                           "number INTEGER NOT NULL, worker TEXT NOT NULL, started_at INTEGER NOT "
                           "NULL, ended_at INTEGER NOT NULL, outcome TEXT NOT NULL, exit_code "
                           "INTEGER NOT NULL, message TEXT NOT NULL, log_tail TEXT NOT NULL);"
                           "INSERT INTO tasks VALUES('j-0','j',0,'in/j','QUEUED',3,'',0,0,0,0,0,0,"
                           "1,'','',5);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  auto s = Open(dir.path());
  ASSERT_NE(s, nullptr);
  auto t = s->GetTask("j-0");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->version, 3);
  EXPECT_TRUE(t->checkpoint.empty());
  TaskRecord next = *t;
  next.version = 4;
  next.checkpoint = "_spotbatch/checkpoints/j-0/x.1/";
  ASSERT_TRUE(s->CommitTask(next, 3, {}).ok());
  EXPECT_EQ(s->GetTask("j-0")->checkpoint, next.checkpoint);
}

TEST(SqliteStateStore, CorruptStateRowIsDataLossNotACrash) {
  testing::TempDir dir;
  auto db = SqliteDb::Open(dir / "state.db");
  ASSERT_TRUE(db.ok());
  auto s = NewSqliteStateStore(*db);
  TaskRecord t;
  t.id = "j-0";
  t.job_id = "j";
  ASSERT_TRUE(s->CreateJob({"j", "in/j", "e", 1, 2}, {t}).ok());
  ASSERT_TRUE((*db)->Exec("UPDATE tasks SET state='BOGUS'").ok());
  EXPECT_EQ(s->GetTask("j-0").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace spotbatch
