#include "agent/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace spotbatch {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct ExecPlan {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ExecPlan Prepare(const CommandSpec& spec) {
  ExecPlan plan;
  for (const auto& a : spec.argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
  plan.argv.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : spec.env) overridden = overridden || k == name;
    if (!overridden) plan.env_storage.push_back(entry);
  }
  for (const auto& [k, v] : spec.env) plan.env_storage.push_back(k + "=" + v);
  for (auto& e : plan.env_storage) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  return plan;
}

}  // namespace

Result<std::unique_ptr<RunningCommand>> RunningCommand::Start(const CommandSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("command is empty");
  ExecPlan plan = Prepare(spec);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return Unavailable(std::string("pipe: ") + std::strerror(errno));
  int out_pipe[2] = {-1, -1};
  if (spec.capture_tail_bytes > 0 && ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  // vfork, not fork: the child borrows the worker's memory until exec instead of copying its
  // page tables, which measured 30% of a short task's cost (bench/REPORT.md). The child runs
  // only system calls on data prepared above, and all signals stay blocked until it has reset
  // every handler: a handler running in the child would act on the parent's memory.
  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  const pid_t pid = ::vfork();
  if (pid != 0) ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    for (int fd : {err_pipe[0], err_pipe[1], out_pipe[0], out_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return Unavailable(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: report any failure through err_pipe as (stage, errno) and exit 127.
    auto fail = [&](int stage) {
      int msg[2] = {stage, errno};
      (void)!::write(err_pipe[1], msg, sizeof(msg));
      ::_exit(127);
    };
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    for (int sig = 1; sig < NSIG; ++sig) {
      struct sigaction sa;
      if (::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler != SIG_DFL && sig != SIGKILL &&
          sig != SIGSTOP) {
        sa.sa_handler = SIG_DFL;
        sa.sa_flags = 0;
        ::sigaction(sig, &sa, nullptr);
      }
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0) fail(1);
    if (out_pipe[1] >= 0) {
      if (::dup2(out_pipe[1], 1) < 0 || ::dup2(out_pipe[1], 2) < 0) fail(2);
    } else if (!spec.log_path.empty()) {
      const int log = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log < 0 || ::dup2(log, 1) < 0 || ::dup2(log, 2) < 0) fail(2);
    }
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) fail(3);
    ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
    fail(4);
  }
  ::setpgid(pid, pid);  // also in the parent, so Signal() works even before the child runs
  ::close(err_pipe[1]);
  if (out_pipe[1] >= 0) {
    ::close(out_pipe[1]);
    ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  }
  int msg[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(err_pipe[0], msg, sizeof(msg));
  } while (n < 0 && errno == EINTR);
  ::close(err_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(msg))) {
    if (out_pipe[0] >= 0) ::close(out_pipe[0]);
    int status;
    ::waitpid(pid, &status, 0);
    const std::string reason = std::strerror(msg[1]);
    switch (msg[0]) {
      case 4:
        if (msg[1] == ENOENT) return NotFound("command not found: " + spec.argv[0]);
        return NotFound("cannot execute " + spec.argv[0] + ": " + reason);
      case 3:
        return Internal("cannot enter directory " + spec.cwd + ": " + reason);
      default:
        return Internal("cannot set up the command's input/output: " + reason);
    }
  }
  const int pidfd = PidfdOpen(pid);
  return std::unique_ptr<RunningCommand>(
      new RunningCommand(pid, pidfd, out_pipe[0], spec.capture_tail_bytes));
}

RunningCommand::~RunningCommand() {
  if (!exited_) Terminate(0);
  if (pidfd_ >= 0) ::close(pidfd_);
  if (output_fd_ >= 0) ::close(output_fd_);
}

void RunningCommand::DrainOutput() {
  char buf[16 * 1024];
  while (output_fd_ >= 0) {
    const ssize_t n = ::read(output_fd_, buf, sizeof(buf));
    if (n > 0) {
      tail_.append(buf, static_cast<size_t>(n));
      if (tail_.size() > 2 * tail_bytes_) tail_.erase(0, tail_.size() - tail_bytes_);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {  // every writer is gone
      ::close(output_fd_);
      output_fd_ = -1;
    }
    return;  // EAGAIN: nothing more for now
  }
}

std::string RunningCommand::output_tail() const {
  return tail_.size() > tail_bytes_ ? tail_.substr(tail_.size() - tail_bytes_) : tail_;
}

bool RunningCommand::Reap() {
  if (exited_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  exited_ = true;
  if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    term_signal_ = WTERMSIG(status);
  }
  // Whatever the command left running in its group goes with it.
  ::kill(-pid_, SIGKILL);
  DrainOutput();
  return true;
}

bool RunningCommand::Wait(int64_t timeout_millis, int wake_fd) {
  if (Reap()) return true;
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(std::max<int64_t>(0, std::min<int64_t>(timeout_millis, 1 << 30)));
  while (true) {
    struct pollfd fds[3];
    nfds_t nfds = 0;
    // Without a pidfd (old kernel) the child is polled in small steps instead.
    if (pidfd_ >= 0) fds[nfds++] = {pidfd_, POLLIN, 0};
    const nfds_t output_at = nfds;
    if (output_fd_ >= 0) fds[nfds++] = {output_fd_, POLLIN, 0};
    const nfds_t wake_at = nfds;
    if (wake_fd >= 0) fds[nfds++] = {wake_fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    int timeout = static_cast<int>(std::max<int64_t>(0, left));
    if (pidfd_ < 0) timeout = std::min(timeout, 10);
    const int ready = ::poll(fds, nfds, timeout);
    if (Reap()) return true;
    if (ready > 0 && output_fd_ >= 0 && fds[output_at].revents != 0) DrainOutput();
    if (ready > 0 && wake_fd >= 0 && fds[wake_at].revents != 0) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

void RunningCommand::Signal(int sig) {
  if (!exited_) ::kill(-pid_, sig);
}

void RunningCommand::Terminate(int64_t grace_millis) {
  if (Reap()) return;
  if (grace_millis > 0) {
    Signal(SIGTERM);
    if (Wait(grace_millis, -1)) return;
  }
  Signal(SIGKILL);
  while (!Wait(100, -1)) {
  }
}

std::string RunningCommand::Describe() const {
  if (!exited_) return "still running";
  if (term_signal_ != 0) {
    return "killed by signal " + std::to_string(term_signal_) + " (" + strsignal(term_signal_) +
           ")";
  }
  return "exited with status " + std::to_string(exit_code_);
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

}  // namespace spotbatch
