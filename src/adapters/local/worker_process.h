// Worker processes of the local fleet: started so that they never outlive the process that
// started them, reaped one at a time (never waitpid(-1): the caller may have other children),
// stopped with SIGTERM (the worker hands its task back) and SIGKILL after a grace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

// Starts `argv` (argv[0] a path). The child gets SIGTERM when this process dies. kInternal
// when fork fails (nothing started); an exec failure shows as exit status 127.
Result<pid_t> SpawnWorker(const std::vector<std::string>& argv);
// The wait status of `pid` once it ended (reaping it); nullopt while it runs.
std::optional<int> ReapIfEnded(pid_t pid);
// SIGTERM to every pid, SIGKILL to those still running after `grace_millis`; returns once
// all are reaped, with their wait statuses in the order given.
std::vector<int> StopWorkers(const std::vector<pid_t>& pids, int64_t grace_millis);
// "exited with 3", "killed by signal 9".
std::string DescribeWaitStatus(int status);

}  // namespace spotbatch
