#include "adapters/sqlite/sqlite_state_store.h"

#include "contract/state_store_contract.h"

namespace spotbatch {
namespace {

std::unique_ptr<StateStore> Open(const std::string& dir) {
  auto db = SqliteDb::Open(dir + "/state.db");
  return db.ok() ? NewSqliteStateStore(*db) : nullptr;
}

using contract::StateStoreContract;
INSTANTIATE_TEST_SUITE_P(Sqlite, StateStoreContract, ::testing::Values(Open),
                         [](const auto&) { return std::string("adapter"); });

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
