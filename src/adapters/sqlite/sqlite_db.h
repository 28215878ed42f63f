// A thin RAII wrapper over one SQLite connection, shared by the queue and the state store.
//
// The database runs in WAL mode with synchronous=FULL: a transaction that returned is on disk
// and survives kill -9 of any process and power loss. Writers use BEGIN IMMEDIATE so that two
// processes never deadlock upgrading read locks; a busy database waits up to busy_timeout and
// then reports kUnavailable (retry).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "spotbatch/status.h"

namespace spotbatch {

class SqliteStatement;

class SqliteDb {
 public:
  // How a commit reaches the disk. kFull (the default) fsyncs the log at every commit: a
  // commit survives power loss. kNormal fsyncs only at checkpoints: a commit survives kill -9
  // of any process (the log is in the OS's page cache), but a power loss or kernel crash may
  // undo the last commits (never corrupt the database).
  enum class Sync { kFull, kNormal };
  // Opens or creates the database at `path` and applies the schema.
  static Result<std::shared_ptr<SqliteDb>> Open(const std::string& path, Sync sync = Sync::kFull);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(const char* sql);
  // What a transaction's commit must survive. kSoft commits are written like kNormal ones even
  // on a kFull database: a power loss may undo them (with every later soft commit, never an
  // earlier durable one, since the log is replayed in order), a process crash never does. For
  // state that a power loss makes moot anyway: leases of processes that died with the machine.
  enum class Commit { kDurable, kSoft };
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it returns an error.
  template <typename Body>
  Status Transaction(Body&& body, Commit commit = Commit::kDurable) {
    std::lock_guard<std::mutex> lock(mu_);
    WriterLock writer(writer_lock_fd_);
    const bool relax = commit == Commit::kSoft && sync_ == Sync::kFull;
    if (relax) SB_RETURN_IF_ERROR(ExecLocked("PRAGMA synchronous=NORMAL"));
    Status s = ExecLocked("BEGIN IMMEDIATE");
    if (s.ok()) {
      s = body();
      if (s.ok()) s = ExecLocked("COMMIT");
      if (!s.ok()) (void)ExecLocked("ROLLBACK");
    }
    if (relax) {
      Status restored = ExecLocked("PRAGMA synchronous=FULL");
      if (s.ok()) s = restored;
    }
    return s;
  }
  // Makes every commit in the log durable (soft ones included) with one fsync of the log; a
  // no-op on a kNormal database, whose owner chose to trust the OS's page cache.
  Status SyncLog();
  // Runs `body` holding the connection (for reads outside a write transaction).
  template <typename Body>
  auto Read(Body&& body) {
    std::lock_guard<std::mutex> lock(mu_);
    return body();
  }
  sqlite3* handle() { return db_; }
  Status Error(const char* what);
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  // A prepared statement for `sql` from a per-connection cache (parsing SQL showed in
  // profiles of the worker's hot path). *entry is its cache slot, or null for a private
  // statement (the same SQL already in use). Call with the connection held.
  sqlite3_stmt* Acquire(const char* sql, CachedStatement** entry);
  void Return(sqlite3_stmt* stmt, CachedStatement* entry);

 private:
  // Writers of every process queue on an flock of "<db>.lock" before BEGIN IMMEDIATE. The
  // kernel wakes the next writer the moment the lock is free, where SQLite's busy handler
  // would sleep for milliseconds; a writer killed mid-transaction releases it by dying.
  class WriterLock {
   public:
    explicit WriterLock(int fd);
    ~WriterLock();

   private:
    int fd_;
  };

  SqliteDb(sqlite3* db, int writer_lock_fd, Sync sync)
      : db_(db), writer_lock_fd_(writer_lock_fd), sync_(sync) {}
  Status ExecLocked(const char* sql);
  // Creates the schema, or brings a database made by an earlier version up to it.
  Status Migrate();
  sqlite3* db_;
  int writer_lock_fd_;
  Sync sync_;
  std::mutex mu_;
  std::unordered_map<std::string, CachedStatement> statements_;
};

// A prepared statement; Step() until it returns false; errors land in status().
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb& db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& Bind(int i, int64_t v);
  SqliteStatement& Bind(int i, std::string_view v);
  SqliteStatement& BindNull(int i);
  // True when a row is available; false when done or on error (see status()).
  bool Step();
  // Runs a statement that returns no rows.
  Status Run();
  // Makes the statement ready to run again (bindings are kept until rebound).
  void Reset();
  const Status& status() const { return status_; }
  int64_t Int(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;
  // Rows changed by the last Run().
  int changes() const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
  SqliteDb::CachedStatement* entry_ = nullptr;
  Status status_;
};

}  // namespace spotbatch
