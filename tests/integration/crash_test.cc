// Durability: kill -9 random workers 20 times and the control plane twice during a run.
// Every job must still finish exactly once, with outputs identical to a serial run, no
// failure budget spent, no lease left behind and no process left over.
#include <signal.h>

#include <random>
#include <set>

#include "integration/pipeline_fixture.h"
#include "integration/run_state.h"
#include "process_probe.h"

namespace spotbatch {
namespace {

using testing::PipelineFixture;

// Runs with both [state] durability settings: each must survive kill -9 of any process.
class CrashTest : public PipelineFixture, public ::testing::WithParamInterface<const char*> {};

TEST_P(CrashTest, KillWorkersAndControlPlaneNothingLostNothingTwice) {
  constexpr int kInputs = 400;
  constexpr int kWorkerKills = 20;
  constexpr int kControlPlaneKills = 2;
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));

  WriteConfig(
      R"(["sh", "-c", "sleep 0.1; sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])",
      4,
      "\n[state]\ndurability = \"" + std::string(GetParam()) +
          "\"\n[worker]\nlease_seconds = 2\nheartbeat_seconds = 0.5\nkill_grace_seconds = 1\n");
  for (int i = 0; i < kInputs; ++i) {
    testing::WriteFile(dir_ / ("inputs/f" + std::to_string(i)),
                       std::string(i % 50, 'a' + i % 26) + std::to_string(i));
  }
  ASSERT_EQ(Cli({"put", dir_ / "inputs"}).exit_code, 0);

  int worker_kills = 0, control_plane_kills = 0, runs = 0, last_exit = -1;
  std::vector<pid_t> orphans;  // workers of killed control planes
  while (true) {
    ++runs;
    const pid_t run =
        testing::StartCli({"run", "-c", config(), "--json"}, dir_ / "run.out", dir_ / "run.err");
    bool killed = false;
    while (true) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(80, 250)(rng)));
      int status;
      if (::waitpid(run, &status, WNOHANG) == run) {
        last_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      const std::vector<pid_t> workers = testing::ChildrenOf(run);
      if (workers.empty()) continue;
      const bool control_plane_turn = control_plane_kills < kControlPlaneKills &&
                                      worker_kills >= (control_plane_kills + 1) * kWorkerKills / 3;
      if (control_plane_turn) {
        ASSERT_EQ(::kill(run, SIGKILL), 0);
        testing::WaitExit(run);
        orphans.insert(orphans.end(), workers.begin(), workers.end());
        ++control_plane_kills;
        killed = true;
        break;
      }
      if (worker_kills < kWorkerKills) {
        const pid_t victim =
            workers[std::uniform_int_distribution<size_t>(0, workers.size() - 1)(rng)];
        if (::kill(victim, SIGKILL) == 0) ++worker_kills;
      }
    }
    if (!killed) break;
    ASSERT_LT(runs, 10);
  }
  const std::string err = testing::ReadFile(dir_ / "run.err");
  ASSERT_EQ(last_exit, 0) << err;
  EXPECT_EQ(worker_kills, kWorkerKills) << "the run ended before every kill happened";
  EXPECT_EQ(control_plane_kills, kControlPlaneKills);
  // Workers of a killed control plane hand their tasks back and exit on their own.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        for (pid_t p : orphans) {
          if (::kill(p, 0) == 0) return false;
        }
        return true;
      },
      std::chrono::seconds(20)));

  ExpectShaOutputsMatchSerialRun(kInputs);

  // Exactly one committed attempt per task, no failure budget spent, nothing left leased.
  testing::RunState run(dir_.path());
  auto& state = run.state;
  auto& queue = run.queue;
  auto jobs = state->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), static_cast<size_t>(kInputs));
  int lost = 0;
  for (const JobView& j : *jobs) {
    ASSERT_EQ(j.tasks.size(), 1u);
    const TaskRecord& t = j.tasks[0];
    EXPECT_EQ(t.state, TaskState::kSucceeded) << t.id;
    EXPECT_EQ(t.app_failures, 0) << t.id << ": " << t.last_error;
    lost += t.lost;
    int committed = 0;
    for (const AttemptRecord& a : *state->ListAttempts(t.id)) {
      committed += a.outcome == AttemptOutcome::kSucceeded;
      EXPECT_NE(a.outcome, AttemptOutcome::kRunning)
          << t.id << " attempt " << a.number << " never ended";
    }
    EXPECT_EQ(committed, 1) << t.id;
  }
  EXPECT_GT(lost, 0) << "killing workers mid-task should have lost some attempts";
  const QueueDepth depth = *queue->Depth("tasks");
  EXPECT_EQ(depth.visible + depth.in_flight + depth.delayed, 0) << "messages left in the queue";
  EXPECT_TRUE(state->ListUnenqueuedTasks()->empty());
  std::error_code ec;
  EXPECT_TRUE(!std::filesystem::exists(dir_ / "data/_spotbatch/staging", ec) ||
              std::filesystem::is_empty(dir_ / "data/_spotbatch/staging", ec))
      << "staged outputs left behind (committed, failed or lost attempts): " << [&] {
           std::string names;
           for (const auto& e :
                std::filesystem::directory_iterator(dir_ / "data/_spotbatch/staging", ec)) {
             names += e.path().filename().string() + " ";
           }
           return names;
         }();
}

class WorkerKillTest : public PipelineFixture {};

// Regression (issue 9): only the command's direct child died with its worker; with
// `sh -c "sleep 37 & sleep 38"` both sleeps kept running after a kill -9 of the worker, while
// the task's next attempt already ran on the restarted worker.
TEST_F(WorkerKillTest, WorkerKilledWithSigkillLeavesItsCommandRunning) {
  const std::string marker = testing::UniqueMarker();
  // The first attempt starts the two sleeps and waits; the second counts what is left of the
  // first (marked processes) as it starts, and succeeds.
  WriteConfig(
      R"(["sh", "-c", "if [ \"$SPOTBATCH_ATTEMPT\" = 1 ]; then export SB_PROBE=)" + marker +
          R"(; sleep 37 & sleep 38; fi; grep -l SB_PROBE=)" + marker +
          R"( /proc/[0-9]*/environ 2>/dev/null | wc -l > \"$1/left.txt\"", "_", "{output_dir}"])",
      1, "\n[worker]\nlease_seconds = 2\nheartbeat_seconds = 0.5\n");
  testing::WriteFile(dir_ / "inputs/a", "a");
  ASSERT_EQ(Cli({"put", dir_ / "inputs"}).exit_code, 0);
  const pid_t run = testing::StartCli({"run", "-c", config()}, dir_ / "run.out", dir_ / "run.err");
  // Wait for the two sleeps (/proc shows sh's environment as it started: unmarked).
  ASSERT_TRUE(testing::WaitFor([&] { return testing::ProcessesWithEnv(marker).size() == 2; }))
      << testing::ReadFile(dir_ / "run.err");
  const std::vector<pid_t> workers = testing::ChildrenOf(run);
  ASSERT_EQ(workers.size(), 1u);
  ASSERT_EQ(::kill(workers[0], SIGKILL), 0);
  EXPECT_TRUE(testing::WaitFor([&] { return testing::ProcessesWithEnv(marker).empty(); },
                               std::chrono::seconds(5)))
      << testing::ProcessesWithEnv(marker).size() << " processes outlived their worker";
  ASSERT_EQ(testing::WaitExit(run), 0) << testing::ReadFile(dir_ / "run.err");
  EXPECT_EQ(testing::ReadFile(dir_ / "data/out/a/left.txt"), "0\n")
      << "the next attempt started while the first one's processes ran";
}

INSTANTIATE_TEST_SUITE_P(Durability, CrashTest, ::testing::Values("power-loss", "process-crash"),
                         [](const auto& info) {
                           return std::string(info.param) == "power-loss" ? "PowerLoss"
                                                                          : "ProcessCrash";
                         });

}  // namespace
}  // namespace spotbatch
