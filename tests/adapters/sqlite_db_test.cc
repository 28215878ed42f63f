// SqliteDb's durability levels, observed through the power-loss disk's VFS, which counts the
// syncs SQLite asks the file system for (src/testing/power_loss.h).
#include "adapters/sqlite/sqlite_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test_util.h"
#include "testing/power_loss.h"

namespace spotbatch {
namespace {

class SqliteDbSyncTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(disk_.InstallSqliteVfs().ok()); }
  int Syncs() const { return static_cast<int>(disk_.syncs_seen()); }

  std::shared_ptr<SqliteDb> OpenDb(SqliteDb::Sync sync) {
    auto db = SqliteDb::Open(dir_ / "state.db", sync);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? *db : nullptr;
  }
  // Syncs caused by one transaction that inserts a message.
  int SyncsOfInsert(SqliteDb& db, SqliteDb::Commit commit) {
    const int before = Syncs();
    Status s = db.Transaction(
        [&] {
          SqliteStatement st(db,
                             "INSERT INTO queues(name, max_receives, dead_letter_queue) "
                             "VALUES(hex(randomblob(8)), 1, 'd')");
          return st.Run();
        },
        commit);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return Syncs() - before;
  }

  testing::TempDir dir_, shadow_;
  PowerLossDisk disk_{dir_.path(), shadow_.path()};
};

TEST_F(SqliteDbSyncTest, DurableCommitSyncsTheLog) {
  auto db = OpenDb(SqliteDb::Sync::kFull);
  EXPECT_GE(SyncsOfInsert(*db, SqliteDb::Commit::kDurable), 1);
}

TEST_F(SqliteDbSyncTest, SoftCommitDoesNotSyncAndLeavesLaterCommitsDurable) {
  auto db = OpenDb(SqliteDb::Sync::kFull);
  EXPECT_EQ(SyncsOfInsert(*db, SqliteDb::Commit::kSoft), 0);
  EXPECT_GE(SyncsOfInsert(*db, SqliteDb::Commit::kDurable), 1);
  int64_t level = -1;
  ASSERT_TRUE(db->Read([&] {
                  SqliteStatement st(*db, "PRAGMA synchronous");
                  if (st.Step()) level = st.Int(0);
                  return st.status();
                }).ok());
  EXPECT_EQ(level, 2);  // FULL, restored after the soft commit
}

TEST_F(SqliteDbSyncTest, SyncLogMakesSoftCommitsDurable) {
  auto db = OpenDb(SqliteDb::Sync::kFull);
  ASSERT_EQ(SyncsOfInsert(*db, SqliteDb::Commit::kSoft), 0);
  const int before = Syncs();
  ASSERT_TRUE(db->SyncLog().ok());
  EXPECT_EQ(Syncs() - before, 1);
}

TEST_F(SqliteDbSyncTest, ProcessCrashDurabilityNeverSyncsOnCommit) {
  auto db = OpenDb(SqliteDb::Sync::kNormal);
  EXPECT_EQ(SyncsOfInsert(*db, SqliteDb::Commit::kDurable), 0);
  const int before = Syncs();
  ASSERT_TRUE(db->SyncLog().ok());
  EXPECT_EQ(Syncs() - before, 0);
}

// Regression (issue 9): SQLITE_FULL was kUnavailable ("retry the same call"), so a worker
// retried a commit that could not succeed until space was freed.
TEST(SqliteDbTest, FullDatabaseIsResourceExhaustedNotARetry) {
  testing::TempDir dir;
  auto db = SqliteDb::Open(dir / "s.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE big(v BLOB)").ok());
  // A database that may not grow past its current size is full, as on a full disk.
  ASSERT_TRUE((*db)->Exec("PRAGMA max_page_count = 1").ok() ||
              (*db)->Exec("PRAGMA max_page_count = 10").ok());
  Status s;
  for (int i = 0; i < 100 && s.ok(); ++i) {
    s = (*db)->Exec("INSERT INTO big VALUES(zeroblob(100000))");
  }
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_FALSE(s.retryable());
}

}  // namespace
}  // namespace spotbatch
