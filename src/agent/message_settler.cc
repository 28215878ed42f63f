#include "agent/message_settler.h"

#include "agent/task_priority.h"

namespace spotbatch {

MessageSettler::MessageSettler(TaskQueue& queue, StateStore& state, Clock& clock,
                               std::string on_demand_queue, int priority, TaskOrder order,
                               int64_t lease_millis)
    : queue_(queue),
      state_(state),
      clock_(clock),
      on_demand_queue_(std::move(on_demand_queue)),
      priority_(priority),
      order_(order),
      lease_millis_(lease_millis) {}

Status MessageSettler::Settle(const QueueMessage& message, const QueueEffect& effect,
                              const std::string& job_id) {
  switch (effect.kind) {
    case QueueEffect::kKeep:
      return Status::Ok();
    case QueueEffect::kRelease:
      return queue_.Release(message.receipt, effect.delay_millis);
    case QueueEffect::kHandOver:
      return HandOverToOnDemand(message, job_id);
    case QueueEffect::kDelete:
      return DeleteLater(message.receipt);
    case QueueEffect::kDeadLetter:
      return queue_.DeadLetter(message.receipt);
  }
  return Internal("unknown queue effect");
}

Status MessageSettler::DeleteLater(const std::string& receipt) {
  if (pending_deletes_.empty()) pending_since_nanos_ = clock_.MonotonicNanos();
  pending_deletes_.push_back(receipt);
  // Half a lease of slack: flushed at the next settle after that, well before the lease ends.
  const bool old = clock_.MonotonicNanos() - pending_since_nanos_ >= lease_millis_ * 500'000;
  return pending_deletes_.size() >= kDeleteBatch || old ? Flush() : Status::Ok();
}

Status MessageSettler::HandOverToOnDemand(const QueueMessage& message, const std::string& job_id) {
  SB_ASSIGN_OR_RETURN(int priority, JobQueuePriority(state_, job_id, priority_, order_));
  SB_RETURN_IF_ERROR(queue_.Send(on_demand_queue_, message.body, priority, 0).status());
  return DeleteLater(message.receipt);
}

Status MessageSettler::Flush() {
  if (unsynced_successes_) {
    // Were it to fail, a power loss could undo them and the tasks would run again: keep
    // their messages until a later flush syncs.
    unsynced_successes_ = !state_.Sync().ok();
    if (unsynced_successes_) {
      // Those held longest come back once their leases end, and are deleted then.
      if (pending_deletes_.size() > 4 * kDeleteBatch) pending_deletes_.clear();
      return Status::Ok();
    }
  }
  if (pending_deletes_.empty()) return Status::Ok();
  Status s = queue_.DeleteBatch(pending_deletes_);
  pending_deletes_.clear();
  return s.retryable() ? Status::Ok() : s;
}

}  // namespace spotbatch
