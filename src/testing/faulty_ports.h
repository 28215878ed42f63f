// Fault-injecting wrappers around every port, as leveldb's ErrorEnv wraps its Env: each
// forwards to the real adapter unless its FaultInjector says the call fails (see
// fault_injector.h), so tests reach the error branches of the worker, the ingest and the
// control plane with the real parts underneath. Method names in rules are the port's own
// ("Put", "GetToFile", "Lease", "CommitTask", "Poll", ...); the subject is the key, queue,
// receipt or task id the call names.
#pragma once

#include "agent/command_launcher.h"
#include "spotbatch/instance_metadata.h"
#include "spotbatch/object_store.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"
#include "testing/fault_injector.h"

namespace spotbatch {

class FaultyObjectStore final : public ObjectStore {
 public:
  FaultyObjectStore(ObjectStore& base, FaultInjector& faults) : base_(base), faults_(faults) {}
  Result<ObjectInfo> Put(std::string_view key, std::string_view data) override;
  Result<ObjectInfo> PutFile(std::string_view key, const std::string& path) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Status GetToFile(std::string_view key, const std::string& path) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Copy(std::string_view src, std::string_view dst) override;
  Status Delete(std::string_view key) override;
  // Faults under the name "PutFile": either way of uploading a file.
  Result<ObjectInfo> PutFileResumable(std::string_view key, const std::string& path,
                                      ResumableUpload& upload) override;
  Status AbandonUpload(std::string_view key, const std::string& upload_id) override;

 private:
  ObjectStore& base_;
  FaultInjector& faults_;
};

class FaultyTaskQueue final : public TaskQueue {
 public:
  FaultyTaskQueue(TaskQueue& base, FaultInjector& faults) : base_(base), faults_(faults) {}
  Status Configure(std::string_view queue, const QueueOptions& options) override;
  Result<std::string> Send(std::string_view queue, std::string_view body, int priority,
                           int64_t delay_millis) override;
  Result<std::optional<QueueMessage>> Lease(std::string_view queue,
                                            int64_t visibility_millis) override;
  // Faults under the name "Lease", as LeaseBatch does (a failed batch leases nothing).
  Result<std::optional<QueueMessage>> LeaseWaiting(std::string_view queue,
                                                   int64_t visibility_millis,
                                                   int64_t wait_millis) override;
  Result<std::vector<QueueMessage>> LeaseBatch(std::string_view queue, int max_messages,
                                               int64_t visibility_millis) override;
  Status Extend(std::string_view receipt, int64_t visibility_millis) override;
  Status Release(std::string_view receipt, int64_t delay_millis) override;
  Status Delete(std::string_view receipt) override;
  Status DeleteBatch(const std::vector<std::string>& receipts) override;
  Status DeadLetter(std::string_view receipt) override;
  Result<QueueDepth> Depth(std::string_view queue) override;

 private:
  TaskQueue& base_;
  FaultInjector& faults_;
};

class FaultyStateStore final : public StateStore {
 public:
  FaultyStateStore(StateStore& base, FaultInjector& faults) : base_(base), faults_(faults) {}
  Status CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) override;
  Result<JobView> GetJob(std::string_view job_id) override;
  Result<TaskRecord> GetTask(std::string_view task_id) override;
  Status CommitTask(const TaskRecord& next, int64_t expected_version,
                    const std::vector<AttemptRecord>& attempts,
                    CommitDurability durability) override;
  Status Sync() override;
  Status MarkEnqueued(std::string_view task_id, int64_t expected_version) override;
  Result<TaskCounts> CountTasks() override;
  Result<std::vector<JobView>> ListJobs() override;
  Result<std::vector<TaskRecord>> ListUnenqueuedTasks() override;
  Result<std::vector<AttemptRecord>> ListAttempts(std::string_view task_id) override;

 private:
  StateStore& base_;
  FaultInjector& faults_;
};

class FaultyInstanceMetadata final : public InstanceMetadata {
 public:
  FaultyInstanceMetadata(InstanceMetadata& base, FaultInjector& faults)
      : base_(base), faults_(faults) {}
  Result<MetadataNotices> Poll() override;

 private:
  InstanceMetadata& base_;
  FaultInjector& faults_;
};

// The process runner: "Start", subject argv[0]. A failed start starts nothing.
class FaultyCommandLauncher final : public CommandLauncher {
 public:
  FaultyCommandLauncher(CommandLauncher& base, FaultInjector& faults)
      : base_(base), faults_(faults) {}
  Result<std::unique_ptr<RunningCommand>> Start(const CommandSpec& spec) override;

 private:
  CommandLauncher& base_;
  FaultInjector& faults_;
};

}  // namespace spotbatch
