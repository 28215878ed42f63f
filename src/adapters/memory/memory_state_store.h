// StateStore in memory, for the simulator and for fast tests.
//
// The same contract as the SQLite store (tests/contract/state_store_contract.h runs against
// both): jobs created whole or not at all, commits applied only on the version they were
// computed from (kAborted otherwise), attempts inserted whole by new token and ended by known
// token, MarkEnqueued conditional on the version. A commit writes every field of the task but
// its identity (id, job, index, input key), as the SQLite store does. How it differs:
// - Nothing survives the process; CommitDurability is accepted and ignored, and Sync() has
//   nothing to do.
//
// Thread-safe: one mutex per store, shared by every handle Connect() makes, so every method
// is one transaction. With n tasks: GetTask, CommitTask and MarkEnqueued are O(1) (hashed by
// id) plus O(log n) to keep the set of unenqueued tasks; CountTasks is O(1) (counts are kept
// as tasks change); GetJob is O(tasks of the job); ListUnenqueuedTasks is O(log n + k) for the
// k tasks it returns; ListAttempts is O(a log a) for the task's a attempts; ListJobs is O(n).
#pragma once

#include <memory>

#include "spotbatch/state_store.h"

namespace spotbatch {

class MemoryStateStore final : public StateStore {
 public:
  MemoryStateStore();
  ~MemoryStateStore() override;

  // Another handle on the same records, as a second connection to the same SQLite file is.
  // The records live until the last handle goes.
  std::unique_ptr<MemoryStateStore> Connect() const;

  Status CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) override;
  Result<JobView> GetJob(std::string_view job_id) override;
  Result<TaskRecord> GetTask(std::string_view task_id) override;
  Status CommitTask(const TaskRecord& next, int64_t expected_version,
                    const std::vector<AttemptRecord>& attempts,
                    CommitDurability durability = CommitDurability::kDurable) override;
  Status Sync() override;
  Status MarkEnqueued(std::string_view task_id, int64_t expected_version) override;
  Result<TaskCounts> CountTasks() override;
  Result<std::vector<JobView>> ListJobs() override;
  Result<std::vector<TaskRecord>> ListUnenqueuedTasks() override;
  Result<std::vector<AttemptRecord>> ListAttempts(std::string_view task_id) override;

 private:
  struct Tables;
  explicit MemoryStateStore(std::shared_ptr<Tables> tables);

  std::shared_ptr<Tables> tables_;
};

}  // namespace spotbatch
