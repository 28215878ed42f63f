// What becomes of a worker's leased messages once their tasks' transitions are committed: each
// committed QueueEffect carried out on the message (kept, released after a delay, handed over
// to the on-demand queue, deleted, dead-lettered).
//
// Deletions wait in a batch (one queue commit for all of them), and before a batch is deleted
// the soft successes among its tasks are made durable (one StateStore::Sync for all): a
// message may go only once its task's end can no longer be undone by a power loss. A batch is
// also flushed before the oldest message in it could see its lease run out, or it would be
// delivered again. Deleting late is harmless: a redelivered message finds its task finished
// and is deleted then.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/task_machine.h"
#include "core/task_order.h"
#include "spotbatch/clock.h"
#include "spotbatch/state_store.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

class MessageSettler {
 public:
  static constexpr size_t kDeleteBatch = 16;

  // `on_demand_queue` receives hand-overs with the priority the pipeline's `priority` and
  // `order` give the task (agent/task_priority.h); `lease_millis` is the lease of the
  // messages this worker holds.
  MessageSettler(TaskQueue& queue, StateStore& state, Clock& clock, std::string on_demand_queue,
                 int priority, TaskOrder order, int64_t lease_millis);

  // Carries out `effect` on `message`, whose task belongs to job `job_id`. kKeep does
  // nothing. Errors are the queue's (and, for a hand-over, the state store's).
  Status Settle(const QueueMessage& message, const QueueEffect& effect, const std::string& job_id);
  // Queues the deletion of `receipt`, flushing the batch when it is full or old.
  Status DeleteLater(const std::string& receipt);
  // Sends the message's body to the on-demand queue, then deletes it (later, in the batch): a
  // crash in between leaves a harmless duplicate, never no message. The new message keeps
  // the task's priority, its size rank included (one read of job `job_id` under
  // largest_first).
  Status HandOverToOnDemand(const QueueMessage& message, const std::string& job_id);
  // A success was committed soft: the next flush makes it durable before deleting anything.
  void NoteSoftSuccess() { unsynced_successes_ = true; }
  // Makes the soft successes durable, then deletes the batch. A failed Sync is tried again at
  // the next flush; a retryable delete failure is dropped (the messages come back and are
  // deleted then); any other is returned.
  Status Flush();
  size_t pending_deletes() const { return pending_deletes_.size(); }

 private:
  TaskQueue& queue_;
  StateStore& state_;
  Clock& clock_;
  const std::string on_demand_queue_;
  const int priority_;
  const TaskOrder order_;
  const int64_t lease_millis_;
  std::vector<std::string> pending_deletes_;
  int64_t pending_since_nanos_ = 0;  // when the oldest pending delete was queued
  bool unsynced_successes_ = false;
};

}  // namespace spotbatch
