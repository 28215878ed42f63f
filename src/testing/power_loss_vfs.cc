// The SQLite side of PowerLossDisk: a VFS over the default one that journals every write,
// truncate and sync of a database file under the disk's root and refuses them once the power
// is cut. Shared memory (the WAL index) passes through: SQLite rebuilds it from the log when
// the first connection opens the database after a crash.
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "spotbatch/status.h"
#include "testing/power_loss_journal.h"

namespace spotbatch::power_loss {
namespace {

Journal* g_journal = nullptr;
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

struct File {
  sqlite3_file base;  // first, as SQLite requires
  sqlite3_file* real;
  bool journaled;
  ino_t inode;
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

// The file's size and its bytes in [offset, offset + size) before a change.
sqlite3_int64 SizeOf(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  return real->pMethods->xFileSize(real, &size) == SQLITE_OK ? size : 0;
}
std::string BytesAt(sqlite3_file* real, sqlite3_int64 file_size, sqlite3_int64 offset,
                    sqlite3_int64 size) {
  if (offset >= file_size) return "";
  std::string out(static_cast<size_t>(std::min(size, file_size - offset)), '\0');
  if (real->pMethods->xRead(real, out.data(), static_cast<int>(out.size()), offset) != SQLITE_OK) {
    return "";
  }
  return out;
}

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, amt, off);
}
int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  File* file = reinterpret_cast<File*>(f);
  if (file->journaled) {
    std::lock_guard<std::mutex> lock(g_journal->mu);
    if (!g_journal->Admit()) return SQLITE_IOERR_WRITE;
    const sqlite3_int64 old_size = SizeOf(file->real);
    g_journal->RecordWrite(file->inode, old_size, off, BytesAt(file->real, old_size, off, amt));
    return Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
  }
  return Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  File* file = reinterpret_cast<File*>(f);
  if (file->journaled) {
    std::lock_guard<std::mutex> lock(g_journal->mu);
    if (!g_journal->Admit()) return SQLITE_IOERR_TRUNCATE;
    const sqlite3_int64 old_size = SizeOf(file->real);
    g_journal->RecordTruncate(file->inode, old_size,
                              BytesAt(file->real, old_size, size, old_size - size));
    return Real(f)->pMethods->xTruncate(Real(f), size);
  }
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  File* file = reinterpret_cast<File*>(f);
  if (file->journaled) {
    std::lock_guard<std::mutex> lock(g_journal->mu);
    if (!g_journal->Admit()) return SQLITE_IOERR_FSYNC;
    const int rc = Real(f)->pMethods->xSync(Real(f), flags);
    if (rc == SQLITE_OK) g_journal->FileSynced(file->inode);
    return rc;
  }
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  *out = nullptr;  // no memory-mapped reads: every read goes through xRead
  (void)off;
  (void)amt;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {3,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
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
  File* file = reinterpret_cast<File*>(f);
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->journaled = false;
  file->inode = 0;
  const int rc = g_base->xOpen(g_base, name, file->real, flags, out_flags);
  if (rc != SQLITE_OK || file->real->pMethods == nullptr) {
    f->pMethods = nullptr;
    return rc;
  }
  f->pMethods = &kMethods;
  struct stat st;
  if (name != nullptr && ::stat(name, &st) == 0) {
    std::lock_guard<std::mutex> lock(g_journal->mu);
    if (g_journal->Under(name)) {
      file->journaled = true;
      file->inode = st.st_ino;
      g_journal->Opened(name, st.st_ino);
    }
  }
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (name != nullptr) {
    std::lock_guard<std::mutex> lock(g_journal->mu);
    if (g_journal->Under(name)) {
      if (!g_journal->Admit()) return SQLITE_IOERR_DELETE;
      const int rc = g_base->xDelete(g_base, name, sync_dir);
      if (rc == SQLITE_OK) g_journal->Deleted(name);
      return rc;
    }
  }
  return g_base->xDelete(g_base, name, sync_dir);
}

}  // namespace

Status InstallVfs(Journal* journal) {
  if (g_journal != nullptr) return FailedPrecondition("a power-loss VFS is installed already");
  sqlite3_initialize();
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr) return Internal("SQLite has no default VFS");
  g_journal = journal;
  // The default VFS with its file opening and deletion replaced; everything else (paths,
  // randomness, time) is the default's own.
  g_vfs = *g_base;
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_base->szOsFile;
  g_vfs.zName = "spotbatch-power-loss";
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  if (sqlite3_vfs_register(&g_vfs, /*makeDflt=*/1) != SQLITE_OK) {
    g_journal = nullptr;
    return Internal("cannot register the power-loss VFS");
  }
  return Status::Ok();
}

void UninstallVfs() {
  sqlite3_vfs_unregister(&g_vfs);
  g_journal = nullptr;
}

}  // namespace spotbatch::power_loss
