// SqliteDb's durability levels, observed through a VFS shim that counts the syncs SQLite asks
// the file system for (a fault-injection file system in the rocksdb manner).
#include "adapters/sqlite/sqlite_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>

#include "test_util.h"

namespace spotbatch {
namespace {

std::atomic<int> g_syncs{0};
sqlite3_vfs* g_real = nullptr;

struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;  // allocated right behind this struct
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<CountingFile*>(f)->real; }

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  return Real(f)->pMethods->xRead(Real(f), b, n, o);
}
int Write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  return Real(f)->pMethods->xWrite(Real(f), b, n, o);
}
int Truncate(sqlite3_file* f, sqlite3_int64 n) { return Real(f)->pMethods->xTruncate(Real(f), n); }
int Sync(sqlite3_file* f, int flags) {
  ++g_syncs;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* n) { return Real(f)->pMethods->xFileSize(Real(f), n); }
int Lock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int Unlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int CheckLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return Real(f)->pMethods->xShmMap(Real(f), pg, sz, extend, p);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
  return Real(f)->pMethods->xFetch(Real(f), o, n, p);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), o, p);
}

const sqlite3_io_methods kCountingMethods = {3,
                                             Close,
                                             Read,
                                             Write,
                                             Truncate,
                                             Sync,
                                             FileSize,
                                             Lock,
                                             Unlock,
                                             CheckLock,
                                             FileControl,
                                             SectorSize,
                                             DeviceCharacteristics,
                                             ShmMap,
                                             ShmLock,
                                             ShmBarrier,
                                             ShmUnmap,
                                             Fetch,
                                             Unfetch};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<CountingFile*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  const int rc = g_real->xOpen(g_real, name, file->real, flags, out_flags);
  file->base.pMethods = rc == SQLITE_OK ? &kCountingMethods : nullptr;
  return rc;
}

// Registers the shim as the default VFS for every connection opened after it.
void InstallCountingVfs() {
  static sqlite3_vfs vfs = [] {
    g_real = sqlite3_vfs_find(nullptr);
    sqlite3_vfs v = *g_real;
    v.zName = "counting";
    v.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_real->szOsFile;
    v.xOpen = Open;
    return v;
  }();
  sqlite3_vfs_register(&vfs, 1);
}

class SqliteDbSyncTest : public ::testing::Test {
 protected:
  void SetUp() override { InstallCountingVfs(); }

  std::shared_ptr<SqliteDb> OpenDb(SqliteDb::Sync sync) {
    auto db = SqliteDb::Open(dir_ / "state.db", sync);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? *db : nullptr;
  }
  // Syncs caused by one transaction that inserts a message.
  int SyncsOfInsert(SqliteDb& db, SqliteDb::Commit commit) {
    const int before = g_syncs.load();
    Status s = db.Transaction(
        [&] {
          SqliteStatement st(db,
                             "INSERT INTO queues(name, max_receives, dead_letter_queue) "
                             "VALUES(hex(randomblob(8)), 1, 'd')");
          return st.Run();
        },
        commit);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return g_syncs.load() - before;
  }

  testing::TempDir dir_;
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
  const int before = g_syncs.load();
  ASSERT_TRUE(db->SyncLog().ok());
  EXPECT_EQ(g_syncs.load() - before, 1);
}

TEST_F(SqliteDbSyncTest, ProcessCrashDurabilityNeverSyncsOnCommit) {
  auto db = OpenDb(SqliteDb::Sync::kNormal);
  EXPECT_EQ(SyncsOfInsert(*db, SqliteDb::Commit::kDurable), 0);
  const int before = g_syncs.load();
  ASSERT_TRUE(db->SyncLog().ok());
  EXPECT_EQ(g_syncs.load() - before, 0);
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
