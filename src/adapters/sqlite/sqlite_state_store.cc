#include "adapters/sqlite/sqlite_state_store.h"

#include <map>

#include "core/task_codec.h"

namespace spotbatch {
namespace {

constexpr const char* kTaskColumns =
    "id, job_id, idx, input_key, state, version, attempt_token, attempts, app_failures, "
    "interruptions, lost, not_before, lease_expires, enqueued, outputs, last_error, updated_at, "
    "started_at, checkpoint, checkpoint_at, releases, uploads";

Result<TaskRecord> ReadTask(const SqliteStatement& st) {
  TaskRecord t;
  t.id = st.Text(0);
  t.job_id = st.Text(1);
  t.index = static_cast<int>(st.Int(2));
  t.input_key = st.Text(3);
  if (!ParseTaskState(st.Text(4), &t.state)) {
    return DataLoss("task " + t.id + " has unknown state " + st.Text(4));
  }
  t.version = st.Int(5);
  t.attempt_token = st.Text(6);
  t.attempts = static_cast<int>(st.Int(7));
  t.app_failures = static_cast<int>(st.Int(8));
  t.interruptions = static_cast<int>(st.Int(9));
  t.lost = static_cast<int>(st.Int(10));
  t.not_before_unix_millis = st.Int(11);
  t.lease_expires_unix_millis = st.Int(12);
  t.enqueued = st.Int(13) != 0;
  if (!DecodeOutputs(st.Text(14), &t.outputs)) {
    return DataLoss("task " + t.id + " has malformed outputs");
  }
  t.last_error = st.Text(15);
  t.updated_unix_millis = st.Int(16);
  t.started_unix_millis = st.Int(17);
  t.checkpoint = st.Text(18);
  t.checkpoint_unix_millis = st.Int(19);
  t.releases = static_cast<int>(st.Int(20));
  if (!DecodePendingUploads(st.Text(21), &t.uploads)) {
    return DataLoss("task " + t.id + " has malformed pending uploads");
  }
  return t;
}

SqliteStatement& BindTask(SqliteStatement& st, const TaskRecord& t) {
  return st.Bind(1, t.id)
      .Bind(2, t.job_id)
      .Bind(3, int64_t{t.index})
      .Bind(4, t.input_key)
      .Bind(5, std::string_view(TaskStateName(t.state)))
      .Bind(6, t.version)
      .Bind(7, t.attempt_token)
      .Bind(8, int64_t{t.attempts})
      .Bind(9, int64_t{t.app_failures})
      .Bind(10, int64_t{t.interruptions})
      .Bind(11, int64_t{t.lost})
      .Bind(12, t.not_before_unix_millis)
      .Bind(13, t.lease_expires_unix_millis)
      .Bind(14, int64_t{t.enqueued ? 1 : 0})
      .Bind(15, EncodeOutputs(t.outputs))
      .Bind(16, t.last_error)
      .Bind(17, t.updated_unix_millis)
      .Bind(18, t.started_unix_millis)
      .Bind(19, t.checkpoint)
      .Bind(20, t.checkpoint_unix_millis)
      .Bind(21, int64_t{t.releases})
      .Bind(22, EncodePendingUploads(t.uploads));
}

class SqliteStateStore final : public StateStore {
 public:
  explicit SqliteStateStore(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) override {
    if (job.id.empty()) return InvalidArgument("job id is empty");
    if (tasks.empty()) return InvalidArgument("job " + job.id + " has no tasks");
    return db_->Transaction([&]() -> Status {
      SqliteStatement ins(*db_,
                          "INSERT INTO jobs(id, input_key, input_etag, input_size, created_at) "
                          "VALUES(?,?,?,?,?) ON CONFLICT(id) DO NOTHING");
      SB_RETURN_IF_ERROR(ins.Bind(1, job.id)
                             .Bind(2, job.input_key)
                             .Bind(3, job.input_etag)
                             .Bind(4, static_cast<int64_t>(job.input_size))
                             .Bind(5, job.created_unix_millis)
                             .Run());
      if (ins.changes() == 0) return AlreadyExists("job " + job.id + " exists");
      for (const TaskRecord& t : tasks) {
        SqliteStatement st(*db_, (std::string("INSERT INTO tasks(") + kTaskColumns +
                                  ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                                     .c_str());
        Status inserted = BindTask(st, t).Run();
        // The only constraint a task insert can break is its id's: another job has it.
        if (inserted.code() == StatusCode::kAborted) {
          return AlreadyExists("job " + job.id + ": task " + t.id + " exists");
        }
        SB_RETURN_IF_ERROR(inserted);
      }
      return Status::Ok();
    });
  }

  Result<JobView> GetJob(std::string_view job_id) override {
    JobView view;
    Status s = db_->Read([&]() -> Status {
      SqliteStatement st(*db_,
                         "SELECT id, input_key, input_etag, input_size, created_at FROM jobs "
                         "WHERE id=?");
      if (!st.Bind(1, job_id).Step()) {
        return st.status().ok() ? NotFound("no job " + std::string(job_id)) : st.status();
      }
      view.job = ReadJob(st);
      return ReadTasks("WHERE job_id=? ORDER BY idx", job_id, &view.tasks);
    });
    if (!s.ok()) return s;
    return view;
  }

  Result<TaskRecord> GetTask(std::string_view task_id) override {
    std::vector<TaskRecord> tasks;
    Status s = db_->Read([&] { return ReadTasks("WHERE id=?", task_id, &tasks); });
    if (!s.ok()) return s;
    if (tasks.empty()) return NotFound("no task " + std::string(task_id));
    return std::move(tasks.front());
  }

  Status CommitTask(const TaskRecord& next, int64_t expected_version,
                    const std::vector<AttemptRecord>& attempts,
                    CommitDurability durability) override {
    if (next.version != expected_version + 1) {
      return InvalidArgument("task " + next.id + ": next version must be expected + 1");
    }
    return db_->Transaction(
        [&]() -> Status {
          SqliteStatement upd(
              *db_,
              "UPDATE tasks SET state=?5, version=?6, attempt_token=?7, attempts=?8, "
              "app_failures=?9, interruptions=?10, lost=?11, not_before=?12, "
              "lease_expires=?13, enqueued=?14, outputs=?15, last_error=?16, "
              "updated_at=?17, started_at=?18, checkpoint=?19, checkpoint_at=?20, releases=?21, "
              "uploads=?22 WHERE id=?1 AND version=?23");
          BindTask(upd, next).Bind(23, expected_version);
          SB_RETURN_IF_ERROR(upd.Run());
          if (upd.changes() != 1) {
            return Aborted("task " + next.id + " changed since version " +
                           std::to_string(expected_version) + " (or does not exist)");
          }
          for (const AttemptRecord& a : attempts) {
            SqliteStatement st(*db_,
                               "INSERT INTO attempts(token, task_id, number, worker, started_at, "
                               "ended_at, outcome, exit_code, message, log_tail, pool, lost_work) "
                               "VALUES(?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(token) DO UPDATE SET "
                               "ended_at=excluded.ended_at, outcome=excluded.outcome, "
                               "exit_code=excluded.exit_code, message=excluded.message, "
                               "log_tail=excluded.log_tail, lost_work=excluded.lost_work");
            SB_RETURN_IF_ERROR(st.Bind(1, a.token)
                                   .Bind(2, a.task_id)
                                   .Bind(3, int64_t{a.number})
                                   .Bind(4, a.worker)
                                   .Bind(5, a.started_unix_millis)
                                   .Bind(6, a.ended_unix_millis)
                                   .Bind(7, std::string_view(AttemptOutcomeName(a.outcome)))
                                   .Bind(8, int64_t{a.exit_code})
                                   .Bind(9, a.message)
                                   .Bind(10, a.log_tail)
                                   .Bind(11, a.pool)
                                   .Bind(12, a.lost_work_millis)
                                   .Run());
          }
          return Status::Ok();
        },
        durability == CommitDurability::kSoft ? SqliteDb::Commit::kSoft
                                              : SqliteDb::Commit::kDurable);
  }

  Status Sync() override { return db_->SyncLog(); }

  Status MarkEnqueued(std::string_view task_id, int64_t expected_version) override {
    return db_->Transaction([&]() -> Status {
      SqliteStatement st(*db_,
                         "UPDATE tasks SET enqueued=1, version=version+1 WHERE id=? AND version=?");
      SB_RETURN_IF_ERROR(st.Bind(1, task_id).Bind(2, expected_version).Run());
      if (st.changes() == 1) return Status::Ok();
      SqliteStatement exists(*db_, "SELECT version FROM tasks WHERE id=?");
      if (!exists.Bind(1, task_id).Step()) {
        SB_RETURN_IF_ERROR(exists.status());
        return NotFound("no task " + std::string(task_id));
      }
      return Aborted("task " + std::string(task_id) + " changed since version " +
                     std::to_string(expected_version));
    });
  }

  Result<std::vector<JobView>> ListJobs() override {
    std::vector<JobView> jobs;
    Status s = db_->Read([&]() -> Status {
      std::map<std::string, size_t> index;
      SqliteStatement st(*db_,
                         "SELECT id, input_key, input_etag, input_size, created_at FROM jobs "
                         "ORDER BY seq");
      while (st.Step()) {
        index[st.Text(0)] = jobs.size();
        jobs.push_back(JobView{ReadJob(st), {}});
      }
      SB_RETURN_IF_ERROR(st.status());
      std::vector<TaskRecord> tasks;
      SB_RETURN_IF_ERROR(ReadTasks("ORDER BY job_id, idx", {}, &tasks));
      for (TaskRecord& t : tasks) {
        auto it = index.find(t.job_id);
        if (it != index.end()) jobs[it->second].tasks.push_back(std::move(t));
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return jobs;
  }

  Result<TaskCounts> CountTasks() override {
    TaskCounts counts;
    Status s = db_->Read([&]() -> Status {
      SqliteStatement st(*db_, "SELECT state, count(*) FROM tasks GROUP BY state");
      while (st.Step()) {
        TaskState state;
        if (!ParseTaskState(st.Text(0), &state)) {
          return DataLoss("tasks in unknown state " + st.Text(0));
        }
        counts.by_state[static_cast<int>(state)] = st.Int(1);
      }
      return st.status();
    });
    if (!s.ok()) return s;
    return counts;
  }

  Result<std::vector<TaskRecord>> ListUnenqueuedTasks() override {
    std::vector<TaskRecord> tasks;
    Status s = db_->Read([&] {
      return ReadTasks(
          "WHERE enqueued=0 AND state NOT IN ('SUCCEEDED','FAILED','CANCELLED') ORDER BY id", {},
          &tasks);
    });
    if (!s.ok()) return s;
    return tasks;
  }

  Result<std::vector<AttemptRecord>> ListAttempts(std::string_view task_id) override {
    std::vector<AttemptRecord> out;
    Status s = db_->Read([&]() -> Status {
      SqliteStatement st(
          *db_,
          "SELECT token, task_id, number, worker, started_at, ended_at, outcome, "
          "exit_code, message, log_tail, pool, lost_work FROM attempts WHERE task_id=? "
          "ORDER BY number, started_at");
      st.Bind(1, task_id);
      while (st.Step()) {
        AttemptRecord a;
        a.token = st.Text(0);
        a.task_id = st.Text(1);
        a.number = static_cast<int>(st.Int(2));
        a.worker = st.Text(3);
        a.started_unix_millis = st.Int(4);
        a.ended_unix_millis = st.Int(5);
        if (!ParseAttemptOutcome(st.Text(6), &a.outcome)) {
          return DataLoss("attempt " + a.token + " has unknown outcome " + st.Text(6));
        }
        a.exit_code = static_cast<int>(st.Int(7));
        a.message = st.Text(8);
        a.log_tail = st.Text(9);
        a.pool = st.Text(10);
        a.lost_work_millis = st.Int(11);
        out.push_back(std::move(a));
      }
      return st.status();
    });
    if (!s.ok()) return s;
    return out;
  }

 private:
  static JobRecord ReadJob(const SqliteStatement& st) {
    return JobRecord{st.Text(0), st.Text(1), st.Text(2), static_cast<uint64_t>(st.Int(3)),
                     st.Int(4)};
  }

  // Appends the tasks matching `where` (with at most one text parameter) to `out`.
  Status ReadTasks(const std::string& where, std::string_view param, std::vector<TaskRecord>* out) {
    SqliteStatement st(*db_,
                       (std::string("SELECT ") + kTaskColumns + " FROM tasks " + where).c_str());
    if (where.find('?') != std::string::npos) st.Bind(1, param);
    while (st.Step()) {
      auto t = ReadTask(st);
      if (!t.ok()) return t.status();
      out->push_back(std::move(*t));
    }
    return st.status();
  }

  std::shared_ptr<SqliteDb> db_;
};

}  // namespace

std::unique_ptr<StateStore> NewSqliteStateStore(std::shared_ptr<SqliteDb> db) {
  return std::make_unique<SqliteStateStore>(std::move(db));
}

}  // namespace spotbatch
