#include "agent/command_runner.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent/command_supervisor.h"

namespace spotbatch {

RunningCommand::~RunningCommand() {
  if (!exited_) Terminate(0);
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

void RunningCommand::Exited(int wait_status) {
  exited_ = true;
  if (WIFEXITED(wait_status)) {
    exit_code_ = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    term_signal_ = WTERMSIG(wait_status);
  }
  supervisor_->running_ = nullptr;
  supervisor_ = nullptr;
  DrainOutput();  // every process that could write is gone: this reads to the end
}

void RunningCommand::Orphaned() {
  exited_ = true;
  orphaned_ = true;
  term_signal_ = SIGKILL;  // what PDEATHSIG did to it
  if (supervisor_ != nullptr) supervisor_->running_ = nullptr;
  supervisor_ = nullptr;
  DrainOutput();
}

bool RunningCommand::Wait(int64_t timeout_millis, int wake_fd) {
  if (exited_) return true;
  Clock& clock = supervisor_->clock_;
  const int64_t deadline =
      clock.MonotonicNanos() + std::clamp<int64_t>(timeout_millis, 0, int64_t{1} << 40) * 1'000'000;
  while (true) {
    const int fds[3] = {supervisor_->channel_, output_fd_, wake_fd};
    const int64_t left = (deadline - clock.MonotonicNanos() + 999'999) / 1'000'000;
    const int ready = clock.WaitReadable(fds, 3, std::max<int64_t>(0, left));
    if (ready == 0) {
      CommandSupervisor::Reply reply;
      if (!supervisor_->ReadReply(&reply)) {
        Orphaned();
        return true;
      }
      if (reply.type == CommandSupervisor::Reply::kExited) {
        Exited(reply.a);
        return true;
      }
    } else if (ready == 1) {
      DrainOutput();
    } else if (ready == 2) {
      return false;
    }
    if (clock.MonotonicNanos() >= deadline) return false;
  }
}

void RunningCommand::Signal(int sig) {
  if (!exited_) supervisor_->Signal(sig);
  if (!exited_ && !supervisor_->alive()) Orphaned();
}

void RunningCommand::Terminate(int64_t grace_millis) {
  if (exited_) return;
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
  if (orphaned_) return "killed: its command supervisor exited";
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
