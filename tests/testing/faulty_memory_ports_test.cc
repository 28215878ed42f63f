// The fault-injecting wrappers compose with the in-memory adapters: a fast test of an error
// branch needs no directory and no database.
#include <gtest/gtest.h>

#include "adapters/memory/memory_object_store.h"
#include "adapters/memory/memory_state_store.h"
#include "adapters/memory/memory_task_queue.h"
#include "common/fake_clock.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

TEST(FaultyMemoryPortsTest, InjectedLeaseFailureChangesNothingAndTheNextLeaseWorks) {
  FakeClock clock;
  MemoryTaskQueue base(clock);
  FaultInjector faults;
  FaultyTaskQueue queue(base, faults);
  ASSERT_TRUE(queue.Send("q", "work", 0, 0).ok());
  faults.Add({.method = "Lease", .nth = 1});
  EXPECT_EQ(queue.Lease("q", 1000).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(base.Depth("q")->visible, 1) << "a failure before the call leases nothing";
  auto m = queue.Lease("q", 1000);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->receive_count, 1);
  EXPECT_EQ(faults.calls("Lease"), 2);
}

TEST(FaultyMemoryPortsTest, LostReplyOfADeleteLeavesTheMessageDeleted) {
  FakeClock clock;
  MemoryTaskQueue base(clock);
  FaultInjector faults;
  FaultyTaskQueue queue(base, faults);
  ASSERT_TRUE(queue.Send("q", "work", 0, 0).ok());
  auto m = **queue.Lease("q", 1000);
  faults.Add({.method = "Delete", .after_effect = true});
  EXPECT_EQ(queue.Delete(m.receipt).code(), StatusCode::kUnavailable);
  clock.Advance(5000);
  EXPECT_FALSE(base.Lease("q", 1000)->has_value()) << "the delete landed; only its reply was lost";
  const QueueDepth d = *base.Depth("q");
  EXPECT_EQ(d.visible + d.in_flight + d.delayed, 0);
}

TEST(FaultyMemoryPortsTest, StoreAndStateFaultsByMethodAndSubject) {
  FakeClock clock;
  MemoryObjectStore base_store(clock);
  MemoryStateStore base_state;
  FaultInjector faults;
  FaultyObjectStore store(base_store, faults);
  FaultyStateStore state(base_state, faults);
  faults.Add({.method = "Put", .subject_part = "out/", .status = InjectedNoSpace()});
  faults.Add({.method = "CommitTask", .nth = 1, .status = InjectedUnavailable()});
  EXPECT_TRUE(store.Put("in/a", "x").ok());
  EXPECT_EQ(store.Put("out/a", "x").status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(base_store.Stat("out/a").status().code(), StatusCode::kNotFound);

  TaskRecord t;
  t.id = "j-0";
  t.job_id = "j";
  ASSERT_TRUE(state.CreateJob({"j", "in/a", "e", 1, 0}, {t}).ok());
  TaskRecord next = t;
  next.version = 1;
  next.state = TaskState::kRunning;
  EXPECT_EQ(state.CommitTask(next, 0, {}, CommitDurability::kDurable).code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(base_state.GetTask("j-0")->version, 0);
  EXPECT_TRUE(state.CommitTask(next, 0, {}, CommitDurability::kDurable).ok());
  EXPECT_EQ(base_state.GetTask("j-0")->state, TaskState::kRunning);
}

}  // namespace
}  // namespace spotbatch
