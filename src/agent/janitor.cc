#include "agent/janitor.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

namespace spotbatch {
namespace {

constexpr std::string_view kStaging = "_spotbatch/staging/";
constexpr std::string_view kCheckpoints = "_spotbatch/checkpoints/";

// "<token>.<index>" -> token.
std::string_view StagingToken(std::string_view key) {
  key.remove_prefix(kStaging.size());
  return key.substr(0, key.rfind('.'));
}

}  // namespace

Result<SweepReport> SweepOrphans(ObjectStore& store, StateStore& state) {
  // Objects first, tasks second (see the header).
  SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> staged, store.List(kStaging));
  SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> checkpoints, store.List(kCheckpoints));
  if (staged.empty() && checkpoints.empty()) return SweepReport{};
  SB_ASSIGN_OR_RETURN(std::vector<JobView> jobs, state.ListJobs());
  std::unordered_set<std::string> live_tokens;  // attempts that may still commit or publish
  std::unordered_map<std::string, const TaskRecord*> tasks;
  for (const JobView& j : jobs) {
    for (const TaskRecord& t : j.tasks) {
      tasks[t.id] = &t;
      if (t.state == TaskState::kRunning || t.state == TaskState::kPublishing) {
        live_tokens.insert(t.attempt_token);
      }
    }
  }
  SweepReport report;
  for (const ObjectInfo& o : staged) {
    if (live_tokens.count(std::string(StagingToken(o.key)))) continue;
    if (store.Delete(o.key).ok()) ++report.staging_removed;
  }
  for (const ObjectInfo& o : checkpoints) {
    // "_spotbatch/checkpoints/<task>/<token>.<seq>/<file>"
    std::string_view rest = std::string_view(o.key).substr(kCheckpoints.size());
    const size_t slash = rest.find('/');
    const size_t second = slash == std::string_view::npos ? slash : rest.find('/', slash + 1);
    if (second == std::string_view::npos) continue;  // not a checkpoint file: leave it
    const std::string task_id(rest.substr(0, slash));
    const std::string_view attempt = rest.substr(slash + 1, second - slash - 1);
    const std::string prefix(o.key.substr(0, kCheckpoints.size() + second + 1));
    auto it = tasks.find(task_id);
    if (it != tasks.end()) {
      const TaskRecord& t = *it->second;
      if (!IsTerminal(t.state) && t.checkpoint == prefix) continue;  // the one to resume from
      if (t.state == TaskState::kRunning &&
          attempt.substr(0, attempt.rfind('.')) == t.attempt_token) {
        continue;  // uploaded by the running attempt, perhaps about to be committed
      }
    }
    if (store.Delete(o.key).ok()) ++report.checkpoints_removed;
  }
  return report;
}

Result<int> DeleteSpentMessages(TaskQueue& queue, StateStore& state,
                                const std::vector<std::string>& queues) {
  constexpr int64_t kHoldMillis = 60'000;  // longer than the scan; released at its end anyway
  int deleted = 0;
  for (const std::string& q : queues) {
    SB_ASSIGN_OR_RETURN(QueueDepth depth, queue.Depth(q));
    std::vector<std::string> held;  // receipts of unfinished tasks' messages
    Status status = Status::Ok();
    for (int64_t n = 0; n < depth.visible && status.ok(); ++n) {
      auto leased = queue.Lease(q, kHoldMillis);
      if (!leased.ok()) {
        status = leased.status();
        break;
      }
      if (!leased->has_value()) break;
      const QueueMessage& m = **leased;
      auto task = state.GetTask(m.body);
      if (!task.ok() && task.status().code() != StatusCode::kNotFound) {
        held.push_back(m.receipt);
        status = task.status();
      } else if (!task.ok() || IsTerminal(task->state)) {
        if (queue.Delete(m.receipt).ok()) ++deleted;
      } else {
        held.push_back(m.receipt);
      }
    }
    for (const std::string& receipt : held) (void)queue.Release(receipt, 0);
    SB_RETURN_IF_ERROR(status);
  }
  return deleted;
}

}  // namespace spotbatch
