#include "agent/ingest.h"

#include <unordered_map>

#include "common/ids.h"
#include "core/task_machine.h"

namespace spotbatch {

std::string JobIdFor(const std::string& key, const std::string& etag) {
  std::string material = key;
  material.push_back('\0');
  material += etag;
  return Sha256Hex(material).substr(0, 16);
}

Status Ingest::Enqueue(const TaskRecord& task) {
  SB_RETURN_IF_ERROR(queue_.Send(pipeline_.queue, task.id, pipeline_.priority, 0).status());
  return state_.MarkEnqueued(task.id);
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
  SB_RETURN_IF_ERROR(Enqueue(task));
  return job.id;
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
      if (IsTerminal(DeriveJobState(it->second->tasks))) {
        ++report.finished;
      } else {
        report.unfinished_jobs.push_back(it->first);
      }
      continue;
    }
    if (object.modified_unix_millis > settled_before) continue;
    bool created = false;
    SB_ASSIGN_OR_RETURN(std::string id, IngestObject(object, &created));
    report.created += created ? 1 : 0;
    report.unfinished_jobs.push_back(std::move(id));
  }
  SB_RETURN_IF_ERROR(EnqueuePending());
  return report;
}

Status Ingest::EnqueuePending() {
  SB_ASSIGN_OR_RETURN(std::vector<TaskRecord> pending, state_.ListUnenqueuedTasks());
  for (const TaskRecord& t : pending) SB_RETURN_IF_ERROR(Enqueue(t));
  return Status::Ok();
}

}  // namespace spotbatch
