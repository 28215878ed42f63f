#include "agent/attempt_command.h"

#include "agent/scratch.h"
#include "core/pipeline_keys.h"

namespace spotbatch {

AttemptPaths AttemptPaths::For(const std::string& scratch, std::string_view input_name) {
  AttemptPaths p;
  p.scratch = scratch;
  p.input_dir = scratch + "/input";
  p.input = p.input_dir + "/";
  p.input += input_name;
  p.output_dir = scratch + "/output";
  p.checkpoint_dir = scratch + "/checkpoint";
  p.spare_input = scratch + "/" + kSpareInput;
  p.deadline_file = scratch + "/deadline";
  return p;
}

const std::string& ProgramResolver::Resolve(const std::string& name) {
  auto [it, inserted] = found_.try_emplace(name);
  if (inserted) {
    it->second = name.find('/') == std::string::npos ? FindProgram(name) : name;
    if (it->second.empty()) it->second = name;
  }
  return it->second;
}

CommandSpec AttemptCommand(const CommandTemplate& command, const AttemptPaths& paths,
                           const TaskRecord& task, std::string_view config_dir,
                           int64_t deadline_unix_millis, size_t capture_tail_bytes,
                           ProgramResolver& programs) {
  PlaceholderValues values;
  values[Placeholder::kInput] = paths.input;
  values[Placeholder::kOutputDir] = paths.output_dir;
  values[Placeholder::kCheckpointDir] = paths.checkpoint_dir;
  values[Placeholder::kKey] = task.input_key;
  values[Placeholder::kName] = KeyName(task.input_key);
  values[Placeholder::kConfigDir] = config_dir;
  CommandSpec spec;
  spec.argv = command.Expand(values);
  spec.argv[0] = programs.Resolve(spec.argv[0]);
  spec.env = {{"SPOTBATCH_INPUT", paths.input},
              {"SPOTBATCH_OUTPUT_DIR", paths.output_dir},
              {"SPOTBATCH_CHECKPOINT_DIR", paths.checkpoint_dir},
              {"SPOTBATCH_KEY", task.input_key},
              {"SPOTBATCH_ATTEMPT", std::to_string(task.attempts)},
              {"SPOTBATCH_TASK_ID", task.id},
              {"SPOTBATCH_DEADLINE", std::to_string(deadline_unix_millis / 1000)},
              {"SPOTBATCH_DEADLINE_FILE", paths.deadline_file}};
  spec.cwd = paths.scratch;
  spec.capture_tail_bytes = capture_tail_bytes;
  return spec;
}

}  // namespace spotbatch
