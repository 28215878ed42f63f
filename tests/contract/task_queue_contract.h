// The TaskQueue contract: every adapter must pass these. Time is a FakeClock, so visibility
// timeouts expire instantly and deterministically. An adapter's test file instantiates the
// suite with a TaskQueueAdapter: how to open a fresh, empty queue store, and how to open
// another connection to it (a second SQLite connection on the same file, a second handle on
// the same memory), which the concurrency tests use from other threads.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>

#include "common/fake_clock.h"
#include "spotbatch/task_queue.h"
#include "test_util.h"

namespace spotbatch::contract {

struct TaskQueueAdapter {
  std::string name;
  // A fresh, empty queue store on `clock`; `dir` is a temporary directory it may use.
  std::function<std::unique_ptr<TaskQueue>(const std::string& dir, Clock& clock)> open;
  // Another connection to the queue store that `open` made as `first` in `dir`.
  std::function<std::unique_ptr<TaskQueue>(TaskQueue& first, const std::string& dir, Clock& clock)>
      connect;
  // The suite's time unit: every duration it uses (visibilities, delays, clock advances) is a
  // count of units of this many milliseconds. 1 for adapters that keep time to the
  // millisecond; SQS counts whole seconds, so its adapter runs the suite with 1000.
  int64_t millis_per_unit = 1;
  // The step between the suite's priorities: each priority it sends is a count of steps. 1 for
  // adapters that order every int; the SQS adapter orders coarsened levels (one per pipeline
  // priority, each of task_order.h's kSizeRanks wide), so it runs the suite with kSizeRanks.
  int priority_step = 1;
};
inline void PrintTo(const TaskQueueAdapter& a, std::ostream* os) { *os << a.name; }
inline std::string AdapterName(const ::testing::TestParamInfo<TaskQueueAdapter>& info) {
  return info.param.name;
}

class TaskQueueContract : public ::testing::TestWithParam<TaskQueueAdapter> {
 protected:
  void SetUp() override {
    queue_ = GetParam().open(dir_.path(), clock_);
    ASSERT_NE(queue_, nullptr);
  }
  std::unique_ptr<TaskQueue> Connect() {
    auto other = GetParam().connect(*queue_, dir_.path(), clock_);
    EXPECT_NE(other, nullptr);
    return other;
  }
  // A duration of `units` of the adapter's time unit, in milliseconds.
  int64_t T(int64_t units) const { return units * GetParam().millis_per_unit; }
  // The suite's priority `p`, in the adapter's steps.
  int P(int p) const { return p * GetParam().priority_step; }
  std::optional<QueueMessage> Lease(int64_t vis = 1000, const std::string& q = "q") {
    auto m = queue_->Lease(q, T(vis));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : std::nullopt;
  }
  // Leases the next message of "q" `times` times, letting each lease expire; false when one
  // of them found nothing.
  bool LeaseAndLetExpire(int times) {
    for (int i = 0; i < times; ++i) {
      if (!Lease(10).has_value()) return false;
      clock_.Advance(T(11));
    }
    return true;
  }
  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<TaskQueue> queue_;
};

TEST_P(TaskQueueContract, EmptyQueueLeasesNothing) {
  EXPECT_FALSE(Lease().has_value());
  auto d = queue_->Depth("q");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->visible + d->in_flight + d->delayed, 0);
}

TEST_P(TaskQueueContract, SendLeaseDelete) {
  ASSERT_TRUE(queue_->Send("q", "body-1", P(0), T(0)).ok());
  auto m = Lease();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body, "body-1");
  EXPECT_EQ(m->receive_count, 1);
  EXPECT_FALSE(Lease().has_value());  // hidden while leased
  EXPECT_EQ(queue_->Depth("q")->in_flight, 1);
  ASSERT_TRUE(queue_->Delete(m->receipt).ok());
  clock_.Advance(T(5000));
  EXPECT_FALSE(Lease().has_value());
}

TEST_P(TaskQueueContract, ExpiredLeaseRedeliversWithNewReceiptAndOldOneIsStale) {
  ASSERT_TRUE(queue_->Send("q", "x", P(0), T(0)).ok());
  auto first = Lease(1000);
  clock_.Advance(T(1001));
  auto second = Lease(1000);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->receive_count, 2);
  EXPECT_NE(second->receipt, first->receipt);
  EXPECT_EQ(queue_->Delete(first->receipt).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_->Extend(first->receipt, T(1000)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_->Release(first->receipt, T(0)).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(queue_->Delete(second->receipt).ok());
}

TEST_P(TaskQueueContract, ExtendKeepsMessageHidden) {
  ASSERT_TRUE(queue_->Send("q", "x", P(0), T(0)).ok());
  auto m = Lease(1000);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(T(800));
    ASSERT_TRUE(queue_->Extend(m->receipt, T(1000)).ok());
    EXPECT_FALSE(Lease().has_value());
  }
  clock_.Advance(T(1001));
  EXPECT_TRUE(Lease().has_value());
}

TEST_P(TaskQueueContract, ReleaseRedeliversAtOnceOrAfterDelay) {
  ASSERT_TRUE(queue_->Send("q", "x", P(0), T(0)).ok());
  auto m = Lease(60000);
  ASSERT_TRUE(queue_->Release(m->receipt, T(0)).ok());
  auto again = Lease(60000);
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE(queue_->Release(again->receipt, T(500)).ok());
  EXPECT_FALSE(Lease().has_value());
  EXPECT_EQ(queue_->Depth("q")->delayed, 1);
  clock_.Advance(T(500));
  EXPECT_TRUE(Lease().has_value());
}

TEST_P(TaskQueueContract, DelayedSendAndPriorityThenFifoOrder) {
  ASSERT_TRUE(queue_->Send("q", "late", P(9), T(1000)).ok());
  ASSERT_TRUE(queue_->Send("q", "a", P(0), T(0)).ok());
  ASSERT_TRUE(queue_->Send("q", "b", P(0), T(0)).ok());
  ASSERT_TRUE(queue_->Send("q", "urgent", P(5), T(0)).ok());
  EXPECT_EQ(Lease(100000)->body, "urgent");
  EXPECT_EQ(Lease(100000)->body, "a");
  EXPECT_EQ(Lease(100000)->body, "b");
  EXPECT_FALSE(Lease().has_value());
  clock_.Advance(T(1000));
  EXPECT_EQ(Lease()->body, "late");
}

TEST_P(TaskQueueContract, NamedQueuesAreSeparate) {
  ASSERT_TRUE(queue_->Send("one", "1", P(0), T(0)).ok());
  ASSERT_TRUE(queue_->Send("two", "2", P(0), T(0)).ok());
  EXPECT_EQ(Lease(1000, "two")->body, "2");
  EXPECT_EQ(Lease(1000, "one")->body, "1");
  EXPECT_FALSE(Lease(1000, "two").has_value());
}

TEST_P(TaskQueueContract, DeadLettersAfterMaxReceives) {
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{2, "q-dead"}).ok());
  ASSERT_TRUE(queue_->Send("q", "poison", P(0), T(0)).ok());
  ASSERT_TRUE(LeaseAndLetExpire(2));
  EXPECT_FALSE(Lease(10).has_value());
  auto dead = Lease(10, "q-dead");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, "poison");
}

TEST_P(TaskQueueContract, DeleteBatchDeletesCurrentAndSkipsStaleReceipts) {
  for (const char* b : {"a", "b", "c"}) ASSERT_TRUE(queue_->Send("q", b, P(0), T(0)).ok());
  auto a = Lease(1000), b = Lease(1000), c = Lease(100);
  clock_.Advance(T(101));
  auto c2 = Lease(1000);  // c's lease expired: its receipt is stale now
  ASSERT_EQ(c2->body, "c");
  ASSERT_TRUE(queue_->DeleteBatch({a->receipt, b->receipt, c->receipt}).ok());
  EXPECT_EQ(queue_->Depth("q")->in_flight, 1);
  EXPECT_TRUE(queue_->Delete(c2->receipt).ok());
  EXPECT_TRUE(queue_->DeleteBatch({}).ok());
}

TEST_P(TaskQueueContract, DeadLetterMovesLeasedMessageAtOnce) {
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{100, "graveyard"}).ok());
  ASSERT_TRUE(queue_->Send("q", "failed-task", P(0), T(0)).ok());
  auto m = Lease();
  ASSERT_TRUE(queue_->DeadLetter(m->receipt).ok());
  EXPECT_EQ(queue_->DeadLetter(m->receipt).code(), StatusCode::kFailedPrecondition);
  clock_.Advance(T(5000));
  EXPECT_FALSE(Lease().has_value());
  EXPECT_EQ(queue_->Depth("graveyard")->visible, 1);
  EXPECT_EQ(Lease(1000, "graveyard")->body, "failed-task");
}

TEST_P(TaskQueueContract, LeaseBatchLeasesSeveralEachUnderItsOwnReceipt) {
  constexpr int kMessages = 13;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(queue_->Send("q", "m" + std::to_string(i), P(0), T(0)).ok());
  }
  std::vector<QueueMessage> leased;
  int batches = 0;
  while (true) {
    auto batch = queue_->LeaseBatch("q", TaskQueue::kMaxLeaseBatch, T(1000));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (batch->empty()) break;
    ASSERT_LE(batch->size(), size_t{TaskQueue::kMaxLeaseBatch});
    ASSERT_LT(++batches, kMessages + 1);
    for (QueueMessage& m : *batch) leased.push_back(std::move(m));
  }
  EXPECT_LT(batches, kMessages) << "no batch held more than one message";
  std::set<std::string> bodies, receipts;
  for (const QueueMessage& m : leased) {
    bodies.insert(m.body);
    receipts.insert(m.receipt);
    EXPECT_EQ(m.receive_count, 1);
  }
  EXPECT_EQ(bodies.size(), size_t{kMessages});
  EXPECT_EQ(receipts.size(), size_t{kMessages});
  EXPECT_EQ(queue_->Depth("q")->in_flight, kMessages);

  // Each receipt settles alone: one deleted, one released, the rest left to expire.
  ASSERT_TRUE(queue_->Delete(leased[0].receipt).ok());
  ASSERT_TRUE(queue_->Release(leased[1].receipt, T(0)).ok());
  auto released = Lease(1000);
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->body, leased[1].body);
  EXPECT_FALSE(Lease().has_value()) << "the others are still leased";
  clock_.Advance(T(1001));  // every lease ran out, the released message's second one too
  std::set<std::string> again;
  while (auto m = Lease(100000)) again.insert(m->body);
  EXPECT_EQ(again.size(), size_t{kMessages - 1});
  EXPECT_EQ(again.count(leased[0].body), 0u) << "a deleted message came back";
}

TEST_P(TaskQueueContract, LeaseBatchTakesTheHighestPriorityFirstAndRefusesBadSizes) {
  auto empty = queue_->LeaseBatch("q", 5, T(1000));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  for (const char* b : {"a", "b"}) ASSERT_TRUE(queue_->Send("q", b, P(0), T(0)).ok());
  ASSERT_TRUE(queue_->Send("q", "urgent", P(5), T(0)).ok());
  for (int bad : {0, -1, TaskQueue::kMaxLeaseBatch + 1}) {
    EXPECT_EQ(queue_->LeaseBatch("q", bad, T(1000)).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(queue_->Depth("q")->in_flight, 0) << "a refused batch leased something";
  auto first = queue_->LeaseBatch("q", 2, T(1000));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->empty());
  EXPECT_EQ((*first)[0].body, "urgent");
  EXPECT_LE(first->size(), 2u);
}

TEST_P(TaskQueueContract, EveryMessageDeliveredOnceUnderConcurrentLeases) {
  constexpr int kMessages = 200;
  constexpr int kConsumers = 3;
  for (int i = 0; i < kMessages; ++i)
    ASSERT_TRUE(queue_->Send("q", std::to_string(i), P(0), T(0)).ok());
  std::mutex mu;
  std::multiset<std::string> seen;
  auto drain = [&](TaskQueue* connection) {
    while (true) {
      auto m = connection->Lease("q", T(600000));
      if (!m.ok() || !m->has_value()) return;
      std::lock_guard<std::mutex> lock(mu);
      seen.insert((*m)->body);
    }
  };
  std::vector<std::unique_ptr<TaskQueue>> connections;
  for (int i = 0; i < kConsumers; ++i) connections.push_back(Connect());
  std::vector<std::thread> consumers;
  for (auto& c : connections) consumers.emplace_back(drain, c.get());
  for (auto& t : consumers) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kMessages));
}

// A holder whose lease just expired settles the message while another connection leases it
// again: exactly one of them gets it, never both (and the message is never lost).
TEST_P(TaskQueueContract, StaleHolderAndNewLeaseNeverBothWin) {
  auto holder = Connect();
  auto other = Connect();
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(queue_->Send("race", "x", P(0), T(0)).ok());
    auto first = queue_->Lease("race", T(100));
    ASSERT_TRUE(first.ok() && first->has_value());
    clock_.Advance(T(101));
    Status deleted;
    Result<std::optional<QueueMessage>> again = std::optional<QueueMessage>();
    std::thread a([&] { deleted = holder->Delete((*first)->receipt); });
    std::thread b([&] { again = other->Lease("race", T(100'000)); });
    a.join();
    b.join();
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    if (deleted.ok()) {
      EXPECT_FALSE(again->has_value()) << "deleted and delivered again";
    } else {
      EXPECT_EQ(deleted.code(), StatusCode::kFailedPrecondition) << deleted.ToString();
      ASSERT_TRUE(again->has_value()) << "neither deleted nor delivered: lost";
      ASSERT_TRUE(queue_->Delete((*again)->receipt).ok());
    }
    const QueueDepth d = *queue_->Depth("race");
    EXPECT_EQ(d.visible + d.in_flight + d.delayed, 0);
  }
}

TEST_P(TaskQueueContract, ConfigureRefusesBadOptionsAndMayBeCalledAgain) {
  EXPECT_EQ(queue_->Configure("", QueueOptions{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->Configure("q", QueueOptions{0, ""}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->Configure("q", QueueOptions{3, "q"}).code(), StatusCode::kInvalidArgument)
      << "a queue cannot be its own dead-letter queue";
  EXPECT_EQ(queue_->Send("", "x", P(0), T(0)).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{1, "dead"}).ok());
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{2, "dead"}).ok());  // the later options hold
  ASSERT_TRUE(queue_->Send("q", "m", P(0), T(0)).ok());
  ASSERT_TRUE(LeaseAndLetExpire(2));
  EXPECT_FALSE(Lease(10).has_value());
  EXPECT_EQ(queue_->Depth("dead")->visible, 1);
}

TEST_P(TaskQueueContract, DeadLetterQueueDefaultsToQueueDashDlq) {
  // Unconfigured: DeadLetter moves to "<queue>-dlq".
  ASSERT_TRUE(queue_->Send("plain", "a", P(0), T(0)).ok());
  auto a = Lease(1000, "plain");
  ASSERT_TRUE(queue_->DeadLetter(a->receipt).ok());
  EXPECT_EQ(queue_->Depth("plain-dlq")->visible, 1);
  // Configured without a name: the same default, also after max_receives.
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{1, ""}).ok());
  ASSERT_TRUE(queue_->Send("q", "b", P(0), T(0)).ok());
  ASSERT_TRUE(LeaseAndLetExpire(1));
  EXPECT_FALSE(Lease(10).has_value());
  EXPECT_EQ(Lease(1000, "q-dlq")->body, "b");
}

// Regression: a message moved to the dead-letter queue after max_receives kept its count, so
// a dead-letter queue with a limit of its own passed it on at once instead of delivering it
// (and a queue configured as its own dead-letter queue made Lease loop forever).
TEST_P(TaskQueueContract, DeadLetteredMessageStartsItsCountAfresh) {
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{2, "q-dead"}).ok());
  ASSERT_TRUE(queue_->Configure("q-dead", QueueOptions{1, ""}).ok());
  ASSERT_TRUE(queue_->Send("q", "poison", P(0), T(0)).ok());
  ASSERT_TRUE(LeaseAndLetExpire(2));
  EXPECT_FALSE(Lease(10).has_value());
  auto dead = Lease(10, "q-dead");
  ASSERT_TRUE(dead.has_value()) << "passed on without being delivered from the dead-letter queue";
  EXPECT_EQ(dead->receive_count, 1);
  ASSERT_TRUE(queue_->Send("q", "failed", P(0), T(0)).ok());
  ASSERT_TRUE(queue_->DeadLetter(Lease(10)->receipt).ok());
  auto failed = Lease(10, "q-dead");
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->body, "failed");
  EXPECT_EQ(failed->receive_count, 1);
}

TEST_P(TaskQueueContract, LeaseReportsTheSentIdAndTime) {
  auto first = queue_->Send("q", "one", P(0), T(0));
  clock_.Advance(T(7));
  auto second = queue_->Send("q", "two", P(0), T(0));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  auto m1 = Lease(), m2 = Lease();
  ASSERT_TRUE(m1.has_value() && m2.has_value());
  EXPECT_EQ(m1->id, *first);
  EXPECT_EQ(m1->sent_unix_millis, clock_.NowUnixMillis() - T(7));
  EXPECT_EQ(m2->id, *second);
  EXPECT_EQ(m2->sent_unix_millis, clock_.NowUnixMillis());
  EXPECT_NE(m1->receipt, m2->receipt);
}

TEST_P(TaskQueueContract, SettledOrUnknownReceiptsAreStale) {
  ASSERT_TRUE(queue_->Send("q", "deleted", P(0), T(0)).ok());
  auto deleted = Lease(100000);
  ASSERT_TRUE(queue_->Delete(deleted->receipt).ok());
  ASSERT_TRUE(queue_->Send("q", "released", P(0), T(0)).ok());
  auto released = Lease(100000);
  ASSERT_TRUE(queue_->Release(released->receipt, T(50000)).ok());
  for (const std::string& r : {deleted->receipt, released->receipt, std::string("no such")}) {
    SCOPED_TRACE(r);
    EXPECT_EQ(queue_->Delete(r).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(queue_->Extend(r, T(1000)).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(queue_->Release(r, T(0)).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(queue_->DeadLetter(r).code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(queue_->Depth("q")->delayed, 1) << "the stale calls changed nothing";
}

TEST_P(TaskQueueContract, DepthCountsVisibleInFlightAndDelayedApart) {
  ASSERT_TRUE(queue_->Send("q", "leased", P(5), T(0)).ok());
  ASSERT_TRUE(queue_->Send("q", "waiting", P(0), T(0)).ok());
  ASSERT_TRUE(queue_->Send("q", "delayed", P(0), T(2000)).ok());
  auto leased = Lease(1000);
  ASSERT_EQ(leased->body, "leased");
  QueueDepth d = *queue_->Depth("q");
  EXPECT_EQ(d.visible, 1);
  EXPECT_EQ(d.in_flight, 1);
  EXPECT_EQ(d.delayed, 1);
  clock_.Advance(T(1000));  // the lease has expired: deliverable again
  d = *queue_->Depth("q");
  EXPECT_EQ(d.visible, 2);
  EXPECT_EQ(d.in_flight, 0);
  EXPECT_EQ(d.delayed, 1);
  EXPECT_EQ(queue_->Depth("other")->visible, 0);
}

TEST_P(TaskQueueContract, RedeliveredMessagesKeepTheirPriority) {
  ASSERT_TRUE(queue_->Send("q", "low", P(0), T(0)).ok());
  ASSERT_TRUE(queue_->Send("q", "high", P(3), T(0)).ok());
  EXPECT_EQ(Lease(100)->body, "high");
  clock_.Advance(T(101));  // expired
  auto again = Lease(100000);
  EXPECT_EQ(again->body, "high");
  ASSERT_TRUE(queue_->Release(again->receipt, T(0)).ok());
  EXPECT_EQ(Lease(100000)->body, "high");
  EXPECT_EQ(Lease(100000)->body, "low");
}

}  // namespace spotbatch::contract
