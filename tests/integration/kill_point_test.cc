// Kills at chosen points. A worker process dies by SIGKILL inside a chosen port call, just
// before it reaches the port or just after it took effect: the moments random kills hit only
// by luck, such as the publish window (a success committed, its outputs not yet copied),
// between the last copy and the Published commit, or between a commit and the deletion of
// the message. `spotbatch run` then finishes the job, and the crash checker proves that
// nothing was lost or done twice and that nothing is left behind.
//
// The worker runs in a forked child of the test, with the real SQLite database, directory
// store and command supervisor of `spotbatch worker`; the fault-injecting port wrappers
// (testing/faulty_ports.h) only pick the moment, and the kernel does the killing.
#include <signal.h>
#include <sys/wait.h>

#include <random>

#include "apps/wiring.h"
#include "integration/crash_checker.h"
#include "integration/pipeline_fixture.h"
#include "integration/run_state.h"
#include "testing/fault_injector.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

constexpr int kInputs = 4;

struct KillPoint {
  const char* method;  // the port method whose call the worker dies in
  bool after;          // false: before the call reaches the port; true: once it took effect
  int calls;           // calls of `method` in a whole run of kInputs tasks
  const char* name;
};

// Calls per task: a lease, three commits (start, success, published), one staging upload,
// one copy to the final key and one staging delete per output; message deletions batched.
const KillPoint kPoints[] = {
    {"Lease", true, kInputs, "LeasedNotStarted"},
    {"CommitTask", true, 3 * kInputs, "AfterAnyCommit"},
    {"CommitTask", false, 3 * kInputs, "BeforeAnyCommit"},
    {"PutFile", false, kInputs, "StagingAnOutput"},
    {"PutFile", true, kInputs, "StagedNotCommitted"},
    {"Copy", false, kInputs, "PublishWindow"},
    {"Copy", true, kInputs, "CopiedNotMarkedPublished"},
    {"Delete", true, kInputs, "RemovingStaging"},
    {"DeleteBatch", false, 1, "FinishedMessagesNotDeleted"},
};

// Runs a worker over the pipeline of `config_path` until its queue is empty, dying by SIGKILL
// at the `nth` call of `point`. Never returns: exits 0 when it finished without reaching the
// point, 3 when it could not start.
[[noreturn]] void WorkerDyingAt(const std::string& config_path, const KillPoint& point,
                                int64_t nth) {
  auto config = LoadConfig(config_path);
  if (!config.ok()) ::_exit(3);
  auto services = OpenServices(*config);
  if (!services.ok()) ::_exit(3);
  if (!IngestFor(*config, *services).Reconcile().ok()) ::_exit(3);
  FaultInjector faults;
  int64_t seen = 0;
  bool armed = false;  // the target call took effect: die before the next call of any port
  faults.Add({.predicate = [&](const FaultCall& call) {
    if (armed) ::raise(SIGKILL);
    if (call.method == point.method && ++seen == nth) {
      if (!point.after) ::raise(SIGKILL);
      armed = true;
    }
    return false;
  }});
  FaultyObjectStore store(*services->store, faults);
  FaultyTaskQueue queue(*services->queue, faults);
  FaultyStateStore state(*services->state, faults);
  WorkerOptions options = WorkerOptionsFor(*config, "doomed");
  options.exit_when_idle = true;
  Worker worker(config->pipeline, options, store, queue, state, SystemClock(), [] { return 0.5; });
  ::_exit(worker.Run().ok() ? 0 : 3);
}

class KillPointTest : public ::testing::TestWithParam<KillPoint> {};

TEST_P(KillPointTest, NothingLostNothingTwice) {
  const KillPoint& point = GetParam();
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  // Three moments of the run: its first call of the method, its last, and one in between.
  std::vector<int64_t> nths = {1, point.calls};
  if (point.calls > 2)
    nths.push_back(std::uniform_int_distribution<int64_t>(2, point.calls - 1)(rng));
  for (int64_t nth : nths) {
    SCOPED_TRACE("killed at call " + std::to_string(nth) + " of " + point.method);
    testing::TempDir dir;
    testing::WriteFile(dir / "sb.toml",
                       std::string("[store]\npath = \"data\"\n\n[pipeline]\ninput = \"in/\"\n"
                                   "output = \"out/\"\ncommand = ") +
                           testing::kShaCommand +
                           "\nretry_backoff_seconds = 0.05\n\n[worker]\nlease_seconds = "
                           "1\nheartbeat_seconds = 0.25\n"
                           "\n[fleet]\nworkers = 2\n");
    for (int i = 0; i < kInputs; ++i) {
      testing::WriteFile(dir / ("inputs/f" + std::to_string(i)), std::string(i + 1, 'x'));
    }
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.begin() + 1, {"-c", dir / "sb.toml"});
      return testing::RunCliWithin(args, std::chrono::seconds(60));
    };
    const testing::CliResult put = cli({"put", dir / "inputs"});
    ASSERT_EQ(put.exit_code, 0) << put.err;

    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) WorkerDyingAt(dir / "sb.toml", point, nth);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the worker never reached the point (exit status " << status << ")";

    const testing::CliResult run = cli({"run"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    // A message the dead worker held for a finished task stays leased until its lease ends
    // (no queue deletes a leased message without its receipt): `run` waits for leases this
    // short to end and deletes it, leaving the queue empty.
    {
      testing::RunState state(dir.path());
      auto depth = state.queue->Depth("tasks");
      ASSERT_TRUE(depth.ok());
      EXPECT_EQ(depth->visible + depth->in_flight + depth->delayed, 0) << run.err;
    }
    testing::CrashCheck check;
    check.folder = dir.path();
    for (int i = 0; i < kInputs; ++i) check.inputs.push_back("f" + std::to_string(i));
    check.expected = testing::ShaOfEachInput(dir / "inputs");
    if (!testing::ExpectNothingLostNothingTwice(check)) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Points, KillPointTest, ::testing::ValuesIn(kPoints),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace spotbatch
