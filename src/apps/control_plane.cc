#include "apps/control_plane.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "agent/ingest.h"
#include "apps/http_api.h"
#include "apps/job_json.h"
#include "apps/progress.h"
#include "apps/wiring.h"
#include "core/restart_policy.h"
#include "core/task_machine.h"

namespace spotbatch {
namespace {

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop.store(true); }

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

// Local worker processes, restarted when they die, stopped gracefully at the end.
class WorkerPool {
 public:
  WorkerPool(const Config& config, std::string self_exe)
      : config_(config), self_exe_(std::move(self_exe)) {}

  void Start(int count) {
    for (int i = 0; i < count; ++i) Spawn(i);
  }

  // Reaps dead workers and starts replacements; one that keeps dying within a second of its
  // start is restarted after a growing delay (up to 30 s) rather than in a tight loop.
  // Returns how many were replaced.
  int Supervise() {
    const int64_t now = NowMillis();
    while (true) {
      int status;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      auto it = running_.find(pid);
      if (it == running_.end()) continue;
      const Running dead = it->second;
      running_.erase(it);
      // A killed worker cannot clean its scratch space; its replacement gets a new one.
      std::error_code ec;
      std::filesystem::remove_all(config_.work_dir + "/" + dead.id, ec);
      int& crashes = quick_deaths_[dead.slot];
      crashes = now - dead.started_millis < kQuickDeathMillis ? crashes + 1 : 0;
      const int64_t delay = RestartDelayMillis(crashes);
      std::fprintf(stderr, "worker %d (pid %d) %s; restarting it%s\n", dead.slot, pid,
                   WIFSIGNALED(status)
                       ? ("killed by signal " + std::to_string(WTERMSIG(status))).c_str()
                       : ("exited with " + std::to_string(WEXITSTATUS(status))).c_str(),
                   delay > 0 ? (" in " + std::to_string(delay) + " ms").c_str() : "");
      restart_at_[dead.slot] = now + delay;
    }
    int replaced = 0;
    for (auto it = restart_at_.begin(); it != restart_at_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      Spawn(it->first);
      ++replaced;
      it = restart_at_.erase(it);
    }
    return replaced;
  }

  // SIGTERM to every worker (each hands back its running task), then waits; SIGKILL after
  // `grace_millis`.
  void StopAll(int64_t grace_millis) {
    restart_at_.clear();
    for (const auto& [pid, w] : running_) ::kill(pid, SIGTERM);
    const int64_t step = 20;
    for (int64_t waited = 0; !running_.empty() && waited < grace_millis; waited += step) {
      Reap();
      if (!running_.empty()) ::usleep(step * 1000);
    }
    for (const auto& [pid, w] : running_) ::kill(pid, SIGKILL);
    while (!running_.empty()) {
      int status;
      const pid_t pid = ::waitpid(-1, &status, 0);
      if (pid < 0) break;
      running_.erase(pid);
    }
  }

 private:
  void Reap() {
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) running_.erase(pid);
  }

  void Spawn(int slot) {
    const std::string id = "local-" + std::to_string(::getpid()) + "-" + std::to_string(slot) +
                           "-" + std::to_string(++generation_);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("fork worker");
      return;
    }
    if (pid == 0) {
      // A worker must not outlive its control plane: SIGTERM makes it hand its task back.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(0);
      ::execl(self_exe_.c_str(), self_exe_.c_str(), "worker", "-c", config_.file.c_str(),
              "--worker-id", id.c_str(), static_cast<char*>(nullptr));
      std::perror("exec worker");
      ::_exit(127);
    }
    running_[pid] = Running{slot, id, NowMillis()};
  }

  static int64_t NowMillis() { return SystemClock().MonotonicNanos() / 1'000'000; }

  const Config& config_;
  std::string self_exe_;
  struct Running {
    int slot;
    std::string id;
    int64_t started_millis;
  };
  std::map<pid_t, Running> running_;
  std::map<int, int64_t> restart_at_;  // slot -> when to start its next worker
  std::map<int, int> quick_deaths_;    // slot -> deaths in a row within a second of start
  int generation_ = 0;
};

struct RunTally {
  ProgressCounts counts;
  int64_t tasks = 0, attempts = 0, interruptions = 0, lost = 0, cancelled = 0, failed = 0;
  nlohmann::json failures = nlohmann::json::array();
};

Result<RunTally> Tally(StateStore& state, const std::set<std::string>& jobs) {
  SB_ASSIGN_OR_RETURN(std::vector<JobView> views, state.ListJobs());
  RunTally t;
  for (const JobView& v : views) {
    if (!jobs.count(v.job.id)) continue;
    ++t.counts.total;
    const JobState js = DeriveJobState(v.tasks);
    switch (js) {
      case JobState::kSucceeded:
        ++t.counts.done;
        break;
      case JobState::kFailed:
        ++t.counts.failed;
        ++t.failed;
        break;
      case JobState::kCancelled:
        ++t.counts.failed;
        ++t.cancelled;
        break;
      case JobState::kRunning:
        ++t.counts.running;
        break;
      case JobState::kQueued:
        ++t.counts.queued;
        break;
    }
    for (const TaskRecord& task : v.tasks) {
      ++t.tasks;
      t.attempts += task.attempts;
      t.interruptions += task.interruptions;
      t.lost += task.lost;
      if ((js == JobState::kFailed || js == JobState::kCancelled) && t.failures.size() < 100 &&
          !task.last_error.empty()) {
        t.failures.push_back({{"id", v.job.id},
                              {"input", v.job.input_key},
                              {"state", JobStateName(js)},
                              {"error", task.last_error}});
      }
    }
  }
  return t;
}

int64_t MonotonicMillis() { return SystemClock().MonotonicNanos() / 1'000'000; }

}  // namespace

int RunPipeline(const Config& config, const std::string& self_exe, bool json) {
  InstallStopHandlers();
  auto services = OpenServices(config);
  if (!services.ok()) {
    std::fprintf(stderr, "spotbatch run: %s\n", services.status().ToString().c_str());
    return 1;
  }
  Ingest ingest = IngestFor(config, *services);
  auto report = ingest.Reconcile();
  if (!report.ok()) {
    std::fprintf(stderr, "spotbatch run: ingest: %s\n", report.status().ToString().c_str());
    return 1;
  }
  const std::set<std::string> jobs(report->unfinished_jobs.begin(), report->unfinished_jobs.end());
  std::fprintf(stderr, "%zu jobs to run (%d new, %d already finished)\n", jobs.size(),
               report->created, report->finished);
  const int64_t started = MonotonicMillis();
  WorkerPool pool(config, self_exe);
  if (!jobs.empty()) pool.Start(std::min<int>(config.workers, static_cast<int>(jobs.size())));
  Progress progress(stderr);
  Result<RunTally> tally = RunTally{};
  int restarts = 0;
  int64_t last_tally = 0;
  while (!jobs.empty() && !g_stop.load()) {
    // A tally reads every job of the run, so it runs every 250 ms, or every 40 ms once the
    // queue has emptied (one aggregate query): the run ends without waiting out the period.
    const int64_t now = MonotonicMillis();
    auto depth = services->queue->Depth(config.pipeline.queue);
    const bool drained = depth.ok() && depth->visible + depth->in_flight + depth->delayed == 0;
    if (now - last_tally >= (drained ? 40 : 250)) {
      last_tally = now;
      tally = Tally(*services->state, jobs);
      if (!tally.ok() && !tally.status().retryable()) {
        std::fprintf(stderr, "spotbatch run: %s\n", tally.status().ToString().c_str());
        break;
      }
      if (tally.ok()) {
        if (tally->counts.done + tally->counts.failed == tally->counts.total) break;
        progress.Update(tally->counts, now);
      }
    }
    restarts += pool.Supervise();
    ::usleep(20 * 1000);
  }
  pool.StopAll(static_cast<int64_t>(config.kill_grace_seconds * 1000) + 5000);
  // Workers sync their soft successes before exiting; one that was killed may not have.
  if (Status synced = services->state->Sync(); !synced.ok()) {
    std::fprintf(stderr, "spotbatch run: %s\n", synced.ToString().c_str());
  }
  if (!jobs.empty()) tally = Tally(*services->state, jobs);
  if (!tally.ok()) {
    std::fprintf(stderr, "spotbatch run: %s\n", tally.status().ToString().c_str());
    return 1;
  }
  if (!jobs.empty()) progress.Finish(tally->counts, MonotonicMillis());
  const RunTally& t = *tally;
  const bool interrupted = g_stop.load() && t.counts.done + t.counts.failed < t.counts.total;
  if (json) {
    nlohmann::json out = {
        {"jobs", t.counts.total},
        {"succeeded", t.counts.done},
        {"failed", t.failed},
        {"cancelled", t.cancelled},
        {"unfinished", t.counts.total - t.counts.done - t.counts.failed},
        {"tasks", t.tasks},
        {"attempts", t.attempts},
        {"interruptions", t.interruptions},
        {"lost_attempts", t.lost},
        {"worker_restarts", restarts},
        // Local workers on this machine cost nothing; pools with prices come with the fleet.
        {"cost_usd", 0.0},
        {"on_demand_cost_usd", 0.0},
        {"wall_seconds", static_cast<double>(MonotonicMillis() - started) / 1000.0},
        {"failures", t.failures},
    };
    std::printf("%s\n", DumpJson(out).c_str());
  } else {
    for (const auto& f : t.failures) {
      std::fprintf(stderr, "%s %s %s: %s\n", f["state"].get<std::string>().c_str(),
                   f["id"].get<std::string>().c_str(), f["input"].get<std::string>().c_str(),
                   f["error"].get<std::string>().c_str());
    }
  }
  if (interrupted) return 130;
  return t.counts.done == t.counts.total ? 0 : 1;
}

int ServePipeline(const Config& config, const std::string& self_exe) {
  InstallStopHandlers();
  auto services = OpenServices(config);
  if (!services.ok()) {
    std::fprintf(stderr, "spotbatch up: %s\n", services.status().ToString().c_str());
    return 1;
  }
  Ingest ingest = IngestFor(config, *services);
  std::unique_ptr<HttpApi> api;
  if (!config.server_listen.empty()) {
    auto started = HttpApi::Start(config);
    if (!started.ok()) {
      std::fprintf(stderr, "spotbatch up: HTTP API: %s\n", started.status().ToString().c_str());
      return 1;
    }
    api = std::move(*started);
    std::fprintf(stderr, "spotbatch up: API at http://%s:%d/ (token in %s)\n",
                 config.server_listen.substr(0, config.server_listen.rfind(':')).c_str(),
                 api->port(), api->token_file().c_str());
  }
  WorkerPool pool(config, self_exe);
  pool.Start(config.workers);
  std::fprintf(stderr, "spotbatch up: %d workers; watching %s\n", config.workers,
               config.pipeline.input_prefix.c_str());
  const auto interval = static_cast<int64_t>(config.watch_interval_seconds * 1000);
  int64_t next_scan = 0;
  while (!g_stop.load()) {
    if (MonotonicMillis() >= next_scan) {
      // Files copied straight into the input folder count once they stopped changing.
      auto report = ingest.Reconcile(std::max<int64_t>(1000, interval));
      if (!report.ok()) {
        std::fprintf(stderr, "spotbatch up: ingest: %s\n", report.status().ToString().c_str());
      } else if (report->created > 0) {
        std::fprintf(stderr, "spotbatch up: %d new jobs\n", report->created);
      }
      next_scan = MonotonicMillis() + interval;
    }
    pool.Supervise();
    ::usleep(50 * 1000);
  }
  std::fprintf(stderr, "spotbatch up: stopping workers\n");
  pool.StopAll(static_cast<int64_t>(config.kill_grace_seconds * 1000) + 5000);
  return services->state->Sync().ok() ? 0 : 1;
}

}  // namespace spotbatch
