// What a worker runs for one attempt: the scratch paths the command is given, its argv with
// every placeholder filled in, and the SPOTBATCH_* environment (the contract commands rely on,
// documented in README "Writing a command").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/command_runner.h"
#include "core/command_template.h"
#include "spotbatch/model.h"

namespace spotbatch {

// The files and folders of one attempt inside a worker's scratch folder. The same folders
// serve every attempt (emptied in between): creating them costs more than the rest of a short
// task's bookkeeping on the disks this runs on.
struct AttemptPaths {
  std::string scratch;
  std::string input_dir;       // holds the staged input, under its own name
  std::string input;           // input_dir + "/" + the input key's last component
  std::string output_dir;      // what the command leaves here is published
  std::string checkpoint_dir;  // restored before, uploaded during and after the attempt
  std::string spare_input;     // the last attempt's input file, overwritten by the next
  std::string deadline_file;   // an interruption notice writes the reclaim time here
  static AttemptPaths For(const std::string& scratch, std::string_view input_name);
};

// Finds a program named without a '/' on $PATH once per name and remembers it: exec would
// otherwise search PATH at every attempt. A program found nowhere is left as named (exec then
// fails and the attempt exits 127, as a shell's would).
class ProgramResolver {
 public:
  const std::string& Resolve(const std::string& name);

 private:
  std::unordered_map<std::string, std::string> found_;  // name -> path, or name when absent
};

// The command of an attempt of `task`: `command` expanded with the attempt's paths (argv[0]
// through `programs`), SPOTBATCH_INPUT, _OUTPUT_DIR, _CHECKPOINT_DIR, _KEY, _ATTEMPT,
// _TASK_ID, _DEADLINE (Unix seconds of `deadline_unix_millis`, when the attempt times out) and
// _DEADLINE_FILE in its environment, run in the scratch folder with its output's last
// `capture_tail_bytes` kept.
CommandSpec AttemptCommand(const CommandTemplate& command, const AttemptPaths& paths,
                           const TaskRecord& task, std::string_view config_dir,
                           int64_t deadline_unix_millis, size_t capture_tail_bytes,
                           ProgramResolver& programs);

}  // namespace spotbatch
