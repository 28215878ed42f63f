// PowerLossDisk: a disk that can lose power, for tests that prove which writes the durable
// adapters make durable (the way leveldb's FaultInjectionTestEnv does).
//
// Everything the adapters change under `root` goes through this disk: the directory object
// store through fs() (a FileSystem), SQLite through a VFS (InstallSqliteVfs). Each change is
// carried out at once, so every reader sees it, and journaled with what it replaced until it
// is made durable:
//   - a write or truncate of a file, until that file is fsynced;
//   - a directory entry made or removed (create, rename, link, unlink, mkdir, rmdir), until
//     the directory holding it is fsynced (for a rename: each of its two directories).
// CutPower() (or CutPowerAfter(n)) stops the disk: from then on every change under `root`
// fails with EIO (SQLITE_IOERR), as if the machine had died at that instant; the processes of
// the test then stop their components. Reboot() undoes every change that was not durable,
// newest first, exactly as a power loss would leave the disk under the POSIX rules, and lets
// changes through again. A rename made durable in its new directory but not in its old one
// leaves the file at both names, as a real disk may.
//
// What is not modelled: SQLite's own directory entries (its log's creation and deletion are
// taken as durable at once; SQLite fsyncs the directory of a new log itself), and writes that
// reach the disk out of order before a sync (every unsynced change is lost, the harshest
// case). Files outside `root` pass straight through. Thread-safe: one lock orders every
// change, so the journal is the order the disk saw.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "spotbatch/status.h"

namespace spotbatch {
namespace power_loss {
class Journal;
}

class PowerLossDisk {
 public:
  // `root` is the disk (created if missing); `shadow_dir`, outside it, keeps files that
  // unsynced renames and unlinks replaced, until they are durable.
  PowerLossDisk(std::string root, std::string shadow_dir);
  ~PowerLossDisk();
  PowerLossDisk(const PowerLossDisk&) = delete;
  PowerLossDisk& operator=(const PowerLossDisk&) = delete;

  FileSystem& fs();
  // Makes this disk's VFS SQLite's default in this process: connections opened afterwards
  // change their files through it. At most one disk has it at a time; the destructor removes
  // it.
  Status InstallSqliteVfs();

  // Stops the disk now, or at the `changes`-th change (or fsync) under root from now: that
  // one and all after it fail.
  void CutPower();
  void CutPowerAfter(int64_t changes);
  bool power_cut() const;
  // Changes and fsyncs under root seen since construction (to pick cut points), and of
  // those the fsyncs that succeeded (of files and directories; SQLite's xSync included).
  int64_t changes_seen() const;
  int64_t syncs_seen() const;

  struct RebootReport {
    int64_t writes_lost = 0;          // writes and truncates undone
    int64_t entries_lost = 0;         // directory entries undone
    std::vector<std::string> errors;  // undo steps that failed (a bug of the test's setup)
  };
  // Undoes every change that was not made durable and turns the power back on. Call it with
  // every component that used the disk closed (SQLite connections too).
  RebootReport Reboot();

 private:
  std::unique_ptr<power_loss::Journal> journal_;
  std::unique_ptr<FileSystem> fs_;
  bool vfs_installed_ = false;
};

}  // namespace spotbatch
