// TaskQueue: an at-least-once message queue with leases (SQS semantics).
//
// Lease() hides a message for a visibility timeout and returns it with a receipt; the holder
// Extend()s the lease while it works, Delete()s the message when done, or Release()s it to be
// delivered again (at once or after a delay). A lease that is not extended expires and the
// message is delivered again with a new receipt; the old receipt is then stale and every call
// with it returns kFailedPrecondition ("lease lost"). A message delivered more than
// `max_receives` times moves to the dead-letter queue instead of being delivered again; there,
// as after DeadLetter(), its delivery count starts afresh.
//
// Send and DeadLetter survive any crash. An embedded queue may let a power loss of its machine
// undo recent leases, extensions, releases and deletions: the message is then delivered again,
// which at-least-once delivery allows anyway (consumers must find out from the state store
// whether the work it names is done).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

struct QueueMessage {
  std::string id;
  std::string body;
  std::string receipt;    // names this lease; changes on every delivery
  int receive_count = 0;  // deliveries so far, this one included
  int64_t sent_unix_millis = 0;
};

struct QueueOptions {
  int max_receives = 1000;        // deliveries before a message is dead-lettered
  std::string dead_letter_queue;  // empty: "<queue>-dlq"
};

struct QueueDepth {
  int64_t visible = 0;    // deliverable now
  int64_t in_flight = 0;  // leased
  int64_t delayed = 0;    // waiting for their delay to pass
};

class TaskQueue {
 public:
  virtual ~TaskQueue() = default;

  // Creates the queue if needed and sets its options. Safe to call again: the last options
  // hold. kInvalidArgument for an empty name, max_receives below 1, or a queue named as its
  // own dead-letter queue.
  virtual Status Configure(std::string_view queue, const QueueOptions& options) = 0;
  // Enqueues `body`; higher `priority` is delivered first, then older first. Returns the id.
  virtual Result<std::string> Send(std::string_view queue, std::string_view body, int priority,
                                   int64_t delay_millis) = 0;
  // Leases the next deliverable message for `visibility_millis`, or returns nullopt at once
  // when none is deliverable.
  virtual Result<std::optional<QueueMessage>> Lease(std::string_view queue,
                                                    int64_t visibility_millis) = 0;
  // Lease, but when no message is deliverable, waits up to `wait_millis` for one to arrive
  // (SQS long polling, at most 20 s) before returning nullopt. Adapters that cannot wait
  // return at once, as Lease does: the caller paces its own polls.
  virtual Result<std::optional<QueueMessage>> LeaseWaiting(std::string_view queue,
                                                           int64_t visibility_millis,
                                                           int64_t wait_millis) {
    (void)wait_millis;
    return Lease(queue, visibility_millis);
  }
  // Leases up to `max_messages` (1 to kMaxLeaseBatch) deliverable messages at once, each for
  // `visibility_millis` under its own receipt, in delivery order; empty at once when none is
  // deliverable. Fewer than asked when fewer are deliverable (SQS may also return fewer than
  // are there). For consumers that handle messages quickly one after another (the upload
  // events): a worker, which runs one long task at a time, leases one, since messages leased
  // ahead would hide from idle workers. kInvalidArgument for `max_messages` outside its
  // range. The default leases one message at a time.
  static constexpr int kMaxLeaseBatch = 10;
  virtual Result<std::vector<QueueMessage>> LeaseBatch(std::string_view queue, int max_messages,
                                                       int64_t visibility_millis) {
    SB_RETURN_IF_ERROR(CheckLeaseBatchSize(max_messages));
    std::vector<QueueMessage> out;
    while (static_cast<int>(out.size()) < max_messages) {
      SB_ASSIGN_OR_RETURN(std::optional<QueueMessage> m, Lease(queue, visibility_millis));
      if (!m) break;
      out.push_back(std::move(*m));
    }
    return out;
  }
  static Status CheckLeaseBatchSize(int max_messages) {
    if (max_messages >= 1 && max_messages <= kMaxLeaseBatch) return Status::Ok();
    return InvalidArgument("a lease batch is 1 to " + std::to_string(kMaxLeaseBatch) +
                           " messages, not " + std::to_string(max_messages));
  }
  // Resets the lease to expire `visibility_millis` from now.
  virtual Status Extend(std::string_view receipt, int64_t visibility_millis) = 0;
  // Ends the lease; the message becomes deliverable after `delay_millis`.
  virtual Status Release(std::string_view receipt, int64_t delay_millis) = 0;
  // Removes the leased message for good.
  virtual Status Delete(std::string_view receipt) = 0;
  // Deletes, in one round trip, every message whose receipt is still current; stale receipts
  // are skipped (those messages were delivered again and are someone else's now).
  virtual Status DeleteBatch(const std::vector<std::string>& receipts) = 0;
  // Moves the leased message to its queue's dead-letter queue at once (the work it names
  // failed for good), where operators can inspect it.
  virtual Status DeadLetter(std::string_view receipt) = 0;
  virtual Result<QueueDepth> Depth(std::string_view queue) = 0;
};

}  // namespace spotbatch
