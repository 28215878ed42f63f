// StateStore: the durable record of jobs, tasks and attempts, with conditional transitions.
//
// Every change to a task names the version it was computed from; the store applies it only if
// the task still has that version (kAborted otherwise: re-read, re-decide, retry). That is how
// two workers holding the same task, or a stale worker, can never both commit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/model.h"
#include "spotbatch/status.h"

namespace spotbatch {

// How many tasks are in each state (indexed by TaskState).
struct TaskCounts {
  int64_t by_state[6] = {0, 0, 0, 0, 0, 0};
  int64_t of(TaskState s) const { return by_state[static_cast<int>(s)]; }
};

struct JobView {
  JobRecord job;
  std::vector<TaskRecord> tasks;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Creates the job and its tasks in one transaction. kAlreadyExists (and no change) when a job
  // with that id exists, or a task with the id of one of its tasks; kInvalidArgument for an
  // empty job id or no tasks.
  virtual Status CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) = 0;
  virtual Result<JobView> GetJob(std::string_view job_id) = 0;
  virtual Result<TaskRecord> GetTask(std::string_view task_id) = 0;
  // Writes `next` (whose version must be expected_version + 1) and records `attempts`, in one
  // transaction, only if the stored task still has `expected_version`; kAborted otherwise.
  // An attempt whose token is new is inserted whole; for a known token only its end (ended,
  // outcome, exit code, message, log tail) is written.
  virtual Status CommitTask(const TaskRecord& next, int64_t expected_version,
                            const std::vector<AttemptRecord>& attempts,
                            CommitDurability durability = CommitDurability::kDurable) = 0;
  // Makes every commit made so far through this store durable, kSoft ones included.
  virtual Status Sync() = 0;
  // Records that a queue message now exists for the task's current QUEUED spell, and bumps
  // the version (conditional writes computed from the unmarked record must re-read), only if
  // the task still has `expected_version`. kAborted (and no change) when it has another one:
  // the task moved on, and whoever moved it decides whether it needs a message; kNotFound
  // when there is no such task.
  virtual Status MarkEnqueued(std::string_view task_id, int64_t expected_version) = 0;
  // Tasks per state, over every job: one aggregate read, for progress displays.
  virtual Result<TaskCounts> CountTasks() = 0;
  // Every job with its tasks, oldest first.
  virtual Result<std::vector<JobView>> ListJobs() = 0;
  // Tasks that are not terminal and have no queue message for their current QUEUED spell.
  virtual Result<std::vector<TaskRecord>> ListUnenqueuedTasks() = 0;
  // Attempts of one task, oldest first.
  virtual Result<std::vector<AttemptRecord>> ListAttempts(std::string_view task_id) = 0;
};

}  // namespace spotbatch
