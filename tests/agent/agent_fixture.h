// Real embedded adapters (directory store, SQLite queue and state) in a temporary directory,
// for tests of the agent's logic against the real parts; or, for a fixture that overrides
// adapters(), the in-memory ones (the same contracts, without durability).
#pragma once

#include <gtest/gtest.h>

#include <ostream>

#include "adapters/local/dir_object_store.h"
#include "adapters/memory/memory_object_store.h"
#include "adapters/memory/memory_state_store.h"
#include "adapters/memory/memory_task_queue.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/sqlite/sqlite_task_queue.h"
#include "agent/ingest.h"
#include "agent/worker.h"
#include "test_util.h"

namespace spotbatch::testing {

enum class Adapters { kEmbedded, kMemory };
inline void PrintTo(Adapters a, std::ostream* os) {
  *os << (a == Adapters::kEmbedded ? "embedded" : "memory");
}
inline std::string AdaptersName(const ::testing::TestParamInfo<Adapters>& info) {
  return info.param == Adapters::kEmbedded ? "embedded" : "memory";
}

class AgentFixture : public ::testing::Test {
 protected:
  // The adapters the agent runs against.
  virtual Adapters adapters() const { return Adapters::kEmbedded; }

  void SetUp() override {
    if (adapters() == Adapters::kMemory) {
      store_ = std::make_unique<MemoryObjectStore>(SystemClock());
      queue_ = std::make_unique<MemoryTaskQueue>(SystemClock());
      state_ = std::make_unique<MemoryStateStore>();
    } else {
      store_ = std::move(*OpenDirObjectStore(dir_ / "store"));
      db_ = *SqliteDb::Open(dir_ / "state.db");
      queue_ = NewSqliteTaskQueue(db_, SystemClock());
      state_ = NewSqliteStateStore(db_);
    }
    pipeline_.input_prefix = "in/";
    pipeline_.output_prefix = "out/";
    pipeline_.retry.backoff = {0, 0};
    pipeline_.timeout_millis = 30'000;
    options_.worker_id = "w1";
    options_.work_dir = dir_ / "work";
    options_.lease_millis = 10'000;
    options_.heartbeat_millis = 1'000;
    options_.kill_grace_millis = 200;
  }

  std::unique_ptr<Worker> NewWorker(WorkerOptions options) {
    return std::make_unique<Worker>(pipeline_, options, *store_, *queue_, *state_, SystemClock(),
                                    [] { return 0.5; });
  }
  std::unique_ptr<Worker> NewWorker() { return NewWorker(options_); }

  // Uploads an input and creates its job; returns the job id.
  std::string AddInput(const std::string& rel, const std::string& data) {
    auto info = store_->Put("in/" + rel, data);
    EXPECT_TRUE(info.ok());
    bool created = false;
    Ingest ingest(pipeline_, *store_, *queue_, *state_, SystemClock());
    auto id = ingest.IngestObject(*info, &created);
    EXPECT_TRUE(id.ok());
    return *id;
  }

  TaskRecord TaskOf(const std::string& job) { return *state_->GetTask(job + "-0"); }
  // Applies an event of attempt `token` to the job's task and commits it, as a worker would
  // (to set up what a worker that died left behind).
  void CommitEvent(const std::string& job, EventKind kind, const std::string& token,
                   std::vector<OutputFile> outputs = {}) {
    const TaskRecord t = TaskOf(job);
    TaskEvent e;
    e.kind = kind;
    e.token = token;
    e.now_unix_millis = SystemClock().NowUnixMillis();
    e.lease_millis = 10'000;
    e.outputs = std::move(outputs);
    auto tr = ApplyTaskEvent(t, e, pipeline_.retry);
    ASSERT_TRUE(tr.ok()) << tr.status().ToString();
    ASSERT_TRUE(state_->CommitTask(tr->task, t.version, tr->attempts).ok());
  }
  std::vector<AttemptRecord> AttemptsOf(const std::string& job) {
    return *state_->ListAttempts(job + "-0");
  }
  QueueDepth Depth() { return *queue_->Depth(pipeline_.queue); }
  std::vector<std::string> Keys(const std::string& prefix) {
    std::vector<std::string> keys;
    for (const auto& o : *store_->List(prefix)) keys.push_back(o.key);
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<ObjectStore> store_;
  std::shared_ptr<SqliteDb> db_;  // null with the in-memory adapters
  std::unique_ptr<TaskQueue> queue_;
  std::unique_ptr<StateStore> state_;
  PipelineSpec pipeline_;
  WorkerOptions options_;
};

}  // namespace spotbatch::testing
