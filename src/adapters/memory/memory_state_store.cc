#include "adapters/memory/memory_state_store.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace spotbatch {
namespace {

// Lets the hashed tables be searched by string_view without building a string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// A task is listed by ListUnenqueuedTasks while this holds.
bool NeedsMessage(const TaskRecord& t) { return !t.enqueued && !IsTerminal(t.state); }

}  // namespace

struct MemoryStateStore::Tables {
  // Keeps the derived indexes (counts, unenqueued set) in step with one change of a task.
  void Forget(const TaskRecord& t) {
    --counts.by_state[static_cast<int>(t.state)];
    if (NeedsMessage(t)) unenqueued.erase(t.id);
  }
  void Remember(const TaskRecord& t) {
    ++counts.by_state[static_cast<int>(t.state)];
    if (NeedsMessage(t)) unenqueued.insert(t.id);
  }
  // A job's view: its record and its tasks by index. Call with `mu` held.
  JobView ViewOf(const JobRecord& job) const {
    JobView view{job, {}};
    auto it = tasks_of_job.find(job.id);
    if (it != tasks_of_job.end()) {
      view.tasks.reserve(it->second.size());
      for (const TaskRecord* t : it->second) view.tasks.push_back(*t);
    }
    return view;
  }

  std::mutex mu;
  std::vector<JobRecord> jobs;  // creation order
  StringMap<size_t> job_at;     // id -> index in `jobs`
  // Node-based: the pointers below stay valid while tasks are added.
  StringMap<TaskRecord> tasks;
  StringMap<std::vector<const TaskRecord*>> tasks_of_job;  // by the task's job_id, by index
  std::set<std::string, std::less<>> unenqueued;           // ids, in id order
  TaskCounts counts;
  StringMap<AttemptRecord> attempts;                              // by token
  StringMap<std::vector<const AttemptRecord*>> attempts_of_task;  // by the attempt's task_id
};

MemoryStateStore::MemoryStateStore() : tables_(std::make_shared<Tables>()) {}
MemoryStateStore::MemoryStateStore(std::shared_ptr<Tables> tables) : tables_(std::move(tables)) {}
MemoryStateStore::~MemoryStateStore() = default;

std::unique_ptr<MemoryStateStore> MemoryStateStore::Connect() const {
  return std::unique_ptr<MemoryStateStore>(new MemoryStateStore(tables_));
}

Status MemoryStateStore::CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) {
  if (job.id.empty()) return InvalidArgument("job id is empty");
  if (tasks.empty()) return InvalidArgument("job " + job.id + " has no tasks");
  std::lock_guard<std::mutex> lock(tables_->mu);
  Tables& db = *tables_;
  if (db.job_at.contains(job.id)) return AlreadyExists("job " + job.id + " exists");
  // Checked before anything is written: the job is created whole or not at all.
  std::unordered_set<std::string_view> ids;
  for (const TaskRecord& t : tasks) {
    if (db.tasks.contains(t.id) || !ids.insert(t.id).second) {
      return AlreadyExists("job " + job.id + ": task " + t.id + " exists");
    }
  }
  db.job_at.emplace(job.id, db.jobs.size());
  db.jobs.push_back(job);
  for (const TaskRecord& t : tasks) {
    const TaskRecord& stored = db.tasks.emplace(t.id, t).first->second;
    db.Remember(stored);
    std::vector<const TaskRecord*>& of_job = db.tasks_of_job[stored.job_id];
    // After the tasks of the same index already there: ties keep creation order.
    auto at =
        std::upper_bound(of_job.begin(), of_job.end(), stored.index,
                         [](int index, const TaskRecord* other) { return index < other->index; });
    of_job.insert(at, &stored);
  }
  return Status::Ok();
}

Result<JobView> MemoryStateStore::GetJob(std::string_view job_id) {
  std::lock_guard<std::mutex> lock(tables_->mu);
  auto it = tables_->job_at.find(job_id);
  if (it == tables_->job_at.end()) return NotFound("no job " + std::string(job_id));
  return tables_->ViewOf(tables_->jobs[it->second]);
}

Result<TaskRecord> MemoryStateStore::GetTask(std::string_view task_id) {
  std::lock_guard<std::mutex> lock(tables_->mu);
  auto it = tables_->tasks.find(task_id);
  if (it == tables_->tasks.end()) return NotFound("no task " + std::string(task_id));
  return it->second;
}

Status MemoryStateStore::CommitTask(const TaskRecord& next, int64_t expected_version,
                                    const std::vector<AttemptRecord>& attempts,
                                    CommitDurability durability) {
  if (next.version != expected_version + 1) {
    return InvalidArgument("task " + next.id + ": next version must be expected + 1");
  }
  std::lock_guard<std::mutex> lock(tables_->mu);
  Tables& db = *tables_;
  auto it = db.tasks.find(next.id);
  if (it == db.tasks.end() || it->second.version != expected_version) {
    return Aborted("task " + next.id + " changed since version " +
                   std::to_string(expected_version) + " (or does not exist)");
  }
  TaskRecord& stored = it->second;
  db.Forget(stored);
  // Everything but the task's identity, which only CreateJob writes.
  TaskRecord updated = next;
  updated.job_id = std::move(stored.job_id);
  updated.index = stored.index;
  updated.input_key = std::move(stored.input_key);
  stored = std::move(updated);
  db.Remember(stored);
  for (const AttemptRecord& a : attempts) {
    auto [at, inserted] = db.attempts.try_emplace(a.token, a);
    if (inserted) {
      db.attempts_of_task[a.task_id].push_back(&at->second);
      continue;
    }
    AttemptRecord& known = at->second;  // only its end is written
    known.ended_unix_millis = a.ended_unix_millis;
    known.outcome = a.outcome;
    known.exit_code = a.exit_code;
    known.message = a.message;
    known.log_tail = a.log_tail;
    known.lost_work_millis = a.lost_work_millis;
  }
  return Status::Ok();
}

Status MemoryStateStore::Sync() { return Status::Ok(); }

Status MemoryStateStore::MarkEnqueued(std::string_view task_id, int64_t expected_version) {
  std::lock_guard<std::mutex> lock(tables_->mu);
  Tables& db = *tables_;
  auto it = db.tasks.find(task_id);
  if (it == db.tasks.end()) return NotFound("no task " + std::string(task_id));
  TaskRecord& t = it->second;
  if (t.version != expected_version) {
    return Aborted("task " + t.id + " changed since version " + std::to_string(expected_version));
  }
  db.Forget(t);
  t.enqueued = true;
  ++t.version;
  db.Remember(t);
  return Status::Ok();
}

Result<TaskCounts> MemoryStateStore::CountTasks() {
  std::lock_guard<std::mutex> lock(tables_->mu);
  return tables_->counts;
}

Result<std::vector<JobView>> MemoryStateStore::ListJobs() {
  std::lock_guard<std::mutex> lock(tables_->mu);
  std::vector<JobView> out;
  out.reserve(tables_->jobs.size());
  for (const JobRecord& job : tables_->jobs) out.push_back(tables_->ViewOf(job));
  return out;
}

Result<std::vector<TaskRecord>> MemoryStateStore::ListUnenqueuedTasks() {
  std::lock_guard<std::mutex> lock(tables_->mu);
  std::vector<TaskRecord> out;
  out.reserve(tables_->unenqueued.size());
  for (const std::string& id : tables_->unenqueued) out.push_back(tables_->tasks.find(id)->second);
  return out;
}

Result<std::vector<AttemptRecord>> MemoryStateStore::ListAttempts(std::string_view task_id) {
  std::vector<AttemptRecord> out;
  {
    std::lock_guard<std::mutex> lock(tables_->mu);
    auto it = tables_->attempts_of_task.find(task_id);
    if (it == tables_->attempts_of_task.end()) return out;
    out.reserve(it->second.size());
    for (const AttemptRecord* a : it->second) out.push_back(*a);
  }
  // Oldest first, as the SQLite store orders them.
  std::stable_sort(out.begin(), out.end(), [](const AttemptRecord& a, const AttemptRecord& b) {
    return a.number != b.number ? a.number < b.number
                                : a.started_unix_millis < b.started_unix_millis;
  });
  return out;
}

}  // namespace spotbatch
