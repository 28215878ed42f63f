#include "testing/power_loss.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/local/dir_object_store.h"
#include "adapters/sqlite/sqlite_db.h"
#include "test_util.h"

namespace spotbatch {
namespace {

using testing::ReadFile;

class PowerLossTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& rel) { return root_ + "/" + rel; }
  // Writes a whole file through the disk; `sync_file` fsyncs its content, `sync_dir` its
  // directory's entries.
  void Write(const std::string& rel, const std::string& data, bool sync_file, bool sync_dir) {
    FileSystem& fs = disk_.fs();
    const int fd = fs.Open(Path(rel).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << rel;
    ASSERT_EQ(fs.Write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    if (sync_file) {
      ASSERT_EQ(fs.Fsync(fd), 0);
    }
    fs.Close(fd);
    if (sync_dir) SyncDir(std::filesystem::path(Path(rel)).parent_path());
  }
  void SyncDir(const std::string& dir) {
    const int fd = disk_.fs().Open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    ASSERT_GE(fd, 0) << dir;
    ASSERT_EQ(disk_.fs().Fsync(fd), 0);
    disk_.fs().Close(fd);
  }
  bool Exists(const std::string& rel) { return std::filesystem::exists(Path(rel)); }
  PowerLossDisk::RebootReport Reboot() {
    auto report = disk_.Reboot();
    EXPECT_TRUE(report.errors.empty()) << report.errors.front();
    return report;
  }

  testing::TempDir dir_;
  std::string root_ = std::filesystem::canonical(dir_.path()).string() + "/disk";
  PowerLossDisk disk_{root_, dir_ / "shadow"};
};

TEST_F(PowerLossTest, UnsyncedContentAndEntriesAreLostSyncedOnesKept) {
  Write("durable", "kept", true, true);
  Write("unsynced-content", "lost", false, true);
  Write("unsynced-entry", "gone", true, false);  // the directory is not synced after it
  const auto report = Reboot();
  EXPECT_EQ(ReadFile(Path("durable")), "kept");
  EXPECT_FALSE(Exists("unsynced-entry")) << "its directory was never fsynced";
  ASSERT_TRUE(Exists("unsynced-content")) << "its entry was made durable";
  EXPECT_EQ(ReadFile(Path("unsynced-content")), "") << "but not what was written into it";
  EXPECT_EQ(report.entries_lost, 1);
  EXPECT_EQ(report.writes_lost, 1);
}

TEST_F(PowerLossTest, OverwritesAreUndoneNewestFirst) {
  Write("f", "0123456789", true, true);
  FileSystem& fs = disk_.fs();
  const int fd = fs.Open(Path("f").c_str(), O_WRONLY | O_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::lseek(fd, 2, SEEK_SET), 2);
  ASSERT_EQ(fs.Write(fd, "abcdefghijkl", 12), 12);
  ASSERT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  ASSERT_EQ(fs.Write(fd, "XY", 2), 2);
  ASSERT_EQ(fs.Ftruncate(fd, 5), 0);
  fs.Close(fd);
  EXPECT_EQ(ReadFile(Path("f")), "XYabc");
  Reboot();
  EXPECT_EQ(ReadFile(Path("f")), "0123456789");
}

TEST_F(PowerLossTest, RenameIsUndoneUntilBothDirectoriesAreSynced) {
  std::filesystem::create_directories(Path("tmp"));
  std::filesystem::create_directories(Path("objects"));
  Write("objects/a", "old", true, true);
  Write("tmp/t1", "new", true, true);
  Write("tmp/t2", "second", true, true);
  Write("tmp/t3", "third", true, true);
  ASSERT_EQ(disk_.fs().Rename(Path("tmp/t1").c_str(), Path("objects/a").c_str()), 0);
  ASSERT_EQ(disk_.fs().Rename(Path("tmp/t2").c_str(), Path("objects/b").c_str()), 0);
  SyncDir(Path("objects"));  // both new names durable, the old ones' removal not
  ASSERT_EQ(disk_.fs().Rename(Path("tmp/t3").c_str(), Path("objects/c").c_str()), 0);
  Reboot();
  EXPECT_EQ(ReadFile(Path("objects/a")), "new");
  EXPECT_EQ(ReadFile(Path("tmp/t1")), "new") << "a rename synced in one directory only";
  EXPECT_EQ(ReadFile(Path("objects/b")), "second");
  EXPECT_EQ(ReadFile(Path("tmp/t2")), "second");
  EXPECT_FALSE(Exists("objects/c")) << "its new directory was not synced after it";
  EXPECT_EQ(ReadFile(Path("tmp/t3")), "third");
}

TEST_F(PowerLossTest, RenameOverAFileBringsTheOldOneBack) {
  Write("a", "old", true, true);
  Write("t", "new", true, true);
  ASSERT_EQ(disk_.fs().Rename(Path("t").c_str(), Path("a").c_str()), 0);
  EXPECT_EQ(ReadFile(Path("a")), "new");
  Reboot();
  EXPECT_EQ(ReadFile(Path("a")), "old");
  EXPECT_EQ(ReadFile(Path("t")), "new");
}

TEST_F(PowerLossTest, UnlinkAndMkdirAreUndoneUnlessTheirParentIsSynced) {
  Write("keep", "k", true, true);
  ASSERT_EQ(disk_.fs().Unlink(Path("keep").c_str()), 0);
  ASSERT_EQ(disk_.fs().Mkdir(Path("new").c_str(), 0755), 0);
  Write("new/file", "inside", true, true);  // durable inside a folder that is not
  Reboot();
  EXPECT_EQ(ReadFile(Path("keep")), "k");
  EXPECT_FALSE(Exists("new")) << "a folder whose entry was lost takes its files with it";
}

TEST_F(PowerLossTest, CutPowerRefusesEveryLaterChangeButReads) {
  Write("a", "a", true, true);
  disk_.CutPowerAfter(2);
  const int fd = disk_.fs().Open(Path("b").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << "the first change passes";
  EXPECT_FALSE(disk_.power_cut());
  EXPECT_EQ(disk_.fs().Write(fd, "x", 1), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_TRUE(disk_.power_cut());
  EXPECT_EQ(disk_.fs().Mkdir(Path("d").c_str(), 0755), -1);
  EXPECT_FALSE(Exists("d")) << "a refused change is not carried out";
  disk_.fs().Close(fd);
  EXPECT_EQ(ReadFile(Path("a")), "a");
  Reboot();
  EXPECT_FALSE(disk_.power_cut());
  EXPECT_FALSE(Exists("b"));
  EXPECT_EQ(disk_.fs().Mkdir(Path("d").c_str(), 0755), 0) << "power is back";
}

TEST_F(PowerLossTest, FilesOutsideTheDiskPassThrough) {
  const std::string outside = dir_ / "outside";
  const int fd = disk_.fs().Open(outside.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(disk_.fs().Write(fd, "x", 1), 1);
  disk_.fs().Close(fd);
  EXPECT_EQ(disk_.changes_seen(), 0);
  Reboot();
  EXPECT_EQ(ReadFile(outside), "x");
}

// Inside a transaction, which holds the connection already.
Status Insert(SqliteDb& db, int x) {
  const std::string sql = "INSERT INTO t VALUES (" + std::to_string(x) + ")";
  return sqlite3_exec(db.handle(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK
             ? Status::Ok()
             : Internal(sqlite3_errmsg(db.handle()));
}

int64_t CountRows(const std::string& db_path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// The two durability promises of SqliteDb, proven: a durable commit survives power loss; a
// soft one survives a process crash but a power loss may undo it, never corrupting the rest.
TEST_F(PowerLossTest, SqliteDurableCommitsSurviveSoftOnesMayBeLost) {
  ASSERT_TRUE(disk_.InstallSqliteVfs().ok());
  const std::string path = Path("state.db");
  {
    auto db = *SqliteDb::Open(path);
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
    ASSERT_TRUE(db->Transaction([&] { return Insert(*db, 1); }).ok());
    ASSERT_TRUE(db->Transaction([&] { return Insert(*db, 2); }, SqliteDb::Commit::kSoft).ok());
    disk_.CutPower();
    EXPECT_FALSE(db->Transaction([&] { return Insert(*db, 3); }).ok());
  }
  const auto report = Reboot();
  EXPECT_GT(report.writes_lost, 0);
  EXPECT_EQ(CountRows(path), 1) << "the durable commit stays, the soft one is lost";
}

TEST_F(PowerLossTest, SqliteSyncLogMakesSoftCommitsDurable) {
  ASSERT_TRUE(disk_.InstallSqliteVfs().ok());
  const std::string path = Path("state.db");
  {
    auto db = *SqliteDb::Open(path);
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(db->Transaction([&] { return Insert(*db, 1); }, SqliteDb::Commit::kSoft).ok());
    }
    ASSERT_TRUE(db->SyncLog().ok());
    disk_.CutPower();
  }
  Reboot();
  EXPECT_EQ(CountRows(path), 3);
}

TEST_F(PowerLossTest, PutThatReturnedSurvivesPowerLossInANewFolder) {
  auto store = std::move(*OpenDirObjectStore(Path("store"), disk_.fs()));
  ASSERT_TRUE(store->Put("out/job-1/part/a.txt", "published").ok());
  disk_.CutPower();
  store.reset();
  Reboot();
  store = std::move(*OpenDirObjectStore(Path("store"), disk_.fs()));
  auto got = store->Get("out/job-1/part/a.txt");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "published");
}

}  // namespace
}  // namespace spotbatch
