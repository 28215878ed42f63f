#include "adapters/local/worker_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "spotbatch/clock.h"

namespace spotbatch {
namespace {

int64_t MonotonicMillis() { return SystemClock().MonotonicNanos() / 1'000'000; }

}  // namespace

Result<pid_t> SpawnWorker(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("a worker needs a command");
  std::vector<std::string> args = argv;  // execv wants char*, the copy keeps argv const
  std::vector<char*> ptrs;
  for (std::string& a : args) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Internal(std::string("fork worker: ") + std::strerror(errno));
  if (pid == 0) {
    // A worker must not outlive its control plane: SIGTERM makes it hand its task back.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(0);
    ::execv(ptrs[0], ptrs.data());
    std::perror("exec worker");
    ::_exit(127);
  }
  return pid;
}

std::optional<int> ReapIfEnded(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) return status;
  if (r < 0) return 0;  // not our child any more (reaped elsewhere): ended
  return std::nullopt;
}

std::vector<int> StopWorkers(const std::vector<pid_t>& pids, int64_t grace_millis) {
  std::vector<std::optional<int>> statuses(pids.size());
  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  const int64_t deadline = MonotonicMillis() + grace_millis;
  bool killed = false;
  while (true) {
    bool all = true;
    for (size_t i = 0; i < pids.size(); ++i) {
      if (!statuses[i]) statuses[i] = ReapIfEnded(pids[i]);
      all = all && statuses[i].has_value();
    }
    if (all) break;
    if (!killed && MonotonicMillis() >= deadline) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (!statuses[i]) ::kill(pids[i], SIGKILL);
      }
      killed = true;
    }
    ::usleep(2 * 1000);  // workers stop within milliseconds
  }
  std::vector<int> out;
  for (const auto& s : statuses) out.push_back(*s);
  return out;
}

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with " + std::to_string(WEXITSTATUS(status));
}

}  // namespace spotbatch
