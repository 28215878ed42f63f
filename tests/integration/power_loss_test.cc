// Simulated power loss: a whole pipeline (uploads, ingest, workers running real commands,
// publishing, the janitor) runs in this process on a PowerLossDisk, through the same wiring as
// `spotbatch run`, and loses power at random points: every change the directory store and
// SQLite had not made durable is undone, as a real power loss would leave the disk. After each
// "reboot" the pipeline starts again from what the disk kept, on a clock moved past the dead
// machine's leases, until every input is done. The crash checker then proves that nothing
// acknowledged was lost and nothing was done or published twice.
//
// This is the proof of the durability rules (which commits may skip fsync, which directories
// must be synced): with `durability = "process-crash"` (no fsync at commits) the same test is
// expected to forget successes, and ProcessCrashDurabilityForgetsAcknowledgedSuccesses shows
// that it does.
#include "testing/power_loss.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "agent/janitor.h"
#include "apps/wiring.h"
#include "common/ids.h"
#include "integration/crash_checker.h"
#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

using testing::ReadFile;
using testing::WriteFile;

// The system clock, moved forward by each reboot: the machine comes back after its leases
// have expired, as it would after a real power loss.
class RebootClock final : public Clock {
 public:
  int64_t NowUnixMillis() override { return SystemClock().NowUnixMillis() + offset_.load(); }
  int64_t MonotonicNanos() override { return SystemClock().MonotonicNanos(); }
  void SleepForMillis(int64_t millis) override { SystemClock().SleepForMillis(millis); }
  int WaitReadable(const int* fds, int count, int64_t millis) override {
    return SystemClock().WaitReadable(fds, count, millis);
  }
  void Advance(int64_t millis) { offset_ += millis; }

 private:
  std::atomic<int64_t> offset_{0};
};

// Sees every commit, as an observer outside the machine would, and remembers the first
// success of each task that a commit acknowledged (the attempt's token). Once acknowledged, a
// success may not be forgotten by a power loss: the task would run again, work done twice.
// A soft commit (a success without outputs) is acknowledged by the next Sync() that returns:
// the worker makes its soft successes durable that way before it deletes their messages.
class SuccessWitness final : public StateStore {
 public:
  SuccessWitness(StateStore& base, std::map<std::string, std::string>& acknowledged)
      : base_(base), acknowledged_(acknowledged) {}
  Status CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) override {
    return base_.CreateJob(job, tasks);
  }
  Result<JobView> GetJob(std::string_view id) override { return base_.GetJob(id); }
  Result<TaskRecord> GetTask(std::string_view id) override { return base_.GetTask(id); }
  Status CommitTask(const TaskRecord& next, int64_t expected_version,
                    const std::vector<AttemptRecord>& attempts,
                    CommitDurability durability) override {
    Status s = base_.CommitTask(next, expected_version, attempts, durability);
    if (s.ok() && (next.state == TaskState::kPublishing || next.state == TaskState::kSucceeded)) {
      std::lock_guard<std::mutex> lock(mu_);
      if (durability == CommitDurability::kDurable) {
        acknowledged_.emplace(next.id, next.attempt_token);
      } else {
        soft_.emplace(next.id, next.attempt_token);
      }
    }
    return s;
  }
  Status Sync() override {
    std::map<std::string, std::string> soft;
    {
      std::lock_guard<std::mutex> lock(mu_);
      soft = soft_;  // commits made after this point are not covered by this Sync
    }
    Status s = base_.Sync();
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, token] : soft) {
        if (acknowledged_.emplace(id, token).second) ++synced_;
        soft_.erase(id);
      }
    }
    return s;
  }
  // Soft successes that a Sync() acknowledged.
  int64_t synced() const { return synced_; }
  Status MarkEnqueued(std::string_view id, int64_t expected_version) override {
    return base_.MarkEnqueued(id, expected_version);
  }
  Result<TaskCounts> CountTasks() override { return base_.CountTasks(); }
  Result<std::vector<JobView>> ListJobs() override { return base_.ListJobs(); }
  Result<std::vector<TaskRecord>> ListUnenqueuedTasks() override {
    return base_.ListUnenqueuedTasks();
  }
  Result<std::vector<AttemptRecord>> ListAttempts(std::string_view id) override {
    return base_.ListAttempts(id);
  }

 private:
  StateStore& base_;
  std::map<std::string, std::string>& acknowledged_;
  std::map<std::string, std::string> soft_;  // committed soft, not yet synced
  int64_t synced_ = 0;
  std::mutex mu_;
};

constexpr int kWorkers = 2;
constexpr int64_t kLeaseMillis = 2'000;

// A pipeline's command (a TOML array), and whether it writes one output per input.
struct Command {
  const char* toml;
  bool writes_outputs;
};
constexpr Command kSha = {testing::kShaCommand, true};
// Its success is committed without an fsync (DurabilityOf) and made durable by the worker's
// next Sync(), one for a batch, before their messages go.
constexpr Command kChecksumOnly = {
    R"(["sh", "-c", "sha256sum < \"$1\" > /dev/null", "_", "{input}"])", false};

// One pipeline folder on its own disk, booted again after each power loss.
class Machine {
 public:
  Machine(const std::string& dir, int inputs, const std::string& durability, Command command = kSha)
      : dir_(dir),
        folder_(dir + "/pipeline"),
        disk_(folder_, dir + "/shadow"),
        has_outputs_(command.writes_outputs) {
    EXPECT_TRUE(disk_.InstallSqliteVfs().ok());
    // The config and the user's inputs are not on the simulated disk: they exist before.
    WriteFile(folder_ + "/sb.toml",
              "[store]\npath = \"data\"\n\n[state]\ndurability = \"" + durability +
                  "\"\n\n[pipeline]\ninput = \"in/\"\noutput = \"out/\"\ncommand = " +
                  command.toml + "\nretry_backoff_seconds = 0.01\n\n[worker]\nwork_dir = \"" + dir +
                  "/work\"\nlease_seconds = " + std::to_string(kLeaseMillis / 1000) +
                  "\nheartbeat_seconds = 0.5\nkill_grace_seconds = 0.2\n");
    auto config = LoadConfig(folder_ + "/sb.toml");
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    if (config.ok()) config_ = *config;
    for (int i = 0; i < inputs; ++i) {
      const std::string rel = "f" + std::to_string(i);
      WriteFile(dir_ + "/inputs/" + rel, std::string(i % 40, 'a' + i % 26) + rel);
      pending_uploads_.push_back(rel);
    }
  }

  // Boots until a boot runs to its end, each of the first `max_losses` boots losing power
  // after a random number of changes in [1, max_changes] (a boot that needs fewer runs to its
  // end). Returns the power losses.
  int RunWithPowerLosses(int64_t max_changes, std::mt19937_64& rng, int max_losses = 1'000) {
    int losses = 0;
    for (int boot = 0; boot < 1'000; ++boot) {
      if (max_changes > 0 && losses < max_losses) {
        disk_.CutPowerAfter(std::uniform_int_distribution<int64_t>(1, max_changes)(rng));
      }
      const bool ran_to_end = Boot(boot);
      if (ran_to_end && !disk_.power_cut()) return losses;
      EXPECT_TRUE(disk_.power_cut()) << "boot " << boot << " stopped without a power loss";
      const auto report = disk_.Reboot();
      EXPECT_TRUE(report.errors.empty()) << report.errors.front();
      writes_lost_ += report.writes_lost;
      entries_lost_ += report.entries_lost;
      ++losses;
      clock_.Advance(kLeaseMillis + 1'000);
    }
    ADD_FAILURE() << "1,000 boots and none finished";
    return losses;
  }

  testing::CrashCheck Check() const {
    testing::CrashCheck check;
    check.folder = folder_;
    check.inputs = acknowledged_;
    check.expected = has_outputs_
                         ? testing::ShaOfEachInput(dir_ + "/inputs")
                         : [](const std::string&) { return std::map<std::string, std::string>{}; };
    return check;
  }
  // Tasks whose acknowledged success the state store forgot: "id: acknowledged token, now
  // token".
  std::vector<std::string> ForgottenSuccesses() const {
    std::vector<std::string> forgotten;
    testing::RunState run(folder_);
    for (const auto& [id, token] : successes_) {
      auto task = run.state->GetTask(id);
      if (!task.ok() || task->attempt_token != token) {
        forgotten.push_back(id + ": acknowledged " + token + ", now " +
                            (task.ok() ? task->attempt_token : task.status().ToString()));
      }
    }
    return forgotten;
  }
  int64_t changes() const { return disk_.changes_seen(); }
  int64_t writes_lost() const { return writes_lost_; }
  int64_t entries_lost() const { return entries_lost_; }
  // Boots that found a task whose success was committed but not yet published: the power
  // went in the publish window.
  int publish_window_losses() const { return publish_window_losses_; }
  int64_t synced_successes() const { return synced_successes_; }

 private:
  // One boot: uploads what the user has not seen acknowledged yet, ingests, runs the workers
  // until every task is finished or the power goes, and sweeps as `run` does at its end. True
  // when it ran to the end.
  bool Boot(int boot) {
    Platform platform{&disk_.fs(), &clock_};
    auto services = OpenServices(config_, platform);
    if (!services.ok()) {
      EXPECT_TRUE(disk_.power_cut()) << services.status().ToString();
      return false;
    }
    auto counts = services->state->CountTasks();
    if (counts.ok() && counts->of(TaskState::kPublishing) > 0) ++publish_window_losses_;
    while (!pending_uploads_.empty()) {
      const std::string rel = pending_uploads_.front();
      if (!services->store->PutFile("in/" + rel, dir_ + "/inputs/" + rel).ok()) return false;
      acknowledged_.push_back(rel);  // the user saw this upload succeed: it must be done
      pending_uploads_.erase(pending_uploads_.begin());
    }
    SuccessWitness state(*services->state, successes_);
    Ingest ingest = IngestFor(config_, *services, clock_);
    if (!ingest.Reconcile().ok()) return false;

    std::mt19937_64 rng(boot);
    std::mutex rng_mu;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::thread> threads;
    for (int i = 0; i < kWorkers; ++i) {
      const std::string id = "boot" + std::to_string(boot) + "-w" + std::to_string(i);
      workers.push_back(
          std::make_unique<Worker>(config_.pipeline, WorkerOptionsFor(config_, id),
                                   *services->store, *services->queue, state, clock_, [&] {
                                     std::lock_guard<std::mutex> lock(rng_mu);
                                     return std::uniform_real_distribution<double>(0, 1)(rng);
                                   }));
      threads.emplace_back([w = workers.back().get()] { (void)w->Run(); });
    }
    // Every task finished and no message left. The visible messages a power loss kept for
    // finished tasks are deleted by the janitor below, as at the end of `run`; a duplicate
    // still delayed by a retry backoff is deleted by the worker that leases it once due.
    auto finished = [&] {
      auto counts = services->state->CountTasks();
      if (!counts.ok() || counts->of(TaskState::kQueued) + counts->of(TaskState::kRunning) +
                                  counts->of(TaskState::kPublishing) !=
                              0) {
        return false;
      }
      for (const std::string& q : PipelineQueues(config_.pipeline.queue)) {
        auto depth = services->queue->Depth(q);
        if (!depth.ok() || depth->in_flight + depth->delayed != 0) return false;
      }
      return true;
    };
    const bool done = testing::WaitFor([&] { return disk_.power_cut() || finished(); },
                                       std::chrono::seconds(120));
    for (auto& w : workers) w->RequestStop();
    for (auto& t : threads) t.join();
    synced_successes_ += state.synced();
    EXPECT_TRUE(done) << "boot " << boot << " neither finished nor lost power";
    if (disk_.power_cut()) return false;
    return DeleteSpentMessages(*services->queue, *services->state,
                               PipelineQueues(config_.pipeline.queue))
               .ok() &&
           SweepOrphans(*services->store, *services->state).ok() && !disk_.power_cut();
  }

  const std::string dir_;
  const std::string folder_;
  PowerLossDisk disk_;
  const bool has_outputs_;
  RebootClock clock_;
  Config config_;
  std::vector<std::string> pending_uploads_;
  std::vector<std::string> acknowledged_;
  std::map<std::string, std::string> successes_;  // task id -> first acknowledged success
  int64_t writes_lost_ = 0;
  int64_t entries_lost_ = 0;
  int publish_window_losses_ = 0;
  int64_t synced_successes_ = 0;
};

// What the trials of one test saw.
struct Trials {
  int losses = 0, runs = 0, publish_window = 0;
  int64_t writes_lost = 0, entries_lost = 0, synced_successes = 0;
  int64_t run_changes = 0;  // changes a whole run makes without power loss
  bool ok = false;          // every trial passed the crash checker and the witness
};

// Fresh pipelines of `inputs` inputs running `command` lose power at random points until
// there were `target` losses. Each boot's cut point is uniform over the changes a whole run
// makes (a first run without power loss measures that), so the first boot's cuts cover the
// whole run and the later boots' cuts the recoveries.
Trials RunTrials(const testing::TempDir& tmp, std::mt19937_64& rng, int inputs, Command command,
                 int target) {
  Trials t;
  {
    Machine clean(tmp / "clean", inputs, "power-loss", command);
    EXPECT_EQ(clean.RunWithPowerLosses(0, rng), 0);
    if (!testing::ExpectNothingLostNothingTwice(clean.Check())) return t;
    t.run_changes = clean.changes();
    t.synced_successes = clean.synced_successes();
  }
  while (t.losses < target) {
    const std::string dir = tmp / ("trial" + std::to_string(t.runs++));
    Machine machine(dir, inputs, "power-loss", command);
    t.losses += machine.RunWithPowerLosses(t.run_changes, rng);
    t.writes_lost += machine.writes_lost();
    t.entries_lost += machine.entries_lost();
    t.publish_window += machine.publish_window_losses();
    t.synced_successes += machine.synced_successes();
    const auto forgotten = machine.ForgottenSuccesses();
    EXPECT_TRUE(forgotten.empty()) << "an acknowledged success ran twice: " << forgotten.front();
    if (!testing::ExpectNothingLostNothingTwice(machine.Check()) || !forgotten.empty()) {
      ADD_FAILURE() << "trial " << t.runs - 1 << " (after " << t.losses << " power losses)";
      return t;
    }
    std::filesystem::remove_all(dir);
  }
  t.ok = true;
  return t;
}

// SPOTBATCH_POWER_LOSSES losses (default 150) over pipelines of 24 inputs.
TEST(PowerLossPipelineTest, RandomPowerLossesNothingLostNothingTwice) {
  constexpr int kInputs = 24;
  const char* env = std::getenv("SPOTBATCH_POWER_LOSSES");
  const int target = env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 150;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir tmp;
  const Trials t = RunTrials(tmp, rng, kInputs, kSha, target);
  if (!t.ok) return;
  std::printf(
      "%d power losses over %d runs of %d inputs (a run makes %lld changes), %d of them in "
      "the publish window: %lld writes and %lld directory entries undone, nothing lost or "
      "doubled\n",
      t.losses, t.runs, kInputs, static_cast<long long>(t.run_changes), t.publish_window,
      static_cast<long long>(t.writes_lost), static_cast<long long>(t.entries_lost));
  EXPECT_GT(t.writes_lost, 0) << "no power loss undid anything: the disk is not simulating";
  EXPECT_GT(t.publish_window, 0) << "no power loss landed in the publish window";
}

// A command without outputs: no success that a Sync() acknowledged may be forgotten.

TEST(PowerLossPipelineTest, SuccessesWithoutOutputsAreDurableOnceSynced) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir tmp;
  const Trials t = RunTrials(tmp, rng, 24, kChecksumOnly, 50);
  if (!t.ok) return;
  EXPECT_GT(t.synced_successes, 0) << "successes without outputs were not soft";
  std::printf(
      "%d power losses over %d runs without outputs, %lld successes acknowledged by a sync\n",
      t.losses, t.runs, static_cast<long long>(t.synced_successes));
}

// The test can fail: with durability = "process-crash" SQLite commits without fsync, so a
// power loss forgets successes the workers were told were committed, and the witness sees
// their tasks run again.
TEST(PowerLossPipelineTest, ProcessCrashDurabilityForgetsAcknowledgedSuccesses) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::TempDir tmp;
  int runs = 0;
  for (; runs < 40; ++runs) {
    Machine machine(tmp / ("run" + std::to_string(runs)), 24, "process-crash");
    machine.RunWithPowerLosses(1'500, rng, /*max_losses=*/1);
    if (!machine.ForgottenSuccesses().empty()) break;
  }
  EXPECT_LT(runs, 40) << "40 runs with power losses and no success was forgotten";
}

}  // namespace
}  // namespace spotbatch
