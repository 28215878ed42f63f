// The TaskQueue contract: every adapter must pass these. Time is a FakeClock, so visibility
// timeouts expire instantly and deterministically.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>

#include "common/fake_clock.h"
#include "spotbatch/task_queue.h"
#include "test_util.h"

namespace spotbatch::contract {

using TaskQueueFactory =
    std::function<std::unique_ptr<TaskQueue>(const std::string& dir, Clock& clock)>;

class TaskQueueContract : public ::testing::TestWithParam<TaskQueueFactory> {
 protected:
  void SetUp() override {
    queue_ = GetParam()(dir_.path(), clock_);
    ASSERT_NE(queue_, nullptr);
  }
  std::optional<QueueMessage> Lease(int64_t vis = 1000, const std::string& q = "q") {
    auto m = queue_->Lease(q, vis);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : std::nullopt;
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
  ASSERT_TRUE(queue_->Send("q", "body-1", 0, 0).ok());
  auto m = Lease();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body, "body-1");
  EXPECT_EQ(m->receive_count, 1);
  EXPECT_FALSE(Lease().has_value());  // hidden while leased
  EXPECT_EQ(queue_->Depth("q")->in_flight, 1);
  ASSERT_TRUE(queue_->Delete(m->receipt).ok());
  clock_.Advance(5000);
  EXPECT_FALSE(Lease().has_value());
}

TEST_P(TaskQueueContract, ExpiredLeaseRedeliversWithNewReceiptAndOldOneIsStale) {
  ASSERT_TRUE(queue_->Send("q", "x", 0, 0).ok());
  auto first = Lease(1000);
  clock_.Advance(1001);
  auto second = Lease(1000);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->receive_count, 2);
  EXPECT_NE(second->receipt, first->receipt);
  EXPECT_EQ(queue_->Delete(first->receipt).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_->Extend(first->receipt, 1000).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_->Release(first->receipt, 0).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(queue_->Delete(second->receipt).ok());
}

TEST_P(TaskQueueContract, ExtendKeepsMessageHidden) {
  ASSERT_TRUE(queue_->Send("q", "x", 0, 0).ok());
  auto m = Lease(1000);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(800);
    ASSERT_TRUE(queue_->Extend(m->receipt, 1000).ok());
    EXPECT_FALSE(Lease().has_value());
  }
  clock_.Advance(1001);
  EXPECT_TRUE(Lease().has_value());
}

TEST_P(TaskQueueContract, ReleaseRedeliversAtOnceOrAfterDelay) {
  ASSERT_TRUE(queue_->Send("q", "x", 0, 0).ok());
  auto m = Lease(60000);
  ASSERT_TRUE(queue_->Release(m->receipt, 0).ok());
  auto again = Lease(60000);
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE(queue_->Release(again->receipt, 500).ok());
  EXPECT_FALSE(Lease().has_value());
  EXPECT_EQ(queue_->Depth("q")->delayed, 1);
  clock_.Advance(500);
  EXPECT_TRUE(Lease().has_value());
}

TEST_P(TaskQueueContract, DelayedSendAndPriorityThenFifoOrder) {
  ASSERT_TRUE(queue_->Send("q", "late", 9, 1000).ok());
  ASSERT_TRUE(queue_->Send("q", "a", 0, 0).ok());
  ASSERT_TRUE(queue_->Send("q", "b", 0, 0).ok());
  ASSERT_TRUE(queue_->Send("q", "urgent", 5, 0).ok());
  EXPECT_EQ(Lease(100000)->body, "urgent");
  EXPECT_EQ(Lease(100000)->body, "a");
  EXPECT_EQ(Lease(100000)->body, "b");
  EXPECT_FALSE(Lease().has_value());
  clock_.Advance(1000);
  EXPECT_EQ(Lease()->body, "late");
}

TEST_P(TaskQueueContract, NamedQueuesAreSeparate) {
  ASSERT_TRUE(queue_->Send("one", "1", 0, 0).ok());
  ASSERT_TRUE(queue_->Send("two", "2", 0, 0).ok());
  EXPECT_EQ(Lease(1000, "two")->body, "2");
  EXPECT_EQ(Lease(1000, "one")->body, "1");
  EXPECT_FALSE(Lease(1000, "two").has_value());
}

TEST_P(TaskQueueContract, DeadLettersAfterMaxReceives) {
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{2, "q-dead"}).ok());
  ASSERT_TRUE(queue_->Send("q", "poison", 0, 0).ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(Lease(10).has_value());
    clock_.Advance(11);
  }
  EXPECT_FALSE(Lease(10).has_value());
  auto dead = Lease(10, "q-dead");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, "poison");
}

TEST_P(TaskQueueContract, DeleteBatchDeletesCurrentAndSkipsStaleReceipts) {
  for (const char* b : {"a", "b", "c"}) ASSERT_TRUE(queue_->Send("q", b, 0, 0).ok());
  auto a = Lease(1000), b = Lease(1000), c = Lease(100);
  clock_.Advance(101);
  auto c2 = Lease(1000);  // c's lease expired: its receipt is stale now
  ASSERT_EQ(c2->body, "c");
  ASSERT_TRUE(queue_->DeleteBatch({a->receipt, b->receipt, c->receipt}).ok());
  EXPECT_EQ(queue_->Depth("q")->in_flight, 1);
  EXPECT_TRUE(queue_->Delete(c2->receipt).ok());
  EXPECT_TRUE(queue_->DeleteBatch({}).ok());
}

TEST_P(TaskQueueContract, DeadLetterMovesLeasedMessageAtOnce) {
  ASSERT_TRUE(queue_->Configure("q", QueueOptions{100, "graveyard"}).ok());
  ASSERT_TRUE(queue_->Send("q", "failed-task", 0, 0).ok());
  auto m = Lease();
  ASSERT_TRUE(queue_->DeadLetter(m->receipt).ok());
  EXPECT_EQ(queue_->DeadLetter(m->receipt).code(), StatusCode::kFailedPrecondition);
  clock_.Advance(5000);
  EXPECT_FALSE(Lease().has_value());
  EXPECT_EQ(queue_->Depth("graveyard")->visible, 1);
  EXPECT_EQ(Lease(1000, "graveyard")->body, "failed-task");
}

TEST_P(TaskQueueContract, EveryMessageDeliveredOnceUnderConcurrentLeases) {
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(queue_->Send("q", std::to_string(i), 0, 0).ok());
  std::mutex mu;
  std::multiset<std::string> seen;
  auto drain = [&] {
    while (true) {
      auto m = queue_->Lease("q", 600000);
      if (!m.ok() || !m->has_value()) return;
      std::lock_guard<std::mutex> lock(mu);
      seen.insert((*m)->body);
    }
  };
  std::thread a(drain), b(drain);
  a.join();
  b.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kMessages));
}

}  // namespace spotbatch::contract
