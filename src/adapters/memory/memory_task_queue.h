// TaskQueue in memory, for the simulator and for fast tests.
//
// The same contract as the SQLite queue (tests/contract/task_queue_contract.h runs against
// both): priorities then FIFO, delays, visibility timeouts on the injected Clock, receipts
// that go stale when the message is delivered again (or released, deleted, dead-lettered),
// dead-lettering after max_receives, and an unconfigured queue that dead-letters to
// "<queue>-dlq" and never dead-letters on its own. How it differs:
// - Nothing survives the process, Send and DeadLetter included: the port's durability promise
//   holds only for a queue that outlives its users, which is what a test or a simulation is.
// - Ids are "1", "2", ... and receipts are "<id>.<n>" for the store's n-th lease: the same
//   calls give the same ids and receipts, as the simulator's determinism needs. (They name a
//   lease; they are not secrets, since every user is in this process.)
// - A message whose visibility time has passed stays deliverable if the clock then runs
//   backwards; the SQLite queue would hide it again. Clocks in tests only run forwards.
//
// Thread-safe: one mutex per queue store, shared by every handle Connect() makes. Each named
// queue keeps an ordered index of its deliverable messages by (priority, send order) and one
// of the others by the time they become deliverable, so with n messages Send, Lease, Extend,
// Release, Delete and DeadLetter are O(log n), plus O(log n) for each message whose time has
// come since the last call; Depth is O(1) on top of that.
#pragma once

#include <memory>

#include "spotbatch/clock.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

class MemoryTaskQueue final : public TaskQueue {
 public:
  // An empty queue store; `clock` must outlive it and every handle Connect() makes.
  explicit MemoryTaskQueue(Clock& clock);
  ~MemoryTaskQueue() override;

  // Another handle on the same queues, as a second connection to the same SQLite file is.
  // The messages live until the last handle goes.
  std::unique_ptr<MemoryTaskQueue> Connect() const;

  Status Configure(std::string_view queue, const QueueOptions& options) override;
  Result<std::string> Send(std::string_view queue, std::string_view body, int priority,
                           int64_t delay_millis) override;
  Result<std::optional<QueueMessage>> Lease(std::string_view queue,
                                            int64_t visibility_millis) override;
  Status Extend(std::string_view receipt, int64_t visibility_millis) override;
  Status Release(std::string_view receipt, int64_t delay_millis) override;
  Status Delete(std::string_view receipt) override;
  Status DeleteBatch(const std::vector<std::string>& receipts) override;
  Status DeadLetter(std::string_view receipt) override;
  Result<QueueDepth> Depth(std::string_view queue) override;

 private:
  struct Queues;
  explicit MemoryTaskQueue(std::shared_ptr<Queues> queues);

  std::shared_ptr<Queues> queues_;
};

}  // namespace spotbatch
