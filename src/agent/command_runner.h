// Runs a user command as an argv vector (never through a shell it did not ask for), in its
// own process group, with stdout and stderr captured or appended to a log file. Commands are
// started through a CommandSupervisor (command_supervisor.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

struct CommandSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::string cwd;
  std::string log_path;  // stdout and stderr go here; stdin is /dev/null
  // When > 0, stdout and stderr go through a pipe instead of log_path, and the last this many
  // bytes are kept in memory (output_tail()): no file to create and delete per command.
  size_t capture_tail_bytes = 0;
};

class CommandSupervisor;

// A command started by a CommandSupervisor (command_supervisor.h), which owns its processes.
class RunningCommand {
 public:
  // Kills the command (and everything it started) when it still runs.
  ~RunningCommand();
  RunningCommand(const RunningCommand&) = delete;
  RunningCommand& operator=(const RunningCommand&) = delete;

  // Waits up to `timeout_millis` of the supervisor's clock for the command to exit, returning
  // early (false) when `wake_fd` (if >= 0) becomes readable. True once the command and every
  // process it started have exited.
  bool Wait(int64_t timeout_millis, int wake_fd);
  // Sends `sig` to the command's whole process group while it runs.
  void Signal(int sig);
  // SIGTERM to the group, up to `grace_millis` for it to exit, then SIGKILL. Returns when the
  // command has exited.
  void Terminate(int64_t grace_millis);

  bool exited() const { return exited_; }
  // Exit status, or -1 when killed by a signal.
  int exit_code() const { return exit_code_; }
  // The signal that killed it, or 0.
  int term_signal() const { return term_signal_; }
  // "exited with status 3", "killed by signal 9 (Killed)".
  std::string Describe() const;
  pid_t pid() const { return pid_; }
  // The captured end of stdout+stderr (CommandSpec::capture_tail_bytes); complete once the
  // command has exited.
  std::string output_tail() const;

 private:
  friend class CommandSupervisor;
  RunningCommand(CommandSupervisor* supervisor, pid_t pid, int output_fd, size_t tail_bytes)
      : supervisor_(supervisor), pid_(pid), output_fd_(output_fd), tail_bytes_(tail_bytes) {}
  // The supervisor reaped the command (`wait_status` as from waitpid) and everything below it.
  void Exited(int wait_status);
  // The supervisor is gone: its commands died with it.
  void Orphaned();
  // Reads whatever the command wrote so far without blocking.
  void DrainOutput();
  CommandSupervisor* supervisor_;  // null once the command has exited
  pid_t pid_;
  int output_fd_;  // read end of the capture pipe, or -1
  size_t tail_bytes_;
  std::string tail_;  // holds at most 2 * tail_bytes_; output_tail() trims
  bool exited_ = false;
  bool orphaned_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

// The first executable file named `name` in the directories of $PATH, or "" if none.
std::string FindProgram(const std::string& name);

}  // namespace spotbatch
