#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

// Runs `call` unless `fault` fails it first; with an after-effect fault, runs it and then
// reports the failure.
template <typename R, typename F>
R Forward(const Fault& fault, F&& call) {
  if (!fault.fails()) return call();
  if (fault.after_effect) (void)call();
  return fault.status;
}

}  // namespace

Result<ObjectInfo> FaultyObjectStore::Put(std::string_view key, std::string_view data) {
  return Forward<Result<ObjectInfo>>(faults_.Check("Put", key),
                                     [&] { return base_.Put(key, data); });
}

Result<ObjectInfo> FaultyObjectStore::PutFile(std::string_view key, const std::string& path) {
  return Forward<Result<ObjectInfo>>(faults_.Check("PutFile", key),
                                     [&] { return base_.PutFile(key, path); });
}

Result<std::string> FaultyObjectStore::Get(std::string_view key) {
  return Forward<Result<std::string>>(faults_.Check("Get", key), [&] { return base_.Get(key); });
}

Result<std::string> FaultyObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                uint64_t length) {
  return Forward<Result<std::string>>(faults_.Check("GetRange", key),
                                      [&] { return base_.GetRange(key, offset, length); });
}

Status FaultyObjectStore::GetToFile(std::string_view key, const std::string& path) {
  return Forward<Status>(faults_.Check("GetToFile", key),
                         [&] { return base_.GetToFile(key, path); });
}

Result<ObjectInfo> FaultyObjectStore::Stat(std::string_view key) {
  return Forward<Result<ObjectInfo>>(faults_.Check("Stat", key), [&] { return base_.Stat(key); });
}

Result<std::vector<ObjectInfo>> FaultyObjectStore::List(std::string_view prefix) {
  return Forward<Result<std::vector<ObjectInfo>>>(faults_.Check("List", prefix),
                                                  [&] { return base_.List(prefix); });
}

Status FaultyObjectStore::Copy(std::string_view src, std::string_view dst) {
  return Forward<Status>(faults_.Check("Copy", dst), [&] { return base_.Copy(src, dst); });
}

Status FaultyObjectStore::Delete(std::string_view key) {
  return Forward<Status>(faults_.Check("Delete", key), [&] { return base_.Delete(key); });
}

Result<ObjectInfo> FaultyObjectStore::PutFileResumable(std::string_view key,
                                                       const std::string& path,
                                                       ResumableUpload& upload) {
  return Forward<Result<ObjectInfo>>(faults_.Check("PutFile", key),
                                     [&] { return base_.PutFileResumable(key, path, upload); });
}

Status FaultyObjectStore::AbandonUpload(std::string_view key, const std::string& upload_id) {
  return Forward<Status>(faults_.Check("AbandonUpload", key),
                         [&] { return base_.AbandonUpload(key, upload_id); });
}

Status FaultyTaskQueue::Configure(std::string_view queue, const QueueOptions& options) {
  return Forward<Status>(faults_.Check("Configure", queue),
                         [&] { return base_.Configure(queue, options); });
}

Result<std::string> FaultyTaskQueue::Send(std::string_view queue, std::string_view body,
                                          int priority, int64_t delay_millis) {
  return Forward<Result<std::string>>(faults_.Check("Send", queue), [&] {
    return base_.Send(queue, body, priority, delay_millis);
  });
}

Result<std::optional<QueueMessage>> FaultyTaskQueue::Lease(std::string_view queue,
                                                           int64_t visibility_millis) {
  return Forward<Result<std::optional<QueueMessage>>>(
      faults_.Check("Lease", queue), [&] { return base_.Lease(queue, visibility_millis); });
}

Result<std::optional<QueueMessage>> FaultyTaskQueue::LeaseWaiting(std::string_view queue,
                                                                  int64_t visibility_millis,
                                                                  int64_t wait_millis) {
  return Forward<Result<std::optional<QueueMessage>>>(faults_.Check("Lease", queue), [&] {
    return base_.LeaseWaiting(queue, visibility_millis, wait_millis);
  });
}

Result<std::vector<QueueMessage>> FaultyTaskQueue::LeaseBatch(std::string_view queue,
                                                              int max_messages,
                                                              int64_t visibility_millis) {
  return Forward<Result<std::vector<QueueMessage>>>(faults_.Check("Lease", queue), [&] {
    return base_.LeaseBatch(queue, max_messages, visibility_millis);
  });
}

Status FaultyTaskQueue::Extend(std::string_view receipt, int64_t visibility_millis) {
  return Forward<Status>(faults_.Check("Extend", receipt),
                         [&] { return base_.Extend(receipt, visibility_millis); });
}

Status FaultyTaskQueue::Release(std::string_view receipt, int64_t delay_millis) {
  return Forward<Status>(faults_.Check("Release", receipt),
                         [&] { return base_.Release(receipt, delay_millis); });
}

Status FaultyTaskQueue::Delete(std::string_view receipt) {
  return Forward<Status>(faults_.Check("Delete", receipt), [&] { return base_.Delete(receipt); });
}

Status FaultyTaskQueue::DeleteBatch(const std::vector<std::string>& receipts) {
  return Forward<Status>(faults_.Check("DeleteBatch", ""),
                         [&] { return base_.DeleteBatch(receipts); });
}

Status FaultyTaskQueue::DeadLetter(std::string_view receipt) {
  return Forward<Status>(faults_.Check("DeadLetter", receipt),
                         [&] { return base_.DeadLetter(receipt); });
}

Result<QueueDepth> FaultyTaskQueue::Depth(std::string_view queue) {
  return Forward<Result<QueueDepth>>(faults_.Check("Depth", queue),
                                     [&] { return base_.Depth(queue); });
}

Status FaultyStateStore::CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) {
  return Forward<Status>(faults_.Check("CreateJob", job.id),
                         [&] { return base_.CreateJob(job, tasks); });
}

Result<JobView> FaultyStateStore::GetJob(std::string_view job_id) {
  return Forward<Result<JobView>>(faults_.Check("GetJob", job_id),
                                  [&] { return base_.GetJob(job_id); });
}

Result<TaskRecord> FaultyStateStore::GetTask(std::string_view task_id) {
  return Forward<Result<TaskRecord>>(faults_.Check("GetTask", task_id),
                                     [&] { return base_.GetTask(task_id); });
}

Status FaultyStateStore::CommitTask(const TaskRecord& next, int64_t expected_version,
                                    const std::vector<AttemptRecord>& attempts,
                                    CommitDurability durability) {
  return Forward<Status>(faults_.Check("CommitTask", next.id), [&] {
    return base_.CommitTask(next, expected_version, attempts, durability);
  });
}

Status FaultyStateStore::Sync() {
  return Forward<Status>(faults_.Check("Sync", ""), [&] { return base_.Sync(); });
}

Status FaultyStateStore::MarkEnqueued(std::string_view task_id, int64_t expected_version) {
  return Forward<Status>(faults_.Check("MarkEnqueued", task_id),
                         [&] { return base_.MarkEnqueued(task_id, expected_version); });
}

Result<TaskCounts> FaultyStateStore::CountTasks() {
  return Forward<Result<TaskCounts>>(faults_.Check("CountTasks", ""),
                                     [&] { return base_.CountTasks(); });
}

Result<std::vector<JobView>> FaultyStateStore::ListJobs() {
  return Forward<Result<std::vector<JobView>>>(faults_.Check("ListJobs", ""),
                                               [&] { return base_.ListJobs(); });
}

Result<std::vector<TaskRecord>> FaultyStateStore::ListUnenqueuedTasks() {
  return Forward<Result<std::vector<TaskRecord>>>(faults_.Check("ListUnenqueuedTasks", ""),
                                                  [&] { return base_.ListUnenqueuedTasks(); });
}

Result<std::vector<AttemptRecord>> FaultyStateStore::ListAttempts(std::string_view task_id) {
  return Forward<Result<std::vector<AttemptRecord>>>(faults_.Check("ListAttempts", task_id),
                                                     [&] { return base_.ListAttempts(task_id); });
}

Result<MetadataNotices> FaultyInstanceMetadata::Poll() {
  return Forward<Result<MetadataNotices>>(faults_.Check("Poll", ""), [&] { return base_.Poll(); });
}

Result<std::unique_ptr<RunningCommand>> FaultyCommandLauncher::Start(const CommandSpec& spec) {
  return Forward<Result<std::unique_ptr<RunningCommand>>>(
      faults_.Check("Start", spec.argv.empty() ? "" : spec.argv[0]),
      [&] { return base_.Start(spec); });
}

}  // namespace spotbatch
