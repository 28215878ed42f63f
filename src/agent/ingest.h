// Ingest: every object under the input prefix starts exactly one job.
//
// A job's id is derived from the object's key and ETag, and created with a conditional
// insert, so the same object seen twice (by `put`, by a reconcile at start, by the watcher,
// by two processes at once) still makes one job. Creating the job and sending its queue
// message are two steps; a task records whether its message was sent, and EnqueuePending()
// sends the ones a crash left behind. A duplicate message is harmless: workers drop it.
// Under [pipeline] order = "largest_first" a message's priority carries its input's size rank
// (core/task_order.h), so workers start the largest inputs first.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "agent/pipeline_spec.h"
#include "spotbatch/clock.h"
#include "spotbatch/object_store.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

// The id of the job for this version of an object.
std::string JobIdFor(const std::string& key, const std::string& etag);

struct IngestReport {
  std::vector<std::string> unfinished_jobs;  // jobs of current input objects not yet finished
  int created = 0;                           // jobs created by this call
  int finished = 0;                          // input objects whose job had already finished
};

class Ingest {
 public:
  Ingest(const PipelineSpec& pipeline, ObjectStore& store, TaskQueue& queue, StateStore& state,
         Clock& clock)
      : pipeline_(pipeline), store_(store), queue_(queue), state_(state), clock_(clock) {}

  // Creates the job for `object` if it has none and enqueues it. Returns the job id; sets
  // *created when this call made it.
  Result<std::string> IngestObject(const ObjectInfo& object, bool* created);
  // Ingests every object under the input prefix, then enqueues whatever was left unsent.
  // Objects modified less than `settle_millis` ago are left for a later call: a file being
  // copied into the input folder by another program may not be complete yet.
  Result<IngestReport> Reconcile(int64_t settle_millis = 0);
  // What `up` calls on every watch interval: ingests the objects under the input prefix that
  // this Ingest has not seen with their current ETag, then enqueues whatever was left unsent.
  // The first call reads every job once (Reconcile); later ones read no job, so their cost
  // grows with new objects, not with history (listing the prefix still visits every object).
  // Returns the number of jobs created.
  Result<int> Watch(int64_t settle_millis);
  // Sends a message for every task that has none (after a crash, or a retry).
  Status EnqueuePending();

 private:
  // Sends the task's message with `priority` (core/task_order.h: the pipeline's priority and,
  // under largest_first, the input's size rank) and marks the task enqueued.
  Status Enqueue(const TaskRecord& task, int priority);
  // IngestObject for an object last modified before `settled_before` (counting a created job
  // in *created_count and remembering the object); "" for one still changing, left for later.
  Result<std::string> IngestSettled(const ObjectInfo& object, int64_t settled_before,
                                    int* created_count);

  const PipelineSpec& pipeline_;
  ObjectStore& store_;
  TaskQueue& queue_;
  StateStore& state_;
  Clock& clock_;
  // Objects known to have a job: key -> ETag (filled by Reconcile and Watch).
  std::unordered_map<std::string, std::string> known_;
  bool seeded_ = false;
};

}  // namespace spotbatch
