#include "agent/worker.h"

#include <signal.h>

#include <atomic>
#include <thread>

#include "adapters/local/local_imds_server.h"
#include "adapters/local/local_protection.h"
#include "agent/agent_fixture.h"
#include "agent/job_actions.h"
#include "process_probe.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

using testing::AgentFixture;

class WorkerTest : public AgentFixture {};

// The worker's main paths against every set of adapters it can be given: the embedded ones
// and the in-memory ones of the simulator and fast tests.
class WorkerOnEveryAdapterTest : public AgentFixture,
                                 public ::testing::WithParamInterface<testing::Adapters> {
 protected:
  testing::Adapters adapters() const override { return GetParam(); }
};
INSTANTIATE_TEST_SUITE_P(Adapters, WorkerOnEveryAdapterTest,
                         ::testing::Values(testing::Adapters::kEmbedded,
                                           testing::Adapters::kMemory),
                         testing::AdaptersName);

const std::vector<std::string> kSha = {
    "sh", "-c",      "sha256sum < \"$1\" > \"$2/sum.txt\"; echo done >&2",
    "_",  "{input}", "{output_dir}"};

TEST_P(WorkerOnEveryAdapterTest, SuccessPublishesOutputsAtDeterministicKeysAndSettlesMessage) {
  pipeline_.command = kSha;
  const std::string job = AddInput("a b/c+d.txt", "hello\n");
  auto worker = NewWorker();
  ASSERT_TRUE(*worker->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
  auto out = store_->Get("out/a b/c+d.txt/sum.txt");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n");
  EXPECT_TRUE(Keys("_spotbatch/").empty()) << "staging left behind";
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
  auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kSucceeded);
  EXPECT_EQ(attempts[0].log_tail, "done\n");
  EXPECT_FALSE(*worker->RunOnce());
}

// The worker protects its instance from scale-in while it holds a task, through its local
// metadata server (as it would through Auto Scaling on EC2), and lifts it after.
TEST_F(WorkerTest, ProtectsItsInstanceWhileItHoldsATask) {
  auto server = LocalImdsServer::Start(SystemClock());
  ASSERT_TRUE(server.ok());
  auto protection = NewLocalScaleInProtection((*server)->endpoint());
  ASSERT_TRUE(protection.ok());
  pipeline_.command = {"true"};  // run inline below
  AddInput("a.txt", "x");
  AddInput("b.txt", "y");
  auto worker = NewWorker();
  worker->set_scale_in_protection(protection->get());
  int seen_protected = 0;
  worker->set_inline_command([&](const CommandSpec&) {
    seen_protected += (*server)->protected_from_scale_in();
    return 0;
  });
  ASSERT_TRUE(*worker->RunOnce());
  EXPECT_FALSE((*server)->protected_from_scale_in()) << "lifted after the task";
  ASSERT_TRUE(*worker->RunOnce());
  EXPECT_EQ(seen_protected, 2) << "protected while each command ran";
  EXPECT_FALSE((*server)->protected_from_scale_in());
  // An unreachable fleet does not stop the work.
  (*server)->Reclaim();
  const std::string job = AddInput("c.txt", "z");
  ASSERT_TRUE(*worker->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
}

// Tasks taken back to back keep the protection: it is set once and lifted when a poll finds
// the queue empty, so a busy worker costs the fleet's API two calls per busy spell, not two
// per task (on EC2 every SetInstanceProtection shares the account's Auto Scaling rate).
TEST_F(WorkerTest, KeepsItsProtectionAcrossBackToBackTasks) {
  struct Counting final : ScaleInProtection {
    std::vector<bool> calls;
    Status Protect(bool busy) override {
      calls.push_back(busy);
      return Status::Ok();
    }
  } protection;
  pipeline_.command = {"true"};
  std::vector<bool> seen;
  for (const char* name : {"a", "b", "c"}) AddInput(name, "x");
  WorkerOptions options = options_;
  options.exit_when_idle = true;
  auto worker = NewWorker(options);
  worker->set_scale_in_protection(&protection);
  worker->set_inline_command([&](const CommandSpec&) {
    seen.push_back(!protection.calls.empty() && protection.calls.back());
    return 0;
  });
  ASSERT_TRUE(worker->Run().ok());
  EXPECT_EQ(seen, (std::vector<bool>{true, true, true})) << "protected while each ran";
  EXPECT_EQ(protection.calls, (std::vector<bool>{true, false}))
      << "once on for the three tasks, off when the queue was empty";
}

TEST_F(WorkerTest, PlaceholdersAndEnvironmentReachTheCommand) {
  pipeline_.command = {
      "sh",
      "-c",
      "printf '%s|%s|%s|%s|%s|%s' \"$1\" \"$2\" \"$SPOTBATCH_KEY\" "
      "\"$SPOTBATCH_ATTEMPT\" \"$SPOTBATCH_TASK_ID\" \"$(cat \"$SPOTBATCH_INPUT\")\" "
      "> \"$SPOTBATCH_OUTPUT_DIR/env.txt\"; test -d \"$SPOTBATCH_CHECKPOINT_DIR\"",
      "_",
      "{key}",
      "{name}"};
  const std::string job = AddInput("dir/x.txt", "payload");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  ASSERT_EQ(TaskOf(job).state, TaskState::kSucceeded) << TaskOf(job).last_error;
  EXPECT_EQ(*store_->Get("out/dir/x.txt/env.txt"),
            "in/dir/x.txt|x.txt|in/dir/x.txt|1|" + job + "-0|payload");
}

// Regression (issue 9): placeholders were replaced one after another over the whole argv,
// so the key "in/{name}.txt" reached the command as "in/{name}.txt.txt", and a key could make
// the command read another placeholder's value.
TEST_F(WorkerTest, KeyTextIsExpandedAgain) {
  pipeline_.command = {"sh",          "-c",    "printf '%s|%s' \"$1\" \"$2\" > \"$3/args.txt\"",
                       "_",           "{key}", "{name}",
                       "{output_dir}"};
  const std::string job = AddInput("{name}/{output_dir}.txt", "x");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  ASSERT_EQ(TaskOf(job).state, TaskState::kSucceeded) << TaskOf(job).last_error;
  EXPECT_EQ(*store_->Get("out/{name}/{output_dir}.txt/args.txt"),
            "in/{name}/{output_dir}.txt|{output_dir}.txt");
}

TEST_F(WorkerTest, NestedOutputFilesKeepTheirRelativePaths) {
  pipeline_.command = {"sh", "-c",
                       "mkdir -p \"$1/a/b\" && echo 1 > \"$1/a/b/one\" && echo 2 > \"$1/two\"", "_",
                       "{output_dir}"};
  AddInput("k", "");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(Keys("out/"), (std::vector<std::string>{"out/k/a/b/one", "out/k/two"}));
}

TEST_P(WorkerOnEveryAdapterTest, FailureRetriesThenFailsAndKeepsLogTail) {
  pipeline_.command = {"sh", "-c", "echo boom >&2; exit 3"};
  pipeline_.retry.max_attempts = 3;
  const std::string job = AddInput("x", "1");
  auto worker = NewWorker();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(*worker->RunOnce());
  const TaskRecord t = TaskOf(job);
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_EQ(t.app_failures, 3);
  EXPECT_EQ(t.last_error, "command exited with status 3");
  auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 3u);
  for (const auto& a : attempts) {
    EXPECT_EQ(a.outcome, AttemptOutcome::kFailed);
    EXPECT_EQ(a.exit_code, 3);
    EXPECT_EQ(a.log_tail, "boom\n");
  }
  EXPECT_FALSE(*worker->RunOnce()) << "message of a FAILED task must be gone";
  EXPECT_TRUE(Keys("out/").empty());
  auto dead = queue_->Lease(pipeline_.queue + "-dlq", 1000);
  ASSERT_TRUE(dead.ok() && dead->has_value()) << "a task that failed for good is dead-lettered";
  EXPECT_EQ((*dead)->body, job + "-0");
}

// With the work bucket the output bucket (S3's default), "out/_spotbatch/" holds staging,
// checkpoints and bills: an input there fails before its command runs, saying why.
TEST_F(WorkerTest, AnInputThatWouldPublishIntoSpotbatchsOwnAreaFailsBeforeItsCommandRuns) {
  const std::string ran = dir_ / "ran";
  pipeline_.command = {"sh", "-c", "touch \"$1\"; echo x > \"$2/sum.txt\"",
                       "_",  ran,  "{output_dir}"};
  pipeline_.retry.max_attempts = 1;
  const std::string job = AddInput("_spotbatch/checkpoints/x", "1");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kFailed);
  EXPECT_NE(TaskOf(job).last_error.find("spotbatch's own area"), std::string::npos)
      << TaskOf(job).last_error;
  EXPECT_FALSE(std::filesystem::exists(ran)) << "the command ran";
  EXPECT_TRUE(Keys("out/").empty());
}

TEST_F(WorkerTest, MissingCommandFailsWithClearMessage) {
  pipeline_.command = {"/nonexistent/tool", "{input}"};
  pipeline_.retry.max_attempts = 1;
  const std::string job = AddInput("x", "1");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kFailed);
  EXPECT_EQ(TaskOf(job).last_error, "command not found: /nonexistent/tool");
}

TEST_F(WorkerTest, TimeoutKillsTheWholeProcessGroup) {
  // The command leaves a grandchild behind; the timeout must take it too.
  const std::string pid_file = dir_ / "grandchild.pid";
  pipeline_.command = {"sh", "-c", "sleep 30 & echo $! > \"$1\"; wait", "_", pid_file};
  pipeline_.timeout_millis = 1000;
  pipeline_.retry.max_attempts = 1;
  const std::string job = AddInput("x", "1");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kFailed);
  EXPECT_EQ(AttemptsOf(job).at(0).outcome, AttemptOutcome::kTimedOut);
  const std::string pid_text = testing::ReadFile(pid_file);
  ASSERT_FALSE(pid_text.empty()) << "the command did not start within its timeout";
  const pid_t grandchild = std::stoi(pid_text);
  EXPECT_TRUE(testing::WaitFor([&] { return ::kill(grandchild, 0) != 0; }, std::chrono::seconds(5)))
      << "grandchild " << grandchild << " survived the timeout";
}

TEST_P(WorkerOnEveryAdapterTest, StaleAttemptCannotPublishAfterAnotherTookOver) {
  const std::string go = dir_ / "go";
  pipeline_.command = {
      "sh",
      "-c",
      "while [ ! -f \"$1\" ]; do sleep 0.01; done; echo \"$SPOTBATCH_ATTEMPT\" > \"$2/who\"",
      "_",
      go,
      "{output_dir}"};
  const std::string job = AddInput("x", "1");
  WorkerOptions slow = options_;
  slow.worker_id = "slow";
  slow.lease_millis = 300;
  slow.heartbeat_millis = 60'000;  // never renews: its lease expires while it works
  auto a = NewWorker(slow);
  Result<bool> a_result = false;
  std::thread ta([&] { a_result = a->RunOnce(); });
  ASSERT_TRUE(testing::WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  WorkerOptions fast = options_;
  fast.worker_id = "fast";
  fast.work_dir = dir_ / "work2";
  auto b = NewWorker(fast);
  Result<bool> b_result = false;
  // The message comes back to the queue once the slow worker's queue lease has expired; on a
  // loaded machine the task's own lease may still run a little longer, and the delivery is
  // then put back for later: keep polling until this worker has started its attempt (its
  // RunOnce returns once the command finished).
  std::thread tb([&] {
    testing::WaitFor([&] {
      b_result = b->RunOnce();
      return !b_result.ok() || AttemptsOf(job).size() >= 2;
    });
  });
  ASSERT_TRUE(testing::WaitFor([&] { return AttemptsOf(job).size() == 2; }));
  testing::WriteFile(go, "");
  ta.join();
  tb.join();
  ASSERT_TRUE(a_result.ok());
  ASSERT_TRUE(b_result.ok());
  const TaskRecord t = TaskOf(job);
  EXPECT_EQ(t.state, TaskState::kSucceeded);
  EXPECT_EQ(*store_->Get("out/x/who"), "2\n");
  auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kLost);
  EXPECT_EQ(attempts[1].outcome, AttemptOutcome::kSucceeded);
  EXPECT_TRUE(Keys("_spotbatch/").empty()) << "the stale attempt's staging must be dropped";
}

TEST_F(WorkerTest, HeartbeatsKeepATaskLongerThanItsLease) {
  // Three leases long; a heartbeat every tenth of a lease leaves 900 ms of slack for a busy
  // machine (a 300 ms lease with 250 ms of slack flaked beside other tests under ctest -j2).
  pipeline_.command = {"sleep", "3"};
  options_.lease_millis = 1000;
  options_.heartbeat_millis = 100;
  const std::string job = AddInput("x", "1");
  auto a = NewWorker();
  std::thread ta([&] { ASSERT_TRUE(*a->RunOnce()); });
  ASSERT_TRUE(testing::WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  // Another worker polls all the while; with heartbeats it never gets to take the task over.
  WorkerOptions other = options_;
  other.worker_id = "w2";
  other.work_dir = dir_ / "work2";
  auto b = NewWorker(other);
  while (TaskOf(job).state == TaskState::kRunning) {
    auto r = b->RunOnce();
    ASSERT_TRUE(r.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ta.join();
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
  EXPECT_EQ(TaskOf(job).lost, 0);
  EXPECT_EQ(AttemptsOf(job).size(), 1u);
}

TEST_P(WorkerOnEveryAdapterTest, CommittedButUnpublishedTaskIsPublishedByNextDelivery) {
  pipeline_.command = {"false"};  // must never run: the task already succeeded
  const std::string job = AddInput("x", "1");
  // A worker committed success and died before publishing.
  CommitEvent(job, EventKind::kStart, "tok");
  ASSERT_TRUE(store_->Put("_spotbatch/staging/tok/r.txt", "result").ok());
  CommitEvent(job, EventKind::kSucceed, "tok", {{"_spotbatch/staging/tok/r.txt", "out/x/r.txt"}});

  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
  EXPECT_EQ(*store_->Get("out/x/r.txt"), "result");
  EXPECT_EQ(AttemptsOf(job).size(), 1u);
  EXPECT_TRUE(Keys("_spotbatch/").empty());
}

TEST_F(WorkerTest, StagingLeftByWorkerKilledAfterPublishingIsRemovedByNextDelivery) {
  pipeline_.command = {"false"};  // must never run: the task already succeeded
  const std::string job = AddInput("x", "1");
  // A worker published, committed, and died before removing its staged copy.
  CommitEvent(job, EventKind::kStart, "tok");
  ASSERT_TRUE(store_->Put("_spotbatch/staging/tok.0", "result").ok());
  ASSERT_TRUE(store_->Put("out/x/r.txt", "result").ok());
  CommitEvent(job, EventKind::kSucceed, "tok", {{"_spotbatch/staging/tok.0", "out/x/r.txt"}});
  CommitEvent(job, EventKind::kPublished, "tok");

  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_TRUE(Keys("_spotbatch/").empty());
  EXPECT_EQ(*store_->Get("out/x/r.txt"), "result");
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
}

TEST_F(WorkerTest, ReusedInputFileHoldsExactlyTheNextInput) {
  // The scratch input file is overwritten in place from task to task: a shorter input must
  // not keep the tail of a longer one, and a command that replaced its input with a folder
  // must not break the next attempt.
  pipeline_.command = {"sh", "-c",      "cat \"$1\" > \"$2/copy\"; rm \"$1\"; mkdir \"$1\"",
                       "_",  "{input}", "{output_dir}"};
  const std::string long_job = AddInput("long", "a much longer input than the next one\n");
  auto worker = NewWorker();
  ASSERT_TRUE(*worker->RunOnce());
  pipeline_.command = {"sh", "-c", "cat \"$1\" > \"$2/copy\"", "_", "{input}", "{output_dir}"};
  auto worker2 = NewWorker();
  const std::string mid_job = AddInput("mid", "middle sized input\n");
  ASSERT_TRUE(*worker2->RunOnce());
  const std::string short_job = AddInput("short", "short\n");
  ASSERT_TRUE(*worker2->RunOnce());
  const std::string empty_job = AddInput("empty", "");
  ASSERT_TRUE(*worker2->RunOnce());
  EXPECT_EQ(*store_->Get("out/long/copy"), "a much longer input than the next one\n");
  EXPECT_EQ(*store_->Get("out/mid/copy"), "middle sized input\n");
  EXPECT_EQ(*store_->Get("out/short/copy"), "short\n");
  EXPECT_EQ(*store_->Get("out/empty/copy"), "");
}

TEST_P(WorkerOnEveryAdapterTest, DuplicateMessageDoesNotRunTaskTwice) {
  const std::string runs = dir_ / "runs";
  pipeline_.command = {"sh", "-c", "echo x >> \"$1\"", "_", runs};
  const std::string job = AddInput("x", "1");
  ASSERT_TRUE(queue_->Send(pipeline_.queue, job + "-0", 0, 0).ok());  // the duplicate
  auto worker = NewWorker();
  ASSERT_TRUE(*worker->RunOnce());
  ASSERT_TRUE(*worker->RunOnce());
  EXPECT_FALSE(*worker->RunOnce());
  EXPECT_EQ(testing::ReadFile(runs), "x\n");
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
}

// Regression (issue 9): this joined the worker after the cancel, so it passed (30 s later)
// even when the command never stopped. Now the attempt must end within a deadline far below
// the command's length, with no process of it left.
TEST_F(WorkerTest, CancelStopsRunningCommandAtNextHeartbeat) {
  const std::string marker = testing::UniqueMarker();
  pipeline_.command = {"env", "SB_PROBE=" + marker, "sleep", "300"};
  options_.heartbeat_millis = 50;
  const std::string job = AddInput("x", "1");
  auto worker = NewWorker();
  std::atomic<bool> returned{false};
  std::thread t([&] {
    (void)worker->RunOnce();
    returned = true;
  });
  ASSERT_TRUE(testing::WaitFor([&] { return testing::ProcessesWithEnv(marker).size() == 1; }));
  ASSERT_TRUE(CancelJob(*state_, SystemClock(), pipeline_.retry, job).ok());
  const bool stopped = testing::WaitFor([&] { return returned.load(); }, std::chrono::seconds(20));
  if (!stopped) worker->RequestStop();  // end the test instead of waiting 300 s
  t.join();
  ASSERT_TRUE(stopped) << "the cancelled command kept running";
  EXPECT_EQ(testing::ProcessesWithEnv(marker), std::vector<pid_t>{});
  EXPECT_EQ(TaskOf(job).state, TaskState::kCancelled);
  EXPECT_EQ(AttemptsOf(job).at(0).outcome, AttemptOutcome::kCancelled);
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
}

TEST_F(WorkerTest, StopRequestHandsTaskBackWithoutSpendingBudget) {
  pipeline_.command = {"sleep", "30"};
  const std::string job = AddInput("x", "1");
  auto worker = NewWorker();
  std::thread t([&] { (void)worker->RunOnce(); });
  ASSERT_TRUE(testing::WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  worker->RequestStop();
  t.join();
  const TaskRecord task = TaskOf(job);
  EXPECT_EQ(task.state, TaskState::kQueued);
  EXPECT_EQ(task.app_failures + task.lost + task.interruptions, 0);
  EXPECT_EQ(AttemptsOf(job).at(0).outcome, AttemptOutcome::kReleased);
  EXPECT_EQ(Depth().visible, 1) << "released at once, not after the visibility timeout";
}

TEST_F(WorkerTest, IdleWorkerStopsAtOnceInsteadOfFinishingItsSleep) {
  options_.idle_poll_max_millis = 60'000;
  auto worker = NewWorker();
  std::thread t([&] { EXPECT_TRUE(worker->Run().ok()); });
  // Empty-queue sleeps double from 5 ms: at 2 s the worker is ~700 ms into a 1,280 ms one.
  SystemClock().SleepForMillis(2'000);
  const int64_t asked = SystemClock().MonotonicNanos();
  worker->RequestStop();
  t.join();
  EXPECT_LT(SystemClock().MonotonicNanos() - asked, 300'000'000LL);
  EXPECT_EQ(worker->exit_reason(), "stopped");
}

TEST_F(WorkerTest, OutputNameThatIsNotAValidKeyFailsClearly) {
  pipeline_.command = {"sh", "-c", "touch \"$1/bad$(printf '\\001')name\"", "_", "{output_dir}"};
  pipeline_.retry.max_attempts = 1;
  const std::string job = AddInput("x", "1");
  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kFailed);
  EXPECT_NE(TaskOf(job).last_error.find("control character"), std::string::npos)
      << TaskOf(job).last_error;
}

TEST_F(WorkerTest, InputDeletedBeforeItRanFailsWithoutRunningCommand) {
  pipeline_.command = {"true"};
  pipeline_.retry.max_attempts = 1;
  const std::string job = AddInput("x", "1");
  ASSERT_TRUE(store_->Delete("in/x").ok());
  ASSERT_TRUE(*NewWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kFailed);
  EXPECT_NE(TaskOf(job).last_error.find("cannot stage input in/x"), std::string::npos);
}

// Regression (issue 9): a full disk (ENOSPC) while staging released the task for free, so it
// cycled through the queue up to its delivery limit. Now the release waits out the backoff
// and spends the release budget, the worker stops taking work and says why, and once the
// budget is spent the task fails with the reason.
TEST_F(WorkerTest, ErrorsThatCostNothingLoop) {
  pipeline_.command = kSha;
  pipeline_.retry.max_releases = 3;
  pipeline_.retry.backoff = {1, 1};
  const std::string job = AddInput("a", "x");
  FaultInjector faults;
  faults.Add({.method = "GetToFile", .status = InjectedNoSpace()});
  FaultyObjectStore full(*store_, faults);
  for (int round = 1; round <= 3; ++round) {
    Worker worker(pipeline_, options_, full, *queue_, *state_, SystemClock(), [] { return 0.5; });
    ASSERT_TRUE(testing::WaitFor([&] { return Depth().visible == 1; }));  // the backoff passed
    ASSERT_TRUE(worker.Run().ok());
    EXPECT_EQ(worker.exit_reason(), "disk-full") << "a worker with a full disk takes no more work";
    EXPECT_NE(worker.disk_full_reason().find("No space left on device"), std::string::npos);
    EXPECT_EQ(TaskOf(job).releases, round);
  }
  const TaskRecord t = TaskOf(job);
  EXPECT_EQ(t.state, TaskState::kFailed);
  EXPECT_NE(t.last_error.find("cannot stage input in/a"), std::string::npos) << t.last_error;
  EXPECT_NE(t.last_error.find("No space left on device"), std::string::npos) << t.last_error;
  EXPECT_EQ(faults.calls("GetToFile"), 3);
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0) << "dead-lettered";
}

TEST_F(WorkerTest, PassingStoreFaultReleasesWithBackoffThenSucceeds) {
  pipeline_.command = kSha;
  pipeline_.retry.backoff = {50, 50};
  const std::string job = AddInput("a", "x");
  FaultInjector faults;
  faults.Add({.method = "PutFile", .nth = 1, .status = InjectedUnavailable()});
  FaultyObjectStore flaky(*store_, faults);
  Worker worker(pipeline_, options_, flaky, *queue_, *state_, SystemClock(), [] { return 0.5; });
  ASSERT_TRUE(*worker.RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kQueued);
  EXPECT_GT(TaskOf(job).not_before_unix_millis, SystemClock().NowUnixMillis())
      << "a fault's release waits out the backoff";
  ASSERT_TRUE(testing::WaitFor([&] { return *worker.RunOnce(); }));
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
  EXPECT_EQ(TaskOf(job).releases, 1);
  EXPECT_TRUE(Keys("_spotbatch/").empty()) << "staging of the failed upload left behind";
}

// The process runner's faults. A start the machine refused (no process to spare) is this
// worker's fault: released with the backoff, spending the release budget, never the budget
// of application failures; the next attempt runs.
TEST_F(WorkerTest, CommandTheMachineCouldNotStartIsReleasedNotFailed) {
  pipeline_.command = kSha;
  pipeline_.retry.backoff = {1, 1};
  const std::string job = AddInput("a", "x");
  FaultInjector faults;
  faults.Add({.method = "Start", .nth = 1, .status = Unavailable("fork: no process to spare")});
  SupervisedLauncher real(SystemClock());
  FaultyCommandLauncher launcher(real, faults);
  auto worker = NewWorker();
  worker->set_command_launcher(&launcher);
  ASSERT_TRUE(*worker->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kQueued);
  EXPECT_EQ(TaskOf(job).releases, 1);
  EXPECT_EQ(TaskOf(job).app_failures, 0);
  ASSERT_TRUE(testing::WaitFor([&] { return *worker->RunOnce(); }));
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
  EXPECT_EQ(faults.calls("Start"), 2);
}

// A machine that can never start the command does not loop: once the release budget is
// spent the task fails, saying why.
TEST_F(WorkerTest, CommandThatNeverStartsFailsOnceTheReleaseBudgetIsSpent) {
  pipeline_.command = kSha;
  pipeline_.retry.max_releases = 3;
  pipeline_.retry.backoff = {1, 1};
  const std::string job = AddInput("a", "x");
  FaultInjector faults;
  faults.Add({.method = "Start", .status = Unavailable("fork: no process to spare")});
  SupervisedLauncher real(SystemClock());
  FaultyCommandLauncher launcher(real, faults);
  auto worker = NewWorker();
  worker->set_command_launcher(&launcher);
  ASSERT_TRUE(testing::WaitFor([&] {
    (void)worker->RunOnce();
    return TaskOf(job).state == TaskState::kFailed;
  }));
  const TaskRecord t = TaskOf(job);
  EXPECT_EQ(t.releases, 3);
  EXPECT_EQ(t.app_failures, 0);
  EXPECT_NE(t.last_error.find("cannot start the command"), std::string::npos) << t.last_error;
  EXPECT_NE(t.last_error.find("no process to spare"), std::string::npos) << t.last_error;
  EXPECT_EQ(faults.calls("Start"), 3);
}

TEST_F(WorkerTest, CheckpointThatCannotBeRestoredIsStartedOverNotLooped) {
  pipeline_.command = {
      "sh", "-c", "ls \"$1\" | wc -l > \"$2/n.txt\"", "_", "{checkpoint_dir}", "{output_dir}"};
  const std::string job = AddInput("a", "x");
  // A checkpoint whose second object vanishes between the listing and the download: the
  // first, restored already, must not be left for the command to resume from.
  ASSERT_TRUE(store_->Put("_spotbatch/checkpoints/" + job + "-0/old.1/a", "s").ok());
  ASSERT_TRUE(store_->Put("_spotbatch/checkpoints/" + job + "-0/old.1/b", "s").ok());
  TaskRecord t = TaskOf(job);
  TaskRecord next = t;
  next.checkpoint = "_spotbatch/checkpoints/" + job + "-0/old.1/";
  next.version = t.version + 1;
  ASSERT_TRUE(state_->CommitTask(next, t.version, {}).ok());
  FaultInjector faults;
  faults.Add({.method = "GetToFile",
              .subject_part = "/old.1/b",
              .status = NotFound("checkpoint object gone")});
  FaultyObjectStore store(*store_, faults);
  Worker worker(pipeline_, options_, store, *queue_, *state_, SystemClock(), [] { return 0.5; });
  ASSERT_TRUE(*worker.RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded) << TaskOf(job).last_error;
  EXPECT_EQ(*store_->Get("out/a/n.txt"), "0\n") << "started from an empty checkpoint folder";
}

TEST_F(WorkerTest, FullStateStoreStopsTheWorkerWithTheReason) {
  pipeline_.command = kSha;
  AddInput("a", "x");
  FaultInjector faults;
  faults.Add({.method = "CommitTask",
              .status = ResourceExhausted("database or disk is full (SQLITE_FULL)")});
  FaultyStateStore full(*state_, faults);
  Worker worker(pipeline_, options_, *store_, *queue_, full, SystemClock(), [] { return 0.5; });
  Status s = worker.Run();
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("SQLITE_FULL"), std::string::npos);
  EXPECT_EQ(faults.calls("CommitTask"), 1) << "no retry loop against a full database";
}

}  // namespace
}  // namespace spotbatch
