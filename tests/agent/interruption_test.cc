// Spot interruptions at the worker: a real worker (in a thread, with the real SQLite and
// directory adapters) runs real commands and polls its own local instance-metadata server over
// HTTP, exactly as it would poll EC2's.
#include <gtest/gtest.h>

#include <thread>

#include "adapters/aws/imds_client.h"
#include "adapters/local/local_imds_server.h"
#include "agent/agent_fixture.h"

namespace spotbatch {
namespace {

using testing::AgentFixture;
using testing::WaitFor;

const std::string kCounter = SPOTBATCH_SOURCE_DIR "/examples/checkpoint-counter/counter.sh";

// A worker running Run() on its own thread until stopped (or until a notice ends it).
class RunningWorker {
 public:
  explicit RunningWorker(std::unique_ptr<Worker> worker) : worker_(std::move(worker)) {
    thread_ = std::thread([this] { status_ = worker_->Run(); });
  }
  ~RunningWorker() { Stop(); }
  void Stop() {
    worker_->RequestStop();
    Join();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  Worker& worker() { return *worker_; }
  const Status& status() const { return status_; }

 private:
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
  Status status_;
};

class InterruptionTest : public AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    auto server = LocalImdsServer::Start(SystemClock());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    imds_ = std::move(*server);
    metadata_ = std::move(*NewImdsClient({imds_->endpoint(), 21600, 500}, SystemClock()));
    options_.pool = "spot-a";
    options_.on_spot = true;
    options_.metadata_poll_millis = 50;
    options_.heartbeat_millis = 200;
    options_.interruption_grace_millis = 10'000;
  }

  // The worker that receives notices.
  std::unique_ptr<Worker> SpotWorker() {
    auto w = NewWorker(options_);
    w->set_instance_metadata(metadata_.get());
    return w;
  }
  // A second worker, on another (quiet) instance.
  std::unique_ptr<Worker> OtherWorker() {
    WorkerOptions o = options_;
    o.worker_id = "w2";
    o.work_dir = dir_ / "work2";
    o.pool = "on-demand";
    o.on_spot = false;
    return NewWorker(o);
  }
  void UseCounter(const std::string& step_seconds) {
    pipeline_.command = {"env",
                         "COUNTER_STEP_SECONDS=" + step_seconds,
                         "sh",
                         kCounter,
                         "{input}",
                         "{output_dir}",
                         "{checkpoint_dir}"};
  }
  // What the counter produces for `n` without any interruption, run directly.
  std::string UninterruptedCounter(int n) {
    const std::string d = dir_ / "serial";
    std::filesystem::create_directories(d + "/out");
    std::filesystem::create_directories(d + "/ckpt");
    testing::WriteFile(d + "/in", std::to_string(n) + "\n");
    const std::string cmd = "COUNTER_STEP_SECONDS=0 sh " + kCounter + " " + d + "/in " + d +
                            "/out " + d + "/ckpt 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return testing::ReadFile(d + "/out/result.txt");
  }

  std::unique_ptr<LocalImdsServer> imds_;
  std::unique_ptr<InstanceMetadata> metadata_;
};

TEST_F(InterruptionTest, NoticeMidTaskHandsTaskToAnotherWorkerWhichResumesFromCheckpoint) {
  UseCounter("0.05");
  const std::string job = AddInput("n", "60\n");  // 3 s uninterrupted
  RunningWorker spot(SpotWorker());
  ASSERT_TRUE(WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  // Let it make progress and checkpoint (every 5 steps, uploaded with heartbeats).
  ASSERT_TRUE(WaitFor([&] { return !TaskOf(job).checkpoint.empty(); }));
  RunningWorker other(OtherWorker());
  const int64_t notice_at = SystemClock().NowUnixMillis();
  imds_->ScheduleInterruption(notice_at, notice_at + 4'000);
  spot.Join();  // the notice ends the spot worker's Run()
  EXPECT_TRUE(spot.status().ok()) << spot.status().ToString();
  EXPECT_EQ(spot.worker().exit_reason(), "interrupted");
  EXPECT_LT(SystemClock().NowUnixMillis(), notice_at + 4'000) << "must be gone before reclaim";

  ASSERT_TRUE(WaitFor([&] { return TaskOf(job).state == TaskState::kSucceeded; }));
  other.Stop();
  const auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kInterrupted);
  EXPECT_EQ(attempts[0].pool, "spot-a");
  // SIGTERM made the counter save its step: almost nothing is lost.
  EXPECT_LT(attempts[0].lost_work_millis, 500);
  EXPECT_EQ(attempts[1].outcome, AttemptOutcome::kSucceeded);
  EXPECT_EQ(attempts[1].pool, "on-demand");
  // Leased again within a second of the notice (detection included).
  EXPECT_LT(attempts[1].started_unix_millis - notice_at, 1'000);
  EXPECT_NE(attempts[1].log_tail.find("resuming at step"), std::string::npos)
      << attempts[1].log_tail;
  EXPECT_EQ(attempts[1].log_tail.find("resuming at step 0\n"), std::string::npos);
  const TaskRecord task = TaskOf(job);
  EXPECT_EQ(task.interruptions, 1);
  EXPECT_EQ(task.app_failures + task.lost, 0);
  EXPECT_EQ(*store_->Get("out/n/result.txt"), UninterruptedCounter(60));
  EXPECT_TRUE(Keys("_spotbatch/").empty()) << "checkpoints and staging are removed at success";
}

TEST_F(InterruptionTest, CommandIgnoringSigtermIsKilledInTimeToReleaseTheTask) {
  pipeline_.command = {"sh", "-c", "trap '' TERM; sleep 30"};
  const std::string job = AddInput("x", "1");
  RunningWorker spot(SpotWorker());
  ASSERT_TRUE(WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  const int64_t notice_at = SystemClock().NowUnixMillis();
  const int64_t reclaim_at = notice_at + 1'500;  // grace: half of what is left, about 0.75 s
  imds_->ScheduleInterruption(notice_at, reclaim_at);
  spot.Join();
  const int64_t gone = SystemClock().NowUnixMillis();
  EXPECT_LT(gone, reclaim_at);
  const TaskRecord task = TaskOf(job);
  EXPECT_EQ(task.state, TaskState::kQueued);
  EXPECT_EQ(task.interruptions, 1);
  const auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kInterrupted);
  EXPECT_NE(attempts[0].message.find("killed by signal 9"), std::string::npos)
      << attempts[0].message;
  EXPECT_EQ(Depth().visible, 1) << "released at once, not after the visibility timeout";
}

TEST_F(InterruptionTest, RebalanceFinishesTheRunningTaskAndTakesNoOther) {
  pipeline_.command = {"sh", "-c", "sleep 0.5; echo ok > \"$1/r\"", "_", "{output_dir}"};
  const std::string first = AddInput("a", "1");
  RunningWorker spot(SpotWorker());
  ASSERT_TRUE(WaitFor([&] { return TaskOf(first).state == TaskState::kRunning; }));
  const std::string second = AddInput("b", "2");
  imds_->ScheduleRebalance(SystemClock().NowUnixMillis());
  spot.Join();
  EXPECT_EQ(spot.worker().exit_reason(), "drained");
  EXPECT_EQ(TaskOf(first).state, TaskState::kSucceeded);
  EXPECT_EQ(TaskOf(first).interruptions, 0);
  EXPECT_EQ(TaskOf(second).state, TaskState::kQueued);
  EXPECT_EQ(TaskOf(second).attempts, 0);
}

TEST_F(InterruptionTest, NoticeTogetherWithRebalanceInterruptsAtOnce) {
  pipeline_.command = {"sleep", "30"};
  const std::string job = AddInput("x", "1");
  RunningWorker spot(SpotWorker());
  ASSERT_TRUE(WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  const int64_t now = SystemClock().NowUnixMillis();
  imds_->ScheduleRebalance(now);
  imds_->ScheduleInterruption(now, now + 2'000);
  spot.Join();
  EXPECT_EQ(spot.worker().exit_reason(), "interrupted");
  EXPECT_LT(SystemClock().NowUnixMillis(), now + 2'000);
  EXPECT_EQ(AttemptsOf(job).at(0).outcome, AttemptOutcome::kInterrupted);
  EXPECT_EQ(TaskOf(job).state, TaskState::kQueued);
}

TEST_F(InterruptionTest, FailingSlowOrForgetfulMetadataNeverDisturbsTheTask) {
  pipeline_.command = {"sh", "-c", "sleep 1.5; echo ok > \"$1/r\"", "_", "{output_dir}"};
  const std::string job = AddInput("x", "1");
  imds_->FailNextRequests(10, 500);
  RunningWorker spot(SpotWorker());
  ASSERT_TRUE(WaitFor([&] { return imds_->requests() >= 10; }));
  imds_->SetAnswerDelayMillis(800);  // past the client's 500 ms timeout
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  imds_->SetAnswerDelayMillis(0);
  imds_->RevokeTokens();  // the next poll gets 401 and renews its token
  ASSERT_TRUE(WaitFor([&] { return TaskOf(job).state == TaskState::kSucceeded; }));
  EXPECT_GE(imds_->token_requests(), 2);
  // The service works again: a notice still gets through.
  const int64_t now = SystemClock().NowUnixMillis();
  imds_->ScheduleInterruption(now, now + 2'000);
  spot.Join();
  EXPECT_EQ(spot.worker().exit_reason(), "interrupted");
  EXPECT_EQ(TaskOf(job).interruptions, 0);
  EXPECT_EQ(AttemptsOf(job).size(), 1u);
}

TEST_F(InterruptionTest, InterruptionPastTheLimitSendsTheTaskToOnDemandWorkers) {
  pipeline_.command = {"sleep", "30"};
  pipeline_.retry.on_demand_after_interruptions = 1;
  const std::string job = AddInput("x", "1");
  RunningWorker spot(SpotWorker());
  ASSERT_TRUE(WaitFor([&] { return TaskOf(job).state == TaskState::kRunning; }));
  const int64_t now = SystemClock().NowUnixMillis();
  imds_->ScheduleInterruption(now, now + 2'000);
  spot.Join();
  EXPECT_EQ(TaskOf(job).interruptions, 1);
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
  EXPECT_EQ(queue_->Depth(OnDemandQueue(pipeline_.queue))->visible, 1);
}

TEST_F(InterruptionTest, TaskNeedingOnDemandIsLeftToOnDemandWorkers) {
  pipeline_.command = {"true"};
  pipeline_.retry.on_demand_after_interruptions = 1;
  const std::string job = AddInput("x", "1");
  // One interruption already spent on spot capacity.
  CommitEvent(job, EventKind::kStart, "t1");
  CommitEvent(job, EventKind::kInterrupt, "t1");
  auto spot = SpotWorker();
  ASSERT_TRUE(*spot->RunOnce());  // leased, and moved to the on-demand queue
  EXPECT_EQ(TaskOf(job).state, TaskState::kQueued);
  EXPECT_EQ(TaskOf(job).attempts, 1);
  EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
  EXPECT_EQ(queue_->Depth(OnDemandQueue(pipeline_.queue))->visible, 1);
  EXPECT_FALSE(*spot->RunOnce()) << "spot workers never look at the on-demand queue";
  ASSERT_TRUE(*OtherWorker()->RunOnce());
  EXPECT_EQ(TaskOf(job).state, TaskState::kSucceeded);
  EXPECT_EQ(AttemptsOf(job).back().pool, "on-demand");
}

}  // namespace
}  // namespace spotbatch
