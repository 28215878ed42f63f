// The crash checker: one verdict on what a run that was killed, crashed or lost power left
// behind, used by every crash test. It reads the state store, the queue and the object store
// of a pipeline folder and proves, for each input:
//   - its job exists, succeeded, and has exactly one committed (SUCCEEDED) attempt;
//   - its published outputs are exactly the expected files, each equal to a serial run's
//     (the caller's `expected` function);
//   - nothing of an uncommitted attempt is visible: no staging or checkpoint object is left,
//     no output exists for an input that is not in the run;
//   - no attempt is still RUNNING (no lease held by a worker that is gone), no budget for
//     application failures was spent, no message is left in any queue;
//   - no process of any attempt is alive (none carries a SPOTBATCH_TASK_ID of the run).
// On a failure it prints the whole history of the task that broke (its record, each attempt).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/ids.h"
#include "integration/cli_util.h"
#include "integration/run_state.h"
#include "process_probe.h"
#include "test_util.h"

namespace spotbatch::testing {

// Output files (relative to "out/<rel>/") an input must have and their content.
using ExpectedOutputs = std::function<std::map<std::string, std::string>(const std::string& rel)>;

// What a serial run of kShaCommand (pipeline_fixture.h) publishes for input `rel` of `inputs_dir`,
// for the crash checker.
inline ExpectedOutputs ShaOfEachInput(std::string inputs_dir) {
  return [inputs_dir = std::move(inputs_dir)](const std::string& rel) {
    const std::string data = ReadFile(inputs_dir + "/" + rel);
    return std::map<std::string, std::string>{{"sum.txt", Sha256Hex(data) + "  -\n"}};
  };
}

struct CrashCheck {
  std::string folder;               // the pipeline folder: config, data/, .spotbatch/
  std::vector<std::string> inputs;  // every input's relative key ("f0", "a/b.txt")
  ExpectedOutputs expected;         // what a serial run of the command writes
  // The queues that must be empty; empty: the pipeline's own (its queue and on-demand queue).
  std::vector<std::string> queues;
  bool allow_app_failures = false;  // a command that fails on purpose sometimes
};

inline std::string TaskHistory(StateStore& state, const TaskRecord& t) {
  std::ostringstream out;
  out << "task " << t.id << " (" << t.input_key << "): " << TaskStateName(t.state) << " v"
      << t.version << ", attempts " << t.attempts << ", failures " << t.app_failures
      << ", interruptions " << t.interruptions << ", lost " << t.lost << ", releases " << t.releases
      << ", last error: " << t.last_error << "\n";
  auto attempts = state.ListAttempts(t.id);
  if (!attempts.ok()) return out.str() + "  (attempts unreadable: " + attempts.status().ToString();
  for (const AttemptRecord& a : *attempts) {
    out << "  #" << a.number << " " << a.token << " on " << a.worker << " [" << a.pool << "] "
        << AttemptOutcomeName(a.outcome) << " " << a.started_unix_millis << ".."
        << a.ended_unix_millis << " exit " << a.exit_code << ": " << a.message << "\n";
  }
  return out.str();
}

// Regular files under `dir` (recursively), as paths relative to it.
inline std::set<std::string> FilesUnder(const std::string& dir) {
  std::set<std::string> files;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return files;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.insert(std::filesystem::relative(e.path(), dir).string());
  }
  return files;
}

// Live processes whose SPOTBATCH_TASK_ID is one of `task_ids`.
inline std::vector<std::string> ProcessesOfTasks(const std::set<std::string>& task_ids) {
  std::vector<std::string> found;
  constexpr std::string_view kKey = "SPOTBATCH_TASK_ID=";
  ForEachEnvironmentEntry([&](pid_t pid, std::string_view entry) {
    if (entry.substr(0, kKey.size()) != kKey) return;
    const std::string id(entry.substr(kKey.size()));
    if (task_ids.count(id)) found.push_back(std::to_string(pid) + " (" + id + ")");
  });
  return found;
}

// Checks everything above with gtest assertions; returns whether all held.
inline bool ExpectNothingLostNothingTwice(const CrashCheck& check) {
  bool ok = true;
  auto fail = [&](const std::string& what) {
    ok = false;
    ADD_FAILURE() << what;
  };
  RunState run(check.folder);
  auto jobs = run.state->ListJobs();
  if (!jobs.ok()) {
    fail("state unreadable: " + jobs.status().ToString());
    return false;
  }
  std::map<std::string, const JobView*> by_input;
  std::set<std::string> task_ids;
  for (const JobView& j : *jobs) {
    by_input[j.job.input_key] = &j;
    for (const TaskRecord& t : j.tasks) task_ids.insert(t.id);
  }
  if (jobs->size() != check.inputs.size()) {
    fail(std::to_string(jobs->size()) + " jobs for " + std::to_string(check.inputs.size()) +
         " inputs");
  }
  const std::string& in_prefix = run.config.pipeline.input_prefix;
  const std::string& out_prefix = run.config.pipeline.output_prefix;
  std::set<std::string> expected_files;
  for (const std::string& rel : check.inputs) {
    auto it = by_input.find(in_prefix + rel);
    if (it == by_input.end()) {
      fail("input " + rel + " has no job: lost");
      continue;
    }
    const JobView& j = *it->second;
    for (const TaskRecord& t : j.tasks) {
      std::string problems;
      if (t.state != TaskState::kSucceeded) problems += " not SUCCEEDED;";
      if (t.app_failures != 0) problems += " failure budget spent;";
      int committed = 0;
      for (const AttemptRecord& a : *run.state->ListAttempts(t.id)) {
        committed += a.outcome == AttemptOutcome::kSucceeded;
        if (a.outcome == AttemptOutcome::kRunning)
          problems += " attempt " + a.token + " never ended;";
      }
      if (committed != 1) problems += " " + std::to_string(committed) + " committed attempts;";
      const auto want = check.expected(rel);
      for (const auto& [file, content] : want) {
        const std::string key = out_prefix + rel + "/" + file;
        expected_files.insert(key);
        auto got = run.store->Get(key);
        if (!got.ok()) {
          problems += " output " + file + " missing (" + got.status().ToString() + ");";
        } else if (*got != content) {
          problems += " output " + file + " differs from a serial run;";
        }
      }
      if (!problems.empty()) fail(problems + "\n" + TaskHistory(*run.state, t));
    }
  }
  auto published = run.store->List(out_prefix);
  if (!published.ok()) fail("outputs unlistable: " + published.status().ToString());
  // On S3 spotbatch's own keys live in the work bucket, by default the output bucket: there
  // they are listed with the outputs as "<bucket>/_spotbatch/..." (the run's bill stays; what
  // an attempt left is checked below).
  const std::string own =
      run.config.work_bucket.empty() ? "" : run.config.work_bucket + "/_spotbatch/";
  for (const ObjectInfo& o : published.ok() ? *published : std::vector<ObjectInfo>{}) {
    if (!own.empty() && o.key.starts_with(own)) continue;
    if (!expected_files.count(o.key)) fail("unexpected output " + o.key + " (a stale attempt's?)");
  }
  for (const char* prefix : {"_spotbatch/staging/", "_spotbatch/checkpoints/"}) {
    auto left = run.store->List(prefix);
    if (left.ok() && !left->empty()) {
      fail(std::string(prefix) + " left behind: " + left->front().key + " and " +
           std::to_string(left->size() - 1) + " more");
    }
  }
  std::vector<std::string> queues = check.queues;
  if (queues.empty()) queues = {run.config.pipeline.queue, run.config.pipeline.queue + "-on-demand"};
  for (const std::string& q : queues) {
    auto depth = run.queue->Depth(q);
    if (!depth.ok()) continue;  // a queue never configured
    if (depth->visible + depth->in_flight + depth->delayed != 0) {
      fail("messages left in queue " + q + ": " + std::to_string(depth->visible) + " visible, " +
           std::to_string(depth->in_flight) + " in flight, " + std::to_string(depth->delayed) +
           " delayed");
    }
  }
  auto unenqueued = run.state->ListUnenqueuedTasks();
  if (unenqueued.ok() && !unenqueued->empty()) fail("unfinished tasks without a message");
  // Supervisors kill what is left as soon as their worker is gone: allow them a moment.
  std::vector<std::string> alive;
  WaitFor([&] { return (alive = ProcessesOfTasks(task_ids)).empty(); }, std::chrono::seconds(10));
  if (!alive.empty()) fail("processes of attempts still alive: " + alive.front());
  return ok;
}

}  // namespace spotbatch::testing
