#include "apps/control_plane.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "agent/event_ingest.h"
#include "agent/ingest.h"
#include "agent/janitor.h"
#include "agent/job_actions.h"
#include "apps/bills.h"
#include "apps/http_api.h"
#include "apps/job_json.h"
#include "apps/progress.h"
#include "apps/s3_notifications.h"
#include "apps/wiring.h"
#include "apps/worker_fleet.h"
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

// Unfinished jobs below which `run` starts watching for the queue to drain.
constexpr int64_t kNearTheEnd = 64;

// The progress of a run of `total` jobs from task counts now and before it started (the
// difference in finished tasks is this run's; other processes' new jobs may blur it, which is
// why the end is confirmed with an exact tally).
Result<ProgressCounts> RunProgress(StateStore& state, const Result<TaskCounts>& before,
                                   size_t total) {
  if (!before.ok()) return before.status();
  SB_ASSIGN_OR_RETURN(TaskCounts now, state.CountTasks());
  ProgressCounts p;
  p.total = static_cast<int64_t>(total);
  p.done = now.of(TaskState::kSucceeded) - before->of(TaskState::kSucceeded);
  p.failed = now.of(TaskState::kFailed) + now.of(TaskState::kCancelled) -
             before->of(TaskState::kFailed) - before->of(TaskState::kCancelled);
  p.running = now.of(TaskState::kRunning) + now.of(TaskState::kPublishing);
  p.queued = now.of(TaskState::kQueued);
  return p;
}

int64_t MonotonicMillis() { return SystemClock().MonotonicNanos() / 1'000'000; }

// The longest `run` and `up` wait, once their workers are down, for messages that dead
// workers leased to come back so they can be deleted (see SweepAndReport).
constexpr int64_t kMaxLeaseWaitMillis = 15'000;

// Messages leased or delayed in `queues`; 0 when the depth cannot be read.
int64_t HeldMessages(TaskQueue& queue, const std::vector<std::string>& queues) {
  int64_t held = 0;
  for (const std::string& q : queues) {
    if (auto depth = queue.Depth(q); depth.ok()) held += depth->in_flight + depth->delayed;
  }
  return held;
}

// How long to wait for dead workers' leases (and retry backoffs) to end: the lease and the
// longest backoff, bounded, so that a run with a short lease leaves an empty queue and one
// with SQS's long ones still ends promptly (the next run's workers delete what is left).
int64_t LeaseWaitMillis(const Config& config) {
  const int64_t millis = static_cast<int64_t>(config.lease_seconds * 1000) +
                         config.pipeline.retry.backoff.max_millis + 500;
  return std::min(millis, kMaxLeaseWaitMillis);
}

// A run's id: when it started and which process ran it, unique on this machine.
std::string NewRunId() {
  return "run-" + std::to_string(SystemClock().NowUnixMillis()) + "-" + std::to_string(::getpid());
}

// Stores the bill of a fleet that has pools (plain workers cost nothing to bill).
void SaveRunBill(const char* who, ObjectStore& store, const std::string& run_id,
                 const nlohmann::json& bill) {
  if (bill["pools"].empty()) return;
  if (Status s = SaveBill(store, run_id, bill); !s.ok()) {
    std::fprintf(stderr, "spotbatch %s: storing the bill: %s\n", who, s.ToString().c_str());
  }
}

// The bill of a fleet at work, stored as it goes, so that a control plane killed outright
// (kill -9, a power loss) leaves its bill as of the last save, at most kBillSaveMillis old:
// its instances die with it, so billing stops there too. A bill reads every attempt of its
// jobs (`jobs`; null: every job), so saving never takes more than a twentieth of the time.
class RunningBill {
 public:
  static constexpr int64_t kBillSaveMillis = 5000;

  RunningBill(const char* who, std::string run_id, const std::set<std::string>* jobs)
      : who_(who), run_id_(std::move(run_id)), jobs_(jobs) {}

  void SaveIfDue(WorkerFleet& fleet, Services& services) {
    if (MonotonicMillis() >= next_millis_) Save(fleet, services);
  }
  // Stores the bill now and returns it.
  nlohmann::json Save(WorkerFleet& fleet, Services& services) {
    const int64_t started = MonotonicMillis();
    nlohmann::json bill = fleet.Bill(*services.state, jobs_);
    SaveRunBill(who_, *services.store, run_id_, bill);
    const int64_t now = MonotonicMillis();
    next_millis_ = now + std::max(kBillSaveMillis, 20 * (now - started));
    return bill;
  }

 private:
  const char* who_;
  const std::string run_id_;
  const std::set<std::string>* jobs_;
  int64_t next_millis_ = MonotonicMillis() + kBillSaveMillis;
};

// Removes what killed attempts left in the store and the queues (janitor.h), saying so when
// it found any. `workers_stopped`: the fleet is down, so a leased message has no live holder;
// then it waits up to `lease_wait_millis` for such leases to end and deletes what returns.
void SweepAndReport(const char* who, const std::vector<std::string>& queues, Services& services,
                    bool workers_stopped, int64_t lease_wait_millis = 0) {
  auto spent = DeleteSpentMessages(*services.queue, *services.state, queues);
  if (!spent.ok()) {
    std::fprintf(stderr, "spotbatch %s: deleting messages of finished tasks: %s\n", who,
                 spent.status().ToString().c_str());
  }
  // What one sweep cannot reach: a message leased by a worker that died after finishing its
  // task (no queue deletes a leased message without its receipt; SQS cannot either), or a
  // duplicate still delayed by a retry backoff. Both come back within a lease (or backoff).
  int64_t held = workers_stopped ? HeldMessages(*services.queue, queues) : 0;
  // Only when no task is unfinished: a held message of an unfinished task is its next
  // attempt's (a hand-back's backoff), not a leftover to wait for.
  if (held > 0 && lease_wait_millis > 0) {
    auto counts = services.state->CountTasks();
    if (!counts.ok() || counts->of(TaskState::kQueued) + counts->of(TaskState::kRunning) +
                                counts->of(TaskState::kPublishing) >
                            0) {
      lease_wait_millis = 0;
    }
  }
  const int64_t wait_until = MonotonicMillis() + lease_wait_millis;
  while (held > 0 && MonotonicMillis() < wait_until && !g_stop.load()) {
    ::usleep(100 * 1000);
    if (DeleteSpentMessages(*services.queue, *services.state, queues).ok()) {
      held = HeldMessages(*services.queue, queues);
    }
  }
  if (held > 0) {
    std::fprintf(stderr,
                 "spotbatch %s: %lld messages are still leased or delayed (a worker died "
                 "holding them, or a retry is due later); whichever worker receives one next "
                 "deletes it if its task is finished\n",
                 who, static_cast<long long>(held));
  }
  auto swept = SweepOrphans(*services.store, *services.state);
  if (!swept.ok()) {
    std::fprintf(stderr, "spotbatch %s: sweeping orphans: %s\n", who,
                 swept.status().ToString().c_str());
  } else if (swept->staging_removed + swept->checkpoints_removed > 0) {
    std::fprintf(stderr,
                 "spotbatch %s: removed %d staged outputs and %d checkpoint files left "
                 "by killed attempts\n",
                 who, swept->staging_removed, swept->checkpoints_removed);
  }
}

}  // namespace

int RunPipeline(const Config& config, const std::string& self_exe, bool json,
                const std::string& svg_dir) {
  InstallStopHandlers();
  auto services = OpenServices(config);
  if (!services.ok()) {
    std::fprintf(stderr, "spotbatch run: %s\n", services.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string> queues = PipelineQueues(config.pipeline.queue);
  // The run's jobs are the unfinished ones before any worker starts: a worker started
  // earlier could finish a job before the reconcile saw it unfinished, and the run would not
  // count it (a regression test: ScaleTest counts every job).
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
  const std::string run_id = NewRunId();
  // Finished tasks before this run: what progress subtracts (see RunProgress).
  const Result<TaskCounts> before = services->state->CountTasks();
  Result<std::unique_ptr<WorkerFleet>> opened =
      NewWorkerFleet(config, self_exe, *services->state, *services->queue,
                     std::min<int>(config.workers, static_cast<int>(jobs.size())));
  if (!opened.ok()) {
    std::fprintf(stderr, "spotbatch run: fleet: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<WorkerFleet> fleet = std::move(*opened);
  RunningBill running_bill("run", run_id, &jobs);
  Progress progress(stderr);
  Result<RunTally> tally = RunTally{};
  int restarts = 0;
  // Progress comes from one aggregate count of tasks per state, less the finished tasks of
  // earlier runs, taken at intervals paced by the expected end (NextLookMillis); the exact
  // tally (every job of the run) only confirms the end. Either read every job or counting
  // the queue every 20 ms took a tenth of a core from the workers.
  int64_t next_look = started;
  int64_t finished_at_start = -1;
  bool confirmed = false;  // the tally saw every job of the run finished
  while (!jobs.empty() && !g_stop.load()) {
    const int64_t now = MonotonicMillis();
    if (now >= next_look) {
      Result<ProgressCounts> counts = RunProgress(*services->state, before, jobs.size());
      next_look = now + kMinLookMillis;
      const bool near_end = !counts.ok() || counts->queued + counts->running <= kNearTheEnd;
      if (counts.ok()) {
        if (progress.WillDraw(now)) counts->fleet = fleet->Summary();
        progress.Update(*counts, now);
        if (finished_at_start < 0) finished_at_start = counts->done + counts->failed;
        next_look = now + NextLookMillis(*counts, finished_at_start, now - started);
      }
      bool drained = false;
      if (near_end) {
        drained = true;
        for (const std::string& q : queues) {
          auto depth = services->queue->Depth(q);
          drained =
              drained && depth.ok() && depth->visible + depth->in_flight + depth->delayed == 0;
        }
      }
      if (drained || !counts.ok() || counts->done + counts->failed >= counts->total) {
        tally = Tally(*services->state, jobs);
        if (!tally.ok() && !tally.status().retryable()) {
          std::fprintf(stderr, "spotbatch run: %s\n", tally.status().ToString().c_str());
          break;
        }
        confirmed = tally.ok() && tally->counts.done + tally->counts.failed == tally->counts.total;
        if (confirmed) break;
        if (drained) {
          // Unfinished with no message left anywhere: dead-lettered; fail them, or wait forever.
          auto abandoned = AbandonDeadLettered(*services->state, *services->queue, SystemClock(),
                                               config.pipeline.retry, queues, jobs);
          if (abandoned.ok() && *abandoned > 0) {
            std::fprintf(stderr,
                         "spotbatch run: %d tasks failed: the queue dead-lettered their messages "
                         "after too many deliveries\n",
                         *abandoned);
          }
        }
      }
    }
    restarts += fleet->Tick();
    running_bill.SaveIfDue(*fleet, *services);
    // The fleet's market moves every 20 ms; the next count may be due sooner.
    ::usleep(
        static_cast<useconds_t>(std::clamp<int64_t>(next_look - MonotonicMillis(), 1, 20) * 1000));
  }
  fleet->StopAll(static_cast<int64_t>(config.kill_grace_seconds * 1000) + 5000);
  // Workers sync their soft successes before exiting; one that was killed may not have.
  if (Status synced = services->state->Sync(); !synced.ok()) {
    std::fprintf(stderr, "spotbatch run: %s\n", synced.ToString().c_str());
  }
  SweepAndReport("run", queues, *services, /*workers_stopped=*/true, LeaseWaitMillis(config));
  // Finished jobs stay finished: a confirmed end needs no second reading of every job.
  if (!confirmed && !jobs.empty()) tally = Tally(*services->state, jobs);
  if (!tally.ok()) {
    std::fprintf(stderr, "spotbatch run: %s\n", tally.status().ToString().c_str());
    return 1;
  }
  if (!jobs.empty()) progress.Finish(tally->counts, MonotonicMillis());
  const RunTally& t = *tally;
  const bool interrupted = g_stop.load() && t.counts.done + t.counts.failed < t.counts.total;
  const nlohmann::json bill = running_bill.Save(*fleet, *services);
  if (!svg_dir.empty() && !config.pools.empty()) {
    const std::string path = svg_dir + "/fleet.svg";
    std::error_code ec;
    std::filesystem::create_directories(svg_dir, ec);
    std::ofstream out(path, std::ios::trunc);
    out << fleet->TimelineSvg("spotbatch run: " + std::to_string(t.counts.done) + " of " +
                              std::to_string(t.counts.total) + " jobs, " + run_id);
    if (!out.good()) std::fprintf(stderr, "spotbatch run: cannot write %s\n", path.c_str());
  }
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
        {"wall_seconds", static_cast<double>(MonotonicMillis() - started) / 1000.0},
        {"failures", t.failures},
    };
    out.update(bill);  // cost_usd, on_demand_cost_usd, idle_cost_usd, pools, job_costs
    out["fleet_decisions"] = fleet->Decisions();
    if (bill.contains("launches")) {
      out["launches_per_task"] =
          bill["launches"].get<double>() / static_cast<double>(std::max<int64_t>(1, t.counts.done));
    }
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

namespace {

// Handles the upload notifications waiting on the events queue, ten at a time while they
// keep coming, and logs what was done.
void PollEvents(EventIngest& events) {
  constexpr int kBatch = 10;  // SQS's most per receive
  // Handling a notification takes a read of the object and a commit or two: a minute is
  // ample, and a message of an `up` killed meanwhile is back a minute later.
  constexpr int64_t kLeaseMillis = 60'000;
  for (int round = 0; round < 100; ++round) {
    auto report = events.Poll(kBatch, kLeaseMillis);
    if (!report.ok()) {
      std::fprintf(stderr, "spotbatch up: events: %s\n", report.status().ToString().c_str());
      return;
    }
    for (const std::string& note : report->notes) {
      std::fprintf(stderr, "spotbatch up: events: %s\n", note.c_str());
    }
    if (report->created_jobs > 0) {
      std::fprintf(stderr, "spotbatch up: %d new jobs from upload notifications\n",
                   report->created_jobs);
    }
    if (report->messages < kBatch) return;
  }
}

}  // namespace

int ServePipeline(const Config& config, const std::string& self_exe) {
  InstallStopHandlers();
  auto services = OpenServices(config, {}, EventsQueue::kOpen);
  if (!services.ok()) {
    std::fprintf(stderr, "spotbatch up: %s\n", services.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string> queues = PipelineQueues(config.pipeline.queue);
  Ingest ingest = IngestFor(config, *services);
  // With [ingest] events, uploads arrive as the bucket's notifications; listing the input
  // prefix stays as the safety net for a notification lost (or a bucket notifying nothing),
  // at a pace that keeps its cost (a LIST per 1,000 inputs) small.
  std::unique_ptr<EventIngest> events;
  if (services->events) {
    events =
        std::make_unique<EventIngest>(ingest, config.pipeline, *services->store, *services->events,
                                      config.events_queue, DecodeS3Notification);
  }
  constexpr int64_t kListingWithEventsMillis = 10 * 60 * 1000;
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

  Result<std::unique_ptr<WorkerFleet>> opened =
      NewWorkerFleet(config, self_exe, *services->state, *services->queue, config.workers);
  if (!opened.ok()) {
    std::fprintf(stderr, "spotbatch up: fleet: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<WorkerFleet> fleet = std::move(*opened);
  if (config.pools.empty()) {
    std::fprintf(stderr, "spotbatch up: %d workers; watching %s\n", config.workers,
                 config.pipeline.input_prefix.c_str());
  } else {
    std::fprintf(stderr, "spotbatch up: %zu pools; watching %s\n", config.pools.size(),
                 config.pipeline.input_prefix.c_str());
  }
  const auto interval = static_cast<int64_t>(config.watch_interval_seconds * 1000);
  RunningBill up_bill("up", NewRunId(), /*jobs=*/nullptr);
  int64_t next_scan = 0;
  int64_t next_events = 0;
  // Orphans are rare (a kill in a window of microseconds) and a sweep reads every task.
  constexpr int64_t kSweepIntervalMillis = 10 * 60 * 1000;
  int64_t next_sweep = MonotonicMillis() + kSweepIntervalMillis;
  int64_t next_publish = 0;  // the fleet's status for GET /api/fleet, twice a second
  while (!g_stop.load()) {
    if (MonotonicMillis() >= next_scan) {
      // Files copied straight into the input folder count once they stopped changing.
      auto created = ingest.Watch(std::max<int64_t>(1000, interval));
      if (!created.ok()) {
        std::fprintf(stderr, "spotbatch up: ingest: %s\n", created.status().ToString().c_str());
      } else if (*created > 0) {
        std::fprintf(stderr, "spotbatch up: %d new jobs\n", *created);
      }
      next_scan =
          MonotonicMillis() + (events ? std::max(interval, kListingWithEventsMillis) : interval);
    }
    if (events && MonotonicMillis() >= next_events) {
      PollEvents(*events);
      next_events = MonotonicMillis() + interval;
    }
    if (MonotonicMillis() >= next_sweep) {
      SweepAndReport("up", queues, *services, /*workers_stopped=*/false);
      next_sweep = MonotonicMillis() + kSweepIntervalMillis;
    }
    fleet->Tick();
    // `up`'s bill is over every job: its attempts on this fleet are what counts.
    up_bill.SaveIfDue(*fleet, *services);
    if (api && MonotonicMillis() >= next_publish) {
      api->PublishFleet(fleet->FleetStatus());
      next_publish = MonotonicMillis() + 500;
    }
    ::usleep(20 * 1000);
  }
  std::fprintf(stderr, "spotbatch up: stopping workers\n");
  fleet->StopAll(static_cast<int64_t>(config.kill_grace_seconds * 1000) + 5000);
  SweepAndReport("up", queues, *services, /*workers_stopped=*/true, LeaseWaitMillis(config));
  up_bill.Save(*fleet, *services);
  return services->state->Sync().ok() ? 0 : 1;
}

}  // namespace spotbatch
