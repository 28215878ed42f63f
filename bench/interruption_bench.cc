// Interruption latencies on the embedded adapters, with real processes and a real local
// instance-metadata server over HTTP.
//
//   interruption_bench notice ROUNDS POLL_MS
//     A worker runs `sleep 30` (which exits on SIGTERM); the metadata server announces a
//     reclaim in 120 s; a second, idle worker waits. Prints one line per round:
//     "notice_to_release_ms notice_to_restart_ms".
//   interruption_bench reclaim ROUNDS SPOTBATCH_BIN LEASE_MS
//     A `spotbatch worker` process runs the task and is killed with SIGKILL (a reclaim without
//     notice); a second worker process waits. Prints "reclaim_to_restart_ms" per round.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "adapters/aws/imds_client.h"
#include "adapters/local/dir_object_store.h"
#include "adapters/local/local_imds_server.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"
#include "agent/ingest.h"
#include "agent/job_actions.h"
#include "agent/worker.h"

namespace sb = spotbatch;

namespace {

int64_t Now() { return sb::SystemClock().NowUnixMillis(); }

struct Env {
  std::string dir;
  std::unique_ptr<sb::ObjectStore> store;
  std::shared_ptr<sb::SqliteDb> db;
  std::unique_ptr<sb::TaskQueue> queue;
  std::unique_ptr<sb::StateStore> state;
  sb::PipelineSpec pipeline;

  explicit Env(const std::string& d) : dir(d) {
    std::filesystem::create_directories(dir + "/.spotbatch");
    store = std::move(*sb::OpenDirObjectStore(dir + "/data"));
    db = *sb::SqliteDb::Open(dir + "/.spotbatch/spotbatch.db");
    queue = sb::NewSqliteTaskQueue(db, sb::SystemClock());
    state = sb::NewSqliteStateStore(db);
    pipeline.command = {"sleep", "30"};
  }
  std::string AddInput(int i) {
    auto info = *store->Put("in/" + std::to_string(i), "x");
    bool created = false;
    sb::Ingest ingest(pipeline, *store, *queue, *state, sb::SystemClock());
    return *ingest.IngestObject(info, &created) + "-0";
  }
  template <typename F>
  bool Until(F done, int64_t timeout_ms = 60'000) {
    const int64_t end = Now() + timeout_ms;
    while (Now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
};

sb::WorkerOptions Options(const std::string& dir, const std::string& id) {
  sb::WorkerOptions o;
  o.worker_id = id;
  o.work_dir = dir + "/work/" + id;
  o.heartbeat_millis = 500;
  o.lease_millis = 10'000;
  o.kill_grace_millis = 100;  // ending a round stops the other worker's `sleep 30`
  return o;
}

int Notice(int rounds, int64_t poll_ms) {
  std::mt19937 rng(std::random_device{}());
  char tmpl[] = "/tmp/spotbatch-ibench-XXXXXX";
  Env env(::mkdtemp(tmpl));
  for (int r = 0; r < rounds; ++r) {
    auto imds = std::move(*sb::LocalImdsServer::Start(sb::SystemClock()));
    auto md = std::move(*sb::NewImdsClient({imds->endpoint(), 21600, 1000}, sb::SystemClock()));
    const std::string task = env.AddInput(r);
    sb::WorkerOptions so = Options(env.dir, "spot");
    so.metadata_poll_millis = poll_ms;
    sb::Worker spot(env.pipeline, so, *env.store, *env.queue, *env.state, sb::SystemClock(),
                    [] { return 0.5; });
    spot.set_instance_metadata(md.get());
    std::thread ts([&] { (void)spot.Run(); });
    if (!env.Until([&] { return env.state->GetTask(task)->state == sb::TaskState::kRunning; })) {
      return 1;
    }
    sb::Worker other(env.pipeline, Options(env.dir, "other"), *env.store, *env.queue, *env.state,
                     sb::SystemClock(), [] { return 0.5; });
    std::thread to([&] { (void)other.Run(); });
    // Both settled; then a random moment, so that the notice does not keep one phase with
    // the spot worker's polling (that would make detection look always instant, or always late).
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 200));
    const int64_t t0 = Now();
    imds->ScheduleInterruption(t0, t0 + 120'000);
    int64_t released = 0;
    if (!env.Until([&] {
          const auto t = *env.state->GetTask(task);
          if (released == 0 && t.interruptions > 0) released = Now();
          return t.state == sb::TaskState::kRunning && t.attempts == 2;
        })) {
      return 1;
    }
    const auto attempts = *env.state->ListAttempts(task);
    std::printf("%lld %lld\n", static_cast<long long>(released - t0),
                static_cast<long long>(attempts.back().started_unix_millis - t0));
    std::fflush(stdout);
    ts.join();
    // Finished with this task: cancelled, it is never leased again in later rounds.
    if (!sb::CancelJob(*env.state, sb::SystemClock(), env.pipeline.retry,
                       task.substr(0, task.size() - 2))
             .ok()) {
      return 1;
    }
    other.RequestStop();
    to.join();
  }
  std::filesystem::remove_all(env.dir);
  return 0;
}

pid_t StartWorker(const std::string& bin, const std::string& config, const std::string& id) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(bin.c_str(), bin.c_str(), "worker", "-c", config.c_str(), "--worker-id", id.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int Reclaim(int rounds, const std::string& bin, int64_t lease_ms) {
  char tmpl[] = "/tmp/spotbatch-ibench-XXXXXX";
  Env env(::mkdtemp(tmpl));
  const std::string config = env.dir + "/sb.toml";
  std::ofstream(config) << "[pipeline]\ncommand = [\"sleep\", \"30\"]\n[worker]\nlease_seconds = "
                        << lease_ms / 1000.0 << "\nheartbeat_seconds = " << lease_ms / 4000.0
                        << "\n";
  for (int r = 0; r < rounds; ++r) {
    const std::string task = env.AddInput(r);
    const pid_t first = StartWorker(bin, config, "first");
    if (!env.Until([&] { return env.state->GetTask(task)->state == sb::TaskState::kRunning; })) {
      return 1;
    }
    const pid_t second = StartWorker(bin, config, "second");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // polling, idle
    const int64_t t0 = Now();
    ::kill(first, SIGKILL);
    ::waitpid(first, nullptr, 0);
    if (!env.Until([&] { return env.state->GetTask(task)->attempts == 2; })) return 1;
    const auto attempts = *env.state->ListAttempts(task);
    std::printf("%lld\n", static_cast<long long>(attempts.back().started_unix_millis - t0));
    std::fflush(stdout);
    (void)sb::CancelJob(*env.state, sb::SystemClock(), env.pipeline.retry,
                        task.substr(0, task.size() - 2));
    ::kill(second, SIGTERM);
    ::waitpid(second, nullptr, 0);
  }
  std::filesystem::remove_all(env.dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "notice" && argc == 4) return Notice(std::atoi(argv[2]), std::atoll(argv[3]));
  if (mode == "reclaim" && argc == 5) {
    return Reclaim(std::atoi(argv[2]), argv[3], std::atoll(argv[4]));
  }
  std::fprintf(stderr,
               "usage: interruption_bench notice ROUNDS POLL_MS\n"
               "       interruption_bench reclaim ROUNDS SPOTBATCH_BIN LEASE_MS\n");
  return 2;
}
