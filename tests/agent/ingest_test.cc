#include "agent/ingest.h"

#include <thread>

#include "agent/agent_fixture.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

class IngestTest : public testing::AgentFixture {
 protected:
  Ingest NewIngest() { return Ingest(pipeline_, *store_, *queue_, *state_, SystemClock()); }
  int64_t Messages() {
    const QueueDepth d = Depth();
    return d.visible + d.in_flight + d.delayed;
  }
};

TEST_F(IngestTest, SameObjectTwiceMakesOneJobAndOneMessage) {
  auto info = store_->Put("in/a", "x");
  Ingest ingest = NewIngest();
  bool created = false;
  auto first = ingest.IngestObject(*info, &created);
  EXPECT_TRUE(created);
  auto second = ingest.IngestObject(*info, &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(state_->ListJobs()->size(), 1u);
  EXPECT_EQ(Messages(), 1);
}

TEST_F(IngestTest, ReplacedObjectIsANewJob) {
  Ingest ingest = NewIngest();
  bool created = false;
  auto a = ingest.IngestObject(*store_->Put("in/a", "one"), &created);
  auto b = ingest.IngestObject(*store_->Put("in/a", "two"), &created);
  EXPECT_TRUE(created);
  EXPECT_NE(*a, *b);
}

TEST_F(IngestTest, ReconcilePicksUpObjectsWrittenWhileNothingRan) {
  for (const char* k : {"in/a", "in/sub/b", "in/c d+e", "other/x"})
    ASSERT_TRUE(store_->Put(k, k).ok());
  testing::WriteFile(dir_ / "store/in/dropped", "copied in directly");
  auto report = NewIngest().Reconcile();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->created, 4);
  EXPECT_EQ(report->unfinished_jobs.size(), 4u);
  EXPECT_EQ(Messages(), 4);
  auto again = NewIngest().Reconcile();
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->unfinished_jobs.size(), 4u);
  EXPECT_EQ(Messages(), 4);
}

TEST_F(IngestTest, ReconcileSkipsFinishedJobs) {
  pipeline_.command = {"true"};
  AddInput("done", "1");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  ASSERT_TRUE(store_->Put("in/new", "2").ok());
  auto report = NewIngest().Reconcile();
  EXPECT_EQ(report->finished, 1);
  EXPECT_EQ(report->created, 1);
  EXPECT_EQ(report->unfinished_jobs.size(), 1u);
}

TEST_F(IngestTest, JobCreatedButNeverEnqueuedIsEnqueuedAtReconcile) {
  // A crash between creating the job and sending its message.
  JobRecord job{"j", "in/a", "e", 1, 1};
  TaskRecord t;
  t.id = "j-0";
  t.job_id = "j";
  t.input_key = "in/a";
  ASSERT_TRUE(state_->CreateJob(job, {t}).ok());
  EXPECT_EQ(Messages(), 0);
  ASSERT_TRUE(NewIngest().EnqueuePending().ok());
  EXPECT_EQ(Messages(), 1);
  EXPECT_TRUE(state_->ListUnenqueuedTasks()->empty());
}

// The SQLite queue and a real worker: under largest_first the largest inputs start first,
// inputs of one size rank in the order they came.
TEST_F(IngestTest, LargestFirstStartsTheLargestInputsFirst) {
  pipeline_.order = TaskOrder::kLargestFirst;
  const std::string log = dir_ / "started.log";
  pipeline_.command = {"sh", "-c", "echo \"$1\" >> \"$2\"", "_", "{name}", log};
  // Listed (and ingested) in key order: a fifo queue would start them a, b, c, d.
  for (const auto& [name, size] : {std::pair{"a", 10}, std::pair{"b", 100'000},
                                   std::pair{"c", 1'000}, std::pair{"d", 100'000}}) {
    ASSERT_TRUE(store_->Put(std::string("in/") + name, std::string(size, 'x')).ok());
  }
  ASSERT_TRUE(NewIngest().Reconcile().ok());
  auto worker = NewWorker();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(*worker->RunOnce());
  EXPECT_FALSE(*worker->RunOnce()) << "every task ran once";
  EXPECT_EQ(testing::ReadFile(log), "b\nd\nc\na\n");
}

// A task whose message a crash left unsent gets its size rank when it is sent at last.
TEST_F(IngestTest, EnqueuePendingGivesTheSizeRankToo) {
  pipeline_.order = TaskOrder::kLargestFirst;
  AddInput("small", "x");
  TaskRecord t;
  t.id = "big-0";
  t.job_id = "big";
  t.input_key = "in/big";
  ASSERT_TRUE(state_->CreateJob({"big", "in/big", "e", 1 << 30, 1}, {t}).ok());
  ASSERT_TRUE(NewIngest().EnqueuePending().ok());
  auto first = queue_->Lease(pipeline_.queue, 1'000);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->body, "big-0") << "sent later, but larger";
}

TEST_F(IngestTest, ConcurrentIngestersCreateEachJobOnce) {
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store_->Put("in/" + std::to_string(i), "x").ok());
  // Two processes' worth of connections to one database.
  auto db2 = *SqliteDb::Open(dir_ / "state.db");
  auto queue2 = NewSqliteTaskQueue(db2, SystemClock());
  auto state2 = NewSqliteStateStore(db2);
  Ingest a = NewIngest();
  Ingest b(pipeline_, *store_, *queue2, *state2, SystemClock());
  int created_a = 0, created_b = 0;
  std::thread ta([&] { created_a = a.Reconcile()->created; });
  std::thread tb([&] { created_b = b.Reconcile()->created; });
  ta.join();
  tb.join();
  EXPECT_EQ(created_a + created_b, 50);
  EXPECT_EQ(state_->ListJobs()->size(), 50u);
}

}  // namespace
}  // namespace spotbatch

namespace spotbatch {
namespace {

TEST_F(IngestTest, ReconcileWithSettleSkipsObjectsStillBeingWritten) {
  testing::WriteFile(dir_ / "store/in/fresh", "partial");
  auto report = NewIngest().Reconcile(60'000);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->created, 0);
  std::filesystem::last_write_time(
      dir_ / "store/in/fresh",
      std::filesystem::file_time_type::clock::now() - std::chrono::minutes(2));
  EXPECT_EQ(NewIngest().Reconcile(60'000)->created, 1);
}

// Regression (issue 9): under `up`, every watch interval read every job ever made (ListJobs):
// its cost grew with history instead of new work.
TEST_F(IngestTest, IngestReadsEveryJobOnEachWatchInterval) {
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store_->Put("in/old" + std::to_string(i), "x").ok());
  FaultInjector counts;
  FaultyStateStore state(*state_, counts);
  Ingest ingest(pipeline_, *store_, *queue_, state, SystemClock());
  auto first = ingest.Watch(0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, 50);
  const int64_t reads_after_first = counts.calls("ListJobs") + counts.calls("GetJob");
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(store_->Put("in/new" + std::to_string(round), "y").ok());
    auto created = ingest.Watch(0);
    ASSERT_TRUE(created.ok());
    EXPECT_EQ(*created, 1);
  }
  EXPECT_EQ(counts.calls("ListJobs") + counts.calls("GetJob"), reads_after_first)
      << "a watch pass read jobs it had seen before";
  EXPECT_EQ(counts.calls("CreateJob"), 53) << "one create per new object, none for old ones";
  EXPECT_EQ(Messages(), 53);
  // A replaced object (new ETag) is new work.
  ASSERT_TRUE(store_->Put("in/old0", "changed").ok());
  EXPECT_EQ(*ingest.Watch(0), 1);
}

// A task that changed between being read and being marked keeps its change.
TEST_F(IngestTest, EnqueueOfATaskThatMovedOnKeepsItsNewState) {
  const std::string job = AddInput("a", "x");  // sent and marked
  CommitEvent(job, EventKind::kStart, "t1");
  const TaskRecord running = TaskOf(job);
  EXPECT_EQ(state_->MarkEnqueued(job + "-0", running.version - 1).code(), StatusCode::kAborted);
  EXPECT_EQ(TaskOf(job), running);
}

}  // namespace
}  // namespace spotbatch
