#include "agent/message_settler.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/memory/memory_state_store.h"
#include "adapters/memory/memory_task_queue.h"
#include "common/fake_clock.h"
#include "testing/fault_injector.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

constexpr int64_t kLease = 10'000;

class MessageSettlerTest : public ::testing::Test {
 protected:
  MessageSettlerTest() {
    // One injector for both ports: it records the order of their calls.
    faults_.Add({.predicate = [this](const FaultCall& call) {
      calls_.emplace_back(call.method);
      return false;
    }});
  }
  // Leases a message sent to "tasks".
  QueueMessage Leased(const std::string& body = "t") {
    EXPECT_TRUE(base_queue_.Send("tasks", body, 0, 0).ok());
    auto m = base_queue_.Lease("tasks", kLease);
    EXPECT_TRUE(m.ok() && m->has_value());
    return **m;
  }
  QueueDepth Depth(const char* queue = "tasks") { return *base_queue_.Depth(queue); }
  int Count(const std::string& method) const {
    return static_cast<int>(std::count(calls_.begin(), calls_.end(), method));
  }

  FakeClock clock_;
  MemoryTaskQueue base_queue_{clock_};
  MemoryStateStore base_state_;
  FaultInjector faults_;
  std::vector<std::string> calls_;
  FaultyTaskQueue queue_{base_queue_, faults_};
  FaultyStateStore state_{base_state_, faults_};
  MessageSettler settler_{queue_, state_, clock_, "tasks-on-demand", 0, TaskOrder::kFifo, kLease};
};

TEST_F(MessageSettlerTest, DeletesWaitForAFullBatchAndGoInOneCall) {
  for (size_t i = 0; i + 1 < MessageSettler::kDeleteBatch; ++i) {
    ASSERT_TRUE(settler_.Settle(Leased(), {QueueEffect::kDelete}, "j").ok());
  }
  EXPECT_EQ(Count("DeleteBatch"), 0);
  EXPECT_EQ(Depth().in_flight, static_cast<int64_t>(MessageSettler::kDeleteBatch - 1));
  ASSERT_TRUE(settler_.Settle(Leased(), {QueueEffect::kDelete}, "j").ok());
  EXPECT_EQ(Count("DeleteBatch"), 1);
  EXPECT_EQ(Depth().in_flight, 0);
  EXPECT_EQ(settler_.pending_deletes(), 0u);
}

TEST_F(MessageSettlerTest, ABatchIsFlushedBeforeItsOldestLeaseCouldRunOut) {
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  clock_.Advance(kLease / 2 - 1);
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  EXPECT_EQ(Count("DeleteBatch"), 0) << "still half a lease of slack";
  clock_.Advance(1);
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  EXPECT_EQ(Count("DeleteBatch"), 1);
  EXPECT_EQ(Depth().in_flight, 0);
}

TEST_F(MessageSettlerTest, SoftSuccessesAreSyncedOnceBeforeTheirMessagesGo) {
  settler_.NoteSoftSuccess();
  settler_.NoteSoftSuccess();
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  ASSERT_TRUE(settler_.Flush().ok());
  calls_.erase(std::remove(calls_.begin(), calls_.end(), "Send"), calls_.end());
  calls_.erase(std::remove(calls_.begin(), calls_.end(), "Lease"), calls_.end());
  EXPECT_EQ(calls_, (std::vector<std::string>{"Sync", "DeleteBatch"}));
  ASSERT_TRUE(settler_.Flush().ok());
  EXPECT_EQ(Count("Sync"), 1) << "nothing new to sync";
}

TEST_F(MessageSettlerTest, AFailedSyncKeepsTheMessagesUntilASyncSucceeds) {
  faults_.Add({.method = "Sync", .nth = 1, .status = InjectedUnavailable()});
  settler_.NoteSoftSuccess();
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  ASSERT_TRUE(settler_.Flush().ok());
  EXPECT_EQ(Count("DeleteBatch"), 0) << "the success could still be undone";
  EXPECT_EQ(Depth().in_flight, 1);
  ASSERT_TRUE(settler_.Flush().ok());
  EXPECT_EQ(Count("Sync"), 2);
  EXPECT_EQ(Depth().in_flight, 0);
}

TEST_F(MessageSettlerTest, ARetryableDeleteFailureIsDroppedOthersAreReturned) {
  faults_.Add({.method = "DeleteBatch", .nth = 1, .status = InjectedUnavailable()});
  faults_.Add({.method = "DeleteBatch", .nth = 2, .status = InjectedDataLoss()});
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  EXPECT_TRUE(settler_.Flush().ok()) << "the message comes back and is deleted then";
  EXPECT_EQ(settler_.pending_deletes(), 0u);
  ASSERT_TRUE(settler_.DeleteLater(Leased().receipt).ok());
  EXPECT_EQ(settler_.Flush().code(), StatusCode::kDataLoss);
}

TEST_F(MessageSettlerTest, EachEffectReachesTheQueue) {
  auto lease = [&](const char* queue) {
    auto m = base_queue_.Lease(queue, kLease);
    EXPECT_TRUE(m.ok() && m->has_value()) << queue;
    return m.ok() && m->has_value() ? **m : QueueMessage{};
  };
  // Kept: still leased.
  ASSERT_TRUE(settler_.Settle(Leased("a"), {QueueEffect::kKeep}, "j").ok());
  EXPECT_EQ(Depth().in_flight, 1);
  clock_.Advance(kLease);  // its lease ends: "a" is deliverable again
  // Released after a delay.
  ASSERT_TRUE(settler_.Settle(lease("tasks"), {QueueEffect::kRelease, 500}, "j").ok());
  EXPECT_EQ(Depth().delayed, 1);
  clock_.Advance(500);
  // Handed over: a copy in the on-demand queue at once, the original deleted with the batch.
  ASSERT_TRUE(settler_.Settle(lease("tasks"), {QueueEffect::kHandOver}, "j").ok());
  EXPECT_EQ(Depth("tasks-on-demand").visible, 1);
  ASSERT_TRUE(settler_.Flush().ok());
  EXPECT_EQ(Depth().in_flight, 0);
  EXPECT_EQ(lease("tasks-on-demand").body, "a");
  // Dead-lettered.
  ASSERT_TRUE(base_queue_.Configure("tasks", {.dead_letter_queue = "tasks-dlq"}).ok());
  ASSERT_TRUE(settler_.Settle(Leased("b"), {QueueEffect::kDeadLetter}, "j").ok());
  EXPECT_EQ(Depth("tasks-dlq").visible, 1);
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
}

// Regression: a hand-over sent every task with the pipeline's priority alone, so under
// largest_first a large task handed over queued behind the small ones there before it.
TEST_F(MessageSettlerTest, AHandOverKeepsTheTasksSizeRank) {
  MessageSettler largest_first{
      queue_, state_, clock_, "tasks-on-demand", 2, TaskOrder::kLargestFirst, kLease};
  for (const auto& [job, size] : {std::pair{"small", 10}, std::pair{"large", 1 << 20}}) {
    TaskRecord t;
    t.id = std::string(job) + "-0";
    t.job_id = job;
    ASSERT_TRUE(
        base_state_.CreateJob({job, "in/" + std::string(job), "e", uint64_t(size), 1}, {t}).ok());
  }
  // The small one is handed over first, the large one later: the large one goes first.
  ASSERT_TRUE(largest_first.HandOverToOnDemand(Leased("small-0"), "small").ok());
  ASSERT_TRUE(largest_first.HandOverToOnDemand(Leased("large-0"), "large").ok());
  auto first = base_queue_.Lease("tasks-on-demand", kLease);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->body, "large-0");
  // No job to read: the hand-over fails and leaves the message leased, to come back.
  EXPECT_EQ(largest_first.HandOverToOnDemand(Leased("gone-0"), "gone").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Depth("tasks-on-demand").visible, 1);
}

TEST_F(MessageSettlerTest, AFifoHandOverReadsNoJob) {
  ASSERT_TRUE(settler_.HandOverToOnDemand(Leased("t"), "no-such-job").ok());
  EXPECT_EQ(Count("GetJob"), 0);
  EXPECT_EQ(Depth("tasks-on-demand").visible, 1);
}

}  // namespace
}  // namespace spotbatch
