// CommandSupervisor: a small process, forked once per worker, that starts the worker's commands
// and lets no process of theirs outlive them or the worker.
//
// Only a command's direct child can be tied to its parent's death (PR_SET_PDEATHSIG); a
// background job, a grandchild or a daemon that called setsid() escapes the command's process
// group and would keep running after the worker is killed, beside the next attempt of the
// same task. The supervisor is a child subreaper (PR_SET_CHILD_SUBREAPER, no privileges
// needed): whatever a command leaves behind is re-parented to it, so it can always find it.
// It kills every process below it
//   - when the command's own process exits (nothing of an attempt outlives the attempt), and
//   - when the worker goes away: the worker holds the only other end of the supervisor's
//     channel, and the kernel closes it however the worker dies (SIGKILL, OOM, a crash).
// Only a SIGKILL aimed at the supervisor itself defeats it (its command then still dies by
// PDEATHSIG, and the worker sees the supervisor gone).
//
// The supervisor never execs: after fork it runs only system calls on memory it mapped
// itself (the worker may have other threads, so nothing else is safe there).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "agent/command_runner.h"
#include "spotbatch/clock.h"
#include "spotbatch/status.h"

namespace spotbatch {

class CommandSupervisor {
 public:
  // Forks the supervisor. kUnavailable when the system refuses (no processes or descriptors
  // left). `clock` passes the time of every wait on its commands.
  static Result<std::unique_ptr<CommandSupervisor>> Launch(Clock& clock);
  // Closes the channel: the supervisor kills whatever still runs below it and exits; reaped.
  ~CommandSupervisor();
  CommandSupervisor(const CommandSupervisor&) = delete;
  CommandSupervisor& operator=(const CommandSupervisor&) = delete;

  // Starts the command, one at a time: kFailedPrecondition while the last one still runs.
  // kNotFound when argv[0] cannot be found or executed (the message says which),
  // kInvalidArgument for an empty argv or a command line and environment over 4 MiB,
  // kUnavailable when the supervisor is gone (launch a new one) or descriptors ran out.
  Result<std::unique_ptr<RunningCommand>> Start(const CommandSpec& spec);

  pid_t pid() const { return pid_; }
  // False once the supervisor is known to have exited: its commands are dead.
  bool alive() const { return channel_ >= 0; }

  // One message from the supervisor (the channel's wire format).
  struct Reply {
    enum Type : int32_t { kStarted = 1, kSpawnFailed = 2, kExited = 3 };
    int32_t type;
    int32_t a;  // kStarted: pid; kSpawnFailed: stage; kExited: wait status
    int32_t b;  // kSpawnFailed: errno
  };

 private:
  friend class RunningCommand;
  CommandSupervisor(pid_t pid, int channel, Clock& clock)
      : pid_(pid), channel_(channel), clock_(clock) {}
  // Sends `sig` to the running command's process group, if it still runs.
  void Signal(int sig);
  // Reads one reply; false when the channel closed (the supervisor died).
  bool ReadReply(Reply* reply);
  void MarkDead();

  pid_t pid_;
  int channel_;  // our end of the socket pair; -1 once the supervisor is gone
  Clock& clock_;
  RunningCommand* running_ = nullptr;
};

}  // namespace spotbatch
