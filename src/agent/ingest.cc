#include "agent/ingest.h"

#include <unordered_map>

#include "agent/task_priority.h"
#include "common/ids.h"
#include "core/task_machine.h"

namespace spotbatch {

std::string JobIdFor(const std::string& key, const std::string& etag) {
  std::string material = key;
  material.push_back('\0');
  material += etag;
  return Sha256Hex(material).substr(0, 16);
}

Status Ingest::Enqueue(const TaskRecord& task, int priority) {
  SB_RETURN_IF_ERROR(queue_.Send(pipeline_.queue, task.id, priority, 0).status());
  Status s = state_.MarkEnqueued(task.id, task.version);
  // Changed since it was read (a worker took the message already, a retry began a new spell):
  // the message just sent is at worst a duplicate, and a spell that needs one is listed by
  // ListUnenqueuedTasks again.
  if (s.code() == StatusCode::kAborted) return Status::Ok();
  return s;
}

Result<std::string> Ingest::IngestObject(const ObjectInfo& object, bool* created) {
  *created = false;
  JobRecord job{JobIdFor(object.key, object.etag), object.key, object.etag, object.size,
                clock_.NowUnixMillis()};
  TaskRecord task;
  task.id = job.id + "-0";
  task.job_id = job.id;
  task.input_key = object.key;
  task.updated_unix_millis = job.created_unix_millis;
  Status s = state_.CreateJob(job, {task});
  if (s.code() == StatusCode::kAlreadyExists) return job.id;
  SB_RETURN_IF_ERROR(s);
  *created = true;
  // The listing gave the size already: no read of the object for the priority.
  SB_RETURN_IF_ERROR(
      Enqueue(task, QueuePriority(pipeline_.priority, pipeline_.order, object.size)));
  return job.id;
}

Result<std::string> Ingest::IngestSettled(const ObjectInfo& object, int64_t settled_before,
                                          int* created_count) {
  if (object.modified_unix_millis > settled_before) return std::string();
  bool created = false;
  SB_ASSIGN_OR_RETURN(std::string id, IngestObject(object, &created));
  *created_count += created ? 1 : 0;
  known_[object.key] = object.etag;
  return id;
}

Result<IngestReport> Ingest::Reconcile(int64_t settle_millis) {
  SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_.List(pipeline_.input_prefix));
  SB_ASSIGN_OR_RETURN(std::vector<JobView> jobs, state_.ListJobs());
  std::unordered_map<std::string, const JobView*> by_id;
  for (const JobView& j : jobs) by_id[j.job.id] = &j;
  IngestReport report;
  const int64_t settled_before = clock_.NowUnixMillis() - settle_millis;
  for (const ObjectInfo& object : objects) {
    auto it = by_id.find(JobIdFor(object.key, object.etag));
    if (it != by_id.end()) {
      known_[object.key] = object.etag;
      if (IsTerminal(DeriveJobState(it->second->tasks))) {
        ++report.finished;
      } else {
        report.unfinished_jobs.push_back(it->first);
      }
      continue;
    }
    SB_ASSIGN_OR_RETURN(std::string id, IngestSettled(object, settled_before, &report.created));
    if (!id.empty()) report.unfinished_jobs.push_back(std::move(id));
  }
  seeded_ = true;
  SB_RETURN_IF_ERROR(EnqueuePending());
  return report;
}

Result<int> Ingest::Watch(int64_t settle_millis) {
  if (!seeded_) {
    SB_ASSIGN_OR_RETURN(IngestReport report, Reconcile(settle_millis));
    return report.created;
  }
  SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_.List(pipeline_.input_prefix));
  const int64_t settled_before = clock_.NowUnixMillis() - settle_millis;
  int created_count = 0;
  for (const ObjectInfo& object : objects) {
    auto it = known_.find(object.key);
    if (it != known_.end() && it->second == object.etag) continue;
    SB_RETURN_IF_ERROR(IngestSettled(object, settled_before, &created_count).status());
  }
  SB_RETURN_IF_ERROR(EnqueuePending());
  return created_count;
}

Status Ingest::EnqueuePending() {
  SB_ASSIGN_OR_RETURN(std::vector<TaskRecord> pending, state_.ListUnenqueuedTasks());
  for (const TaskRecord& t : pending) {
    SB_ASSIGN_OR_RETURN(int priority,
                        JobQueuePriority(state_, t.job_id, pipeline_.priority, pipeline_.order));
    SB_RETURN_IF_ERROR(Enqueue(t, priority));
  }
  return Status::Ok();
}

}  // namespace spotbatch
