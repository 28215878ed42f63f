// The StateStore contract: every adapter must pass these. An adapter's test file instantiates
// the suite with a StateStoreAdapter: how to open a fresh, empty store, and how to open another
// connection to it (a second SQLite connection on the same file, a second handle on the same
// memory), which the concurrency tests use from other threads.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <thread>

#include "core/task_machine.h"
#include "spotbatch/state_store.h"
#include "test_util.h"

namespace spotbatch::contract {

struct StateStoreAdapter {
  std::string name;
  // A fresh, empty store; `dir` is a temporary directory it may use.
  std::function<std::unique_ptr<StateStore>(const std::string& dir)> open;
  // Another connection to the store that `open` made as `first` in `dir`.
  std::function<std::unique_ptr<StateStore>(StateStore& first, const std::string& dir)> connect;
};
inline void PrintTo(const StateStoreAdapter& a, std::ostream* os) { *os << a.name; }
inline std::string AdapterName(const ::testing::TestParamInfo<StateStoreAdapter>& info) {
  return info.param.name;
}

class StateStoreContract : public ::testing::TestWithParam<StateStoreAdapter> {
 protected:
  void SetUp() override {
    state_ = GetParam().open(dir_.path());
    ASSERT_NE(state_, nullptr);
  }
  std::unique_ptr<StateStore> Connect() {
    auto other = GetParam().connect(*state_, dir_.path());
    EXPECT_NE(other, nullptr);
    return other;
  }
  static JobRecord Job(const std::string& id) { return {id, "in/" + id, "etag", 3, 100}; }
  static TaskRecord Task(const std::string& job) {
    TaskRecord t;
    t.id = job + "-0";
    t.job_id = job;
    t.input_key = "in/" + job;
    return t;
  }
  Transition Apply(const TaskRecord& t, EventKind kind, const std::string& token) {
    TaskEvent e;
    e.kind = kind;
    e.token = token;
    e.now_unix_millis = 1000;
    e.lease_millis = 5000;
    e.worker = "w";
    e.message = "msg";
    e.log_tail = "tail";
    if (kind == EventKind::kSucceed) e.outputs = {{"_spotbatch/staging/t/a", "out/a"}};
    auto tr = ApplyTaskEvent(t, e, RetryPolicy{});
    EXPECT_TRUE(tr.ok()) << tr.status().ToString();
    return *tr;
  }
  testing::TempDir dir_;
  std::unique_ptr<StateStore> state_;
};

TEST_P(StateStoreContract, CreateJobOnceThenAlreadyExists) {
  ASSERT_TRUE(state_->CreateJob(Job("j1"), {Task("j1")}).ok());
  EXPECT_EQ(state_->CreateJob(Job("j1"), {Task("j1")}).code(), StatusCode::kAlreadyExists);
  auto view = state_->GetJob("j1");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->job, Job("j1"));
  ASSERT_EQ(view->tasks.size(), 1u);
  EXPECT_EQ(view->tasks[0], Task("j1"));
  EXPECT_EQ(state_->GetJob("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(state_->GetTask("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(StateStoreContract, SoftCommitsAreReadBackAndSynced) {
  EXPECT_TRUE(state_->Sync().ok());  // nothing written yet
  const TaskRecord t0 = Task("j1");
  ASSERT_TRUE(state_->CreateJob(Job("j1"), {t0}).ok());
  Transition started = Apply(t0, EventKind::kStart, "a1");
  ASSERT_TRUE(
      state_->CommitTask(started.task, t0.version, started.attempts, CommitDurability::kSoft).ok());
  ASSERT_TRUE(state_->Sync().ok());
  auto read = state_->GetTask("j1-0");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, started.task);
}

TEST_P(StateStoreContract, CountTasksByState) {
  EXPECT_EQ(state_->CountTasks()->of(TaskState::kQueued), 0);
  for (const char* j : {"a", "b", "c"}) ASSERT_TRUE(state_->CreateJob(Job(j), {Task(j)}).ok());
  const TaskRecord t = *state_->GetTask("b-0");
  Transition s = Apply(t, EventKind::kStart, "tok");
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  const TaskCounts counts = *state_->CountTasks();
  EXPECT_EQ(counts.of(TaskState::kQueued), 2);
  EXPECT_EQ(counts.of(TaskState::kRunning), 1);
  EXPECT_EQ(counts.of(TaskState::kSucceeded), 0);
}

TEST_P(StateStoreContract, CommitIsConditionalOnVersion) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t0 = *state_->GetTask("j-0");
  Transition a = Apply(t0, EventKind::kStart, "a");
  Transition b = Apply(t0, EventKind::kStart, "b");
  ASSERT_TRUE(state_->CommitTask(a.task, t0.version, a.attempts).ok());
  EXPECT_EQ(state_->CommitTask(b.task, t0.version, b.attempts).code(), StatusCode::kAborted);
  EXPECT_EQ(state_->GetTask("j-0")->attempt_token, "a");
  auto attempts = state_->ListAttempts("j-0");
  ASSERT_TRUE(attempts.ok());
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].token, "a");
}

TEST_P(StateStoreContract, CheckpointPoolAndLostWorkRoundTrip) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t = *state_->GetTask("j-0");
  TaskEvent start;
  start.kind = EventKind::kStart;
  start.token = "tok";
  start.now_unix_millis = 1000;
  start.lease_millis = 5000;
  start.pool = "spot-a";
  Transition s = *ApplyTaskEvent(t, start, RetryPolicy{});
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  TaskEvent intr = start;
  intr.kind = EventKind::kInterrupt;
  intr.now_unix_millis = 3000;
  intr.checkpoint = "_spotbatch/checkpoints/j-0/tok.1/";
  intr.checkpoint_unix_millis = 2500;
  Transition i = *ApplyTaskEvent(s.task, intr, RetryPolicy{});
  ASSERT_TRUE(state_->CommitTask(i.task, s.task.version, i.attempts).ok());
  EXPECT_EQ(*state_->GetTask("j-0"), i.task);
  const auto attempts = *state_->ListAttempts("j-0");
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].pool, "spot-a");
  EXPECT_EQ(attempts[0].lost_work_millis, 500);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kInterrupted);
}

// What an interrupted attempt left half uploaded is read back whole by the next one, also
// when the list is longer than a store keeps inline (DynamoDB spills past 32 KiB); a
// success clears it.
TEST_P(StateStoreContract, PendingUploadsRoundTripAndASuccessClearsThem) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t = *state_->GetTask("j-0");
  Transition s = Apply(t, EventKind::kStart, "tok");
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  std::vector<PendingUpload> uploads;
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    uploads.push_back({"out/a/video-" + n + ".mp4", "_spotbatch/staging/tok/" + n,
                       std::string(100, 'u') + n, (uint64_t{16} << 20) + i});
  }
  TaskEvent intr;
  intr.kind = EventKind::kInterrupt;
  intr.token = "tok";
  intr.now_unix_millis = 3000;
  intr.uploads = uploads;
  Transition i = *ApplyTaskEvent(s.task, intr, RetryPolicy{});
  ASSERT_TRUE(state_->CommitTask(i.task, s.task.version, i.attempts).ok());
  EXPECT_EQ(state_->GetTask("j-0")->uploads, uploads);

  Transition again = Apply(i.task, EventKind::kStart, "tok2");
  ASSERT_TRUE(state_->CommitTask(again.task, i.task.version, again.attempts).ok());
  EXPECT_EQ(state_->GetTask("j-0")->uploads, uploads) << "kept for the next attempt";
  Transition done = Apply(again.task, EventKind::kSucceed, "tok2");
  ASSERT_TRUE(state_->CommitTask(done.task, again.task.version, done.attempts).ok());
  EXPECT_TRUE(state_->GetTask("j-0")->uploads.empty());
}

TEST_P(StateStoreContract, RoundTripsEveryTaskFieldAndFinishesAttempts) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  TaskRecord t = *state_->GetTask("j-0");
  Transition s = Apply(t, EventKind::kStart, "tok");
  ASSERT_TRUE(state_->CommitTask(s.task, t.version, s.attempts).ok());
  Transition done = Apply(s.task, EventKind::kSucceed, "tok");
  ASSERT_TRUE(state_->CommitTask(done.task, s.task.version, done.attempts).ok());
  EXPECT_EQ(*state_->GetTask("j-0"), done.task);
  auto attempts = state_->ListAttempts("j-0");
  ASSERT_EQ(attempts->size(), 1u);
  const AttemptRecord& a = (*attempts)[0];
  EXPECT_EQ(a.outcome, AttemptOutcome::kSucceeded);
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.worker, "w");  // kept from the start record
  EXPECT_EQ(a.started_unix_millis, 1000);
  EXPECT_EQ(a.log_tail, "tail");
}

TEST_P(StateStoreContract, CommitRequiresNextVersion) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  TaskRecord t = *state_->GetTask("j-0");
  EXPECT_EQ(state_->CommitTask(t, t.version, {}).code(), StatusCode::kInvalidArgument);
}

TEST_P(StateStoreContract, UnenqueuedTasksUntilMarked) {
  ASSERT_TRUE(state_->CreateJob(Job("a"), {Task("a")}).ok());
  ASSERT_TRUE(state_->CreateJob(Job("b"), {Task("b")}).ok());
  EXPECT_EQ(state_->ListUnenqueuedTasks()->size(), 2u);
  ASSERT_TRUE(state_->MarkEnqueued("a-0", 0).ok());
  auto left = state_->ListUnenqueuedTasks();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, "b-0");
  const TaskRecord a = *state_->GetTask("a-0");
  EXPECT_TRUE(a.enqueued);
  EXPECT_EQ(a.version, 1) << "a mark is a change: commits computed before it must re-read";
}

// Regression (issue 9): MarkEnqueued wrote without a version check, so a stale mark could
// undo a concurrent commit (a retry's new QUEUED spell then never got its message), and it
// reported success for a task that does not exist.
TEST_P(StateStoreContract, MarkEnqueuedIsConditionalOnTheVersion) {
  ASSERT_TRUE(state_->CreateJob(Job("a"), {Task("a")}).ok());
  const TaskRecord read = *state_->GetTask("a-0");
  Transition started = Apply(read, EventKind::kStart, "t1");
  ASSERT_TRUE(state_->CommitTask(started.task, read.version, started.attempts).ok());
  EXPECT_EQ(state_->MarkEnqueued("a-0", read.version).code(), StatusCode::kAborted);
  const TaskRecord after = *state_->GetTask("a-0");
  EXPECT_EQ(after, started.task) << "a refused mark changes nothing";
  EXPECT_EQ(state_->MarkEnqueued("nope-0", 0).code(), StatusCode::kNotFound);
}

TEST_P(StateStoreContract, ListJobsInCreationOrderWithTasks) {
  for (const char* id : {"zz", "aa", "mm"})
    ASSERT_TRUE(state_->CreateJob(Job(id), {Task(id)}).ok());
  auto jobs = state_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[0].job.id, "zz");
  EXPECT_EQ((*jobs)[2].job.id, "mm");
  EXPECT_EQ((*jobs)[1].tasks.size(), 1u);
}

// Workers on separate connections start the same task from the same read: one commit wins.
TEST_P(StateStoreContract, ConcurrentStartsExactlyOneWins) {
  constexpr int kWorkers = 8;
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  const TaskRecord t0 = *state_->GetTask("j-0");
  std::vector<std::unique_ptr<StateStore>> connections;
  for (int i = 0; i < kWorkers; ++i) connections.push_back(Connect());
  std::vector<Transition> starts;
  for (int i = 0; i < kWorkers; ++i)
    starts.push_back(Apply(t0, EventKind::kStart, "t" + std::to_string(i)));
  std::atomic<int> wins{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      Status s = connections[i]->CommitTask(starts[i].task, t0.version, starts[i].attempts);
      if (s.ok()) ++wins;
      if (s.code() == StatusCode::kAborted) ++aborted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(aborted.load(), kWorkers - 1);
  EXPECT_EQ(state_->ListAttempts("j-0")->size(), 1u);
}

// The ingest marks a task enqueued while a worker commits from the same version, each on its
// own connection: exactly one of them applies, and the other changes nothing.
TEST_P(StateStoreContract, ConcurrentMarkAndCommitExactlyOneApplies) {
  auto marker = Connect();
  auto worker = Connect();
  for (int round = 0; round < 20; ++round) {
    const std::string job = "j" + std::to_string(round);
    SCOPED_TRACE(job);
    ASSERT_TRUE(state_->CreateJob(Job(job), {Task(job)}).ok());
    const TaskRecord t0 = *state_->GetTask(job + "-0");
    const Transition start = Apply(t0, EventKind::kStart, "tok" + job);
    Status marked, committed;
    std::thread a([&] { marked = marker->MarkEnqueued(t0.id, t0.version); });
    std::thread b([&] { committed = worker->CommitTask(start.task, t0.version, start.attempts); });
    a.join();
    b.join();
    ASSERT_NE(marked.ok(), committed.ok()) << marked.ToString() << " / " << committed.ToString();
    const TaskRecord after = *state_->GetTask(t0.id);
    EXPECT_EQ(after.version, t0.version + 1);
    if (marked.ok()) {
      EXPECT_EQ(committed.code(), StatusCode::kAborted);
      EXPECT_EQ(after.state, TaskState::kQueued);
      EXPECT_TRUE(after.enqueued);
      EXPECT_TRUE(state_->ListAttempts(t0.id)->empty());
    } else {
      EXPECT_EQ(marked.code(), StatusCode::kAborted);
      EXPECT_EQ(after, start.task);
    }
  }
}

TEST_P(StateStoreContract, CreateJobRefusesAnEmptyIdOrNoTasks) {
  EXPECT_EQ(state_->CreateJob(Job(""), {Task("x")}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state_->CreateJob(Job("j"), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(state_->ListJobs()->empty());
  EXPECT_EQ(state_->CountTasks()->of(TaskState::kQueued), 0);
}

TEST_P(StateStoreContract, CreatingAJobAgainChangesNothing) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  JobRecord other = Job("j");
  other.input_etag = "another";
  TaskRecord extra = Task("j");
  extra.id = "j-1";
  extra.index = 1;
  EXPECT_EQ(state_->CreateJob(other, {extra}).code(), StatusCode::kAlreadyExists);
  auto view = state_->GetJob("j");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->job, Job("j"));
  ASSERT_EQ(view->tasks.size(), 1u);
  EXPECT_EQ(state_->GetTask("j-1").status().code(), StatusCode::kNotFound);
}

// Regression: a job whose task id another job already had came back kAborted ("lost a race:
// retry") from the SQLite store, which no retry can fix.
TEST_P(StateStoreContract, JobWithATaskIdThatExistsIsRefusedWhole) {
  ASSERT_TRUE(state_->CreateJob(Job("a"), {Task("a")}).ok());
  TaskRecord fresh = Task("b");
  TaskRecord taken = Task("a");
  taken.job_id = "b";
  taken.index = 1;
  EXPECT_EQ(state_->CreateJob(Job("b"), {fresh, taken}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(state_->GetJob("b").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(state_->GetTask("b-0").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(state_->GetTask("a-0")->job_id, "a");
  EXPECT_EQ(state_->CountTasks()->of(TaskState::kQueued), 1);
}

TEST_P(StateStoreContract, TasksOfAJobComeInIndexOrder) {
  std::vector<TaskRecord> tasks;
  for (int index : {2, 0, 1}) {
    TaskRecord t = Task("j");
    t.id = "j-" + std::to_string(index);
    t.index = index;
    tasks.push_back(t);
  }
  ASSERT_TRUE(state_->CreateJob(Job("j"), tasks).ok());
  auto view = state_->GetJob("j");
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->tasks.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(view->tasks[i].index, i);
  auto jobs = state_->ListJobs();
  ASSERT_EQ(jobs->size(), 1u);
  ASSERT_EQ((*jobs)[0].tasks.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*jobs)[0].tasks[i].index, i);
}

TEST_P(StateStoreContract, CommitToAMissingTaskIsAborted) {
  TaskRecord ghost = Task("ghost");
  ghost.version = 1;
  EXPECT_EQ(state_->CommitTask(ghost, 0, {}).code(), StatusCode::kAborted);
  EXPECT_EQ(state_->GetTask("ghost-0").status().code(), StatusCode::kNotFound);
}

TEST_P(StateStoreContract, KnownAttemptTokenWritesOnlyTheEnd) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  TaskRecord t = *state_->GetTask("j-0");
  AttemptRecord start{"tok", "j-0", 1,  "w1",     1000, 0, AttemptOutcome::kRunning,
                      -1,    "",    "", "pool-a", 0};
  TaskRecord next = t;
  next.version = t.version + 1;
  ASSERT_TRUE(state_->CommitTask(next, t.version, {start}).ok());
  AttemptRecord end{"tok", "j-0",    9,      "w2",     5, 2000, AttemptOutcome::kFailed,
                    3,     "exit 3", "boom", "pool-b", 0};
  TaskRecord after = next;
  after.version = next.version + 1;
  ASSERT_TRUE(state_->CommitTask(after, next.version, {end}).ok());
  const auto attempts = *state_->ListAttempts("j-0");
  ASSERT_EQ(attempts.size(), 1u);
  const AttemptRecord& a = attempts[0];
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.worker, "w1");
  EXPECT_EQ(a.started_unix_millis, 1000);
  EXPECT_EQ(a.pool, "pool-a");
  EXPECT_EQ(a.ended_unix_millis, 2000);
  EXPECT_EQ(a.outcome, AttemptOutcome::kFailed);
  EXPECT_EQ(a.exit_code, 3);
  EXPECT_EQ(a.message, "exit 3");
  EXPECT_EQ(a.log_tail, "boom");
}

TEST_P(StateStoreContract, AttemptsAreListedOldestFirst) {
  ASSERT_TRUE(state_->CreateJob(Job("j"), {Task("j")}).ok());
  TaskRecord t = *state_->GetTask("j-0");
  TaskRecord next = t;
  next.version = t.version + 1;
  std::vector<AttemptRecord> attempts;
  for (int number : {3, 1, 2}) {
    AttemptRecord a;
    a.token = "tok" + std::to_string(number);
    a.task_id = "j-0";
    a.number = number;
    a.started_unix_millis = 1000 * number;
    attempts.push_back(a);
  }
  ASSERT_TRUE(state_->CommitTask(next, t.version, attempts).ok());
  const auto listed = *state_->ListAttempts("j-0");
  ASSERT_EQ(listed.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(listed[i].number, i + 1);
  EXPECT_TRUE(state_->ListAttempts("other-0")->empty());
}

TEST_P(StateStoreContract, UnenqueuedTasksAreNotTerminalAndListedById) {
  for (const char* j : {"c", "a", "b"}) ASSERT_TRUE(state_->CreateJob(Job(j), {Task(j)}).ok());
  // "b" is cancelled without ever being enqueued: it needs no message.
  TaskRecord b = *state_->GetTask("b-0");
  TaskRecord cancelled = b;
  cancelled.version = b.version + 1;
  cancelled.state = TaskState::kCancelled;
  ASSERT_TRUE(state_->CommitTask(cancelled, b.version, {}).ok());
  auto left = state_->ListUnenqueuedTasks();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].id, "a-0");
  EXPECT_EQ((*left)[1].id, "c-0");
  // A retry's new QUEUED spell without a message is listed again.
  ASSERT_TRUE(state_->MarkEnqueued("a-0", 0).ok());
  TaskRecord a = *state_->GetTask("a-0");
  TaskRecord retry = a;
  retry.version = a.version + 1;
  retry.enqueued = false;
  ASSERT_TRUE(state_->CommitTask(retry, a.version, {}).ok());
  EXPECT_EQ(state_->ListUnenqueuedTasks()->size(), 2u);
}

}  // namespace spotbatch::contract
