// The dispatch path without process creation: ingest -> lease -> start -> stage output ->
// commit -> publish -> delete, on the embedded adapters with durable commits. Each worker is
// a thread with its own SQLite connection and store handle, as a worker process would have.
// The "command" runs inline and writes one small output file.
//
//   dispatch_bench TASKS WORKERS [normal]   prints: workers tasks ingest_s work_s tasks_per_s
// "normal" opens the database with synchronous=NORMAL ([state] durability = "process-crash").
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "adapters/local/dir_object_store.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"
#include "agent/ingest.h"
#include "agent/worker.h"

namespace sb = spotbatch;

namespace {

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Services {
  std::unique_ptr<sb::ObjectStore> store;
  std::unique_ptr<sb::TaskQueue> queue;
  std::unique_ptr<sb::StateStore> state;
};

sb::SqliteDb::Sync g_sync = sb::SqliteDb::Sync::kFull;

Services Open(const std::string& dir) {
  auto db = sb::SqliteDb::Open(dir + "/state.db", g_sync);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  return {std::move(*sb::OpenDirObjectStore(dir + "/store")),
          sb::NewSqliteTaskQueue(*db, sb::SystemClock()), sb::NewSqliteStateStore(*db)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string(argv[3]) == "normal")) {
    std::fprintf(stderr, "usage: dispatch_bench TASKS WORKERS [normal]\n");
    return 2;
  }
  if (argc == 4) g_sync = sb::SqliteDb::Sync::kNormal;
  const int tasks = std::atoi(argv[1]);
  const int workers = std::atoi(argv[2]);
  char tmpl[] = "/tmp/spotbatch-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  sb::PipelineSpec pipeline;
  pipeline.command = {"inline"};
  {
    Services s = Open(dir);
    for (int i = 0; i < tasks; ++i) {
      if (!s.store->Put("in/" + std::to_string(i), "input " + std::to_string(i)).ok()) return 1;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  {
    Services s = Open(dir);
    sb::Ingest ingest(pipeline, *s.store, *s.queue, *s.state, sb::SystemClock());
    auto report = ingest.Reconcile();
    if (!report.ok() || report->created != tasks) return 1;
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      Services s = Open(dir);
      sb::WorkerOptions options;
      options.worker_id = "bench-" + std::to_string(w);
      options.work_dir = dir + "/work/" + options.worker_id;
      options.exit_when_idle = true;
      sb::Worker worker(pipeline, options, *s.store, *s.queue, *s.state, sb::SystemClock(),
                        [] { return 0.5; });
      worker.set_inline_command([](const sb::CommandSpec& spec) {
        std::string out;
        for (const auto& [name, value] : spec.env) {
          if (name == "SPOTBATCH_OUTPUT_DIR") out = value + "/out.txt";
        }
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const bool ok = fd >= 0 && ::write(fd, "result\n", 7) == 7;
        if (fd >= 0) ::close(fd);
        return ok ? 0 : 1;
      });
      sb::Status st = worker.Run();
      if (!st.ok()) std::fprintf(stderr, "worker: %s\n", st.ToString().c_str());
    });
  }
  for (auto& t : threads) t.join();
  const auto t2 = std::chrono::steady_clock::now();
  int succeeded = 0;
  {
    Services s = Open(dir);
    for (const auto& j : *s.state->ListJobs()) {
      succeeded += j.tasks.at(0).state == sb::TaskState::kSucceeded;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (succeeded != tasks) {
    std::fprintf(stderr, "only %d of %d tasks succeeded\n", succeeded, tasks);
    return 1;
  }
  std::printf("%d %d %.3f %.3f %.1f\n", workers, tasks, Seconds(t0, t1), Seconds(t1, t2),
              tasks / Seconds(t0, t2));
  return 0;
}
