#include "apps/job_json.h"

#include "common/time_format.h"
#include "core/task_machine.h"

namespace spotbatch {

std::string FormatUtc(int64_t unix_millis) {
  return unix_millis <= 0 ? "-" : FormatUtcTimestamp(unix_millis);
}

nlohmann::json JobJson(const JobView& v) {
  int attempts = 0, interruptions = 0;
  std::string error;
  std::vector<std::string> outputs;
  for (const TaskRecord& t : v.tasks) {
    attempts += t.attempts;
    interruptions += t.interruptions;
    if (!t.last_error.empty()) error = t.last_error;
    if (t.state != TaskState::kSucceeded) continue;
    for (const OutputFile& f : t.outputs) outputs.push_back(f.final_key);
  }
  return {{"id", v.job.id},
          {"input", v.job.input_key},
          {"state", JobStateName(DeriveJobState(v.tasks))},
          {"outputs", outputs},
          {"attempts", attempts},
          {"interruptions", interruptions},
          {"error", error},
          {"created", FormatUtc(v.job.created_unix_millis)},
          {"tasks", v.tasks.size()}};
}

nlohmann::json AttemptJson(const AttemptRecord& a) {
  return {{"number", a.number},
          {"worker", a.worker},
          {"outcome", AttemptOutcomeName(a.outcome)},
          {"exit_code", a.exit_code},
          {"started", FormatUtc(a.started_unix_millis)},
          {"ended", FormatUtc(a.ended_unix_millis)},
          {"message", a.message},
          {"log_tail", a.log_tail},
          {"pool", a.pool},
          {"lost_work_seconds", static_cast<double>(a.lost_work_millis) / 1000.0}};
}

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace spotbatch
