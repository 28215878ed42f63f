#include "adapters/sqlite/sqlite_db.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spotbatch {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS queues(
  name TEXT PRIMARY KEY,
  max_receives INTEGER NOT NULL,
  dead_letter_queue TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body TEXT NOT NULL,
  priority INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receipt TEXT,
  receive_count INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_priority ON messages(queue, priority DESC, id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_receipt ON messages(receipt);
CREATE TABLE IF NOT EXISTS jobs(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  input_key TEXT NOT NULL,
  input_etag TEXT NOT NULL,
  input_size INTEGER NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasks(
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  input_key TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  attempt_token TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  app_failures INTEGER NOT NULL,
  interruptions INTEGER NOT NULL,
  lost INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  lease_expires INTEGER NOT NULL,
  enqueued INTEGER NOT NULL,
  outputs TEXT NOT NULL,
  last_error TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  checkpoint TEXT NOT NULL DEFAULT '',
  checkpoint_at INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tasks_by_job ON tasks(job_id, idx);
CREATE INDEX IF NOT EXISTS tasks_unenqueued ON tasks(enqueued) WHERE enqueued = 0;
CREATE TABLE IF NOT EXISTS attempts(
  token TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  worker TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  message TEXT NOT NULL,
  log_tail TEXT NOT NULL,
  pool TEXT NOT NULL DEFAULT '',
  lost_work INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS attempts_by_task ON attempts(task_id, number);
)sql";

Status FromSqlite(int rc, sqlite3* db, const std::string& what) {
  const std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(msg);
    case SQLITE_FULL:  // the disk is full: no retry succeeds until space is freed
      return ResourceExhausted(msg);
    case SQLITE_IOERR:  // the device failed a read, write or sync: not something to retry
      return Internal(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(msg);
    case SQLITE_CONSTRAINT:
      return Aborted(msg);
    default:
      return Internal(msg);
  }
}

}  // namespace

Result<std::shared_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, Sync sync) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  const int lock_fd = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  std::shared_ptr<SqliteDb> db(new SqliteDb(raw, lock_fd, sync));
  if (rc != SQLITE_OK) return FromSqlite(rc, raw, "open " + path);
  if (lock_fd < 0) return Unavailable("cannot open " + path + ".lock: " + std::strerror(errno));
  sqlite3_busy_timeout(raw, 30000);
  // Switching a new database to WAL takes an exclusive lock that the busy handler does not
  // wait for, so processes opening a fresh database together retry here.
  Status s;
  for (int attempt = 0; attempt < 200; ++attempt) {
    s = db->Exec("PRAGMA journal_mode=WAL");
    if (s.ok())
      s = db->Exec(sync == Sync::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    // Pages through a shared mapping instead of a pread per page per transaction.
    if (s.ok()) s = db->Exec("PRAGMA mmap_size=268435456");
    if (s.ok()) s = db->Transaction([&] { return db->Migrate(); });
    if (!s.retryable()) break;
    sqlite3_sleep(10 + attempt % 20);
  }
  if (!s.ok()) return s;
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, entry] : statements_) sqlite3_finalize(entry.stmt);
  sqlite3_close_v2(db_);
  if (writer_lock_fd_ >= 0) ::close(writer_lock_fd_);
}

SqliteDb::WriterLock::WriterLock(int fd) : fd_(fd) {
  // Without the lock SQLite's own locking still keeps transactions correct, only slower.
  while (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      fd_ = -1;
      break;
    }
  }
}

SqliteDb::WriterLock::~WriterLock() {
  if (fd_ >= 0) ::flock(fd_, LOCK_UN);
}

Status SqliteDb::Migrate() {
  SB_RETURN_IF_ERROR(ExecLocked(kSchema));
  // Columns added after the first release: databases created before gain them, with defaults.
  static constexpr const char* kAdded[][2] = {
      {"tasks", "started_at INTEGER NOT NULL DEFAULT 0"},
      {"tasks", "checkpoint TEXT NOT NULL DEFAULT ''"},
      {"tasks", "checkpoint_at INTEGER NOT NULL DEFAULT 0"},
      {"attempts", "pool TEXT NOT NULL DEFAULT ''"},
      {"attempts", "lost_work INTEGER NOT NULL DEFAULT 0"},
      {"tasks", "releases INTEGER NOT NULL DEFAULT 0"},
      {"tasks", "uploads TEXT NOT NULL DEFAULT ''"},
  };
  for (const auto& [table, column] : kAdded) {
    const std::string name(column, std::string_view(column).find(' '));
    const std::string probe = "SELECT " + name + " FROM " + table + " LIMIT 0";
    if (sqlite3_exec(db_, probe.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) continue;
    const std::string add = std::string("ALTER TABLE ") + table + " ADD COLUMN " + column;
    SB_RETURN_IF_ERROR(ExecLocked(add.c_str()));
  }
  return Status::Ok();
}

Status SqliteDb::SyncLog() {
  if (sync_ == Sync::kNormal) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  // The log is one file shared by every connection: syncing it through this connection's
  // handle covers every process's commits.
  sqlite3_file* log = nullptr;
  const int rc = sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);
  if (rc != SQLITE_OK) return FromSqlite(rc, db_, "find the log file");
  if (log == nullptr || log->pMethods == nullptr) return Status::Ok();  // nothing written yet
  const int synced = log->pMethods->xSync(log, SQLITE_SYNC_FULL);
  return synced == SQLITE_OK ? Status::Ok() : FromSqlite(synced, nullptr, "sync the log");
}

Status SqliteDb::Exec(const char* sql) {
  std::lock_guard<std::mutex> lock(mu_);
  return ExecLocked(sql);
}

Status SqliteDb::ExecLocked(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : "";
  sqlite3_free(err);
  return FromSqlite(rc, nullptr, std::string(sql).substr(0, 40) + ": " + msg);
}

Status SqliteDb::Error(const char* what) { return FromSqlite(sqlite3_errcode(db_), db_, what); }

sqlite3_stmt* SqliteDb::Acquire(const char* sql, CachedStatement** entry) {
  *entry = nullptr;
  auto [it, inserted] = statements_.try_emplace(sql);
  if (!inserted && !it->second.in_use) {
    it->second.in_use = true;
    *entry = &it->second;
    return it->second.stmt;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    if (inserted) statements_.erase(it);
    return nullptr;
  }
  if (inserted) {
    it->second = {stmt, true};
    *entry = &it->second;
  }
  return stmt;
}

void SqliteDb::Return(sqlite3_stmt* stmt, CachedStatement* entry) {
  if (entry == nullptr) {
    sqlite3_finalize(stmt);
    return;
  }
  sqlite3_reset(stmt);  // also ends the statement's read of the database
  sqlite3_clear_bindings(stmt);
  entry->in_use = false;
}

SqliteStatement::SqliteStatement(SqliteDb& db, const char* sql) : db_(db) {
  stmt_ = db.Acquire(sql, &entry_);
  if (stmt_ == nullptr) status_ = db.Error("prepare");
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) db_.Return(stmt_, entry_);
}

SqliteStatement& SqliteStatement::Bind(int i, int64_t v) {
  if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int i, std::string_view v) {
  if (stmt_) sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int i) {
  if (stmt_) sqlite3_bind_null(stmt_, i);
  return *this;
}

bool SqliteStatement::Step() {
  if (!status_.ok() || stmt_ == nullptr) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = db_.Error("step");
  return false;
}

Status SqliteStatement::Run() {
  while (Step()) {
  }
  return status_;
}

void SqliteStatement::Reset() {
  if (stmt_) sqlite3_reset(stmt_);
}

int64_t SqliteStatement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string SqliteStatement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

bool SqliteStatement::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int SqliteStatement::changes() const { return sqlite3_changes(db_.handle()); }

}  // namespace spotbatch
