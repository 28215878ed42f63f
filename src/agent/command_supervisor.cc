#include "agent/command_supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

extern char** environ;

namespace spotbatch {
namespace {

// The channel: requests from the worker, replies from the supervisor, over a stream socket
// pair (a stream, not datagrams: a command line and environment may exceed a socket buffer).
enum : uint32_t { kSpawnRequest = 1, kSignalRequest = 2 };
using Reply = CommandSupervisor::Reply;
constexpr int32_t kStarted = Reply::kStarted, kSpawnFailed = Reply::kSpawnFailed,
                  kExited = Reply::kExited;
struct RequestHeader {
  uint32_t type;
  uint32_t length;  // payload bytes after the header
};
// A spawn payload: this, then the working directory, the arguments and the environment as
// NUL-terminated strings. The output descriptor, if any, rides along with the header.
struct SpawnHead {
  uint32_t argc;
  uint32_t envc;
};
constexpr size_t kMaxRequest = size_t{4} << 20;
constexpr size_t kMaxStrings = 256 * 1024;  // argv + envp slots the supervisor maps
// Stages at which starting a command can fail (reported with errno).
enum : int32_t { kStageRequest = 0, kStageIo = 2, kStageCwd = 3, kStageExec = 4, kStageFork = 5 };

// ---- The supervisor process. Only system calls from here to the end of SupervisorMain. ----

bool ReadFully(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteFully(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    const ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Parses a decimal number at *p (advancing it); -1 when there is none.
long ParseNumber(const char** p, const char* end) {
  while (*p < end && (**p < '0' || **p > '9')) ++*p;
  if (*p >= end) return -1;
  long v = 0;
  while (*p < end && **p >= '0' && **p <= '9') v = v * 10 + (*(*p)++ - '0');
  return v;
}

// Formats `v` into `out` (no terminator); returns the length.
int FormatNumber(long v, char* out) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  for (int i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

// Reads a small /proc file into `buf` (at most `cap` bytes); returns the length or -1.
ssize_t ReadProcFile(const char* path, char* buf, size_t cap) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len < cap) {
    const ssize_t r = ::read(fd, buf + len, cap - len);
    if (r <= 0) break;
    len += static_cast<size_t>(r);
  }
  ::close(fd);
  return static_cast<ssize_t>(len);
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// The supervisor's own children, from /proc/self/task/<tid>/children (every child: whatever
// the commands leave behind is re-parented here); without that file, from a scan of /proc for
// processes whose parent is the supervisor. Returns how many it wrote into `pids`.
int ListChildren(pid_t self, pid_t* pids, int cap, char* buf, size_t buf_size) {
  char path[64] = "/proc/self/task/";
  int n = 16;
  n += FormatNumber(self, path + n);
  std::memcpy(path + n, "/children", 10);
  int count = 0;
  const ssize_t len = ReadProcFile(path, buf, buf_size);
  if (len >= 0) {
    const char* p = buf;
    const char* end = buf + len;
    for (long v; count < cap && (v = ParseNumber(&p, end)) > 0;)
      pids[count++] = static_cast<pid_t>(v);
    return count;
  }
  const int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  char entries[8192];
  while (count < cap) {
    const long got = ::syscall(SYS_getdents64, dir, entries, sizeof entries);
    if (got <= 0) break;
    for (long off = 0; off < got && count < cap;) {
      auto* d = reinterpret_cast<linux_dirent64*>(entries + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      const char* name_end = name + std::strlen(name);
      const char* q = name;
      const long pid = ParseNumber(&q, name_end);
      if (pid <= 0 || q != name_end || name[0] < '0' || name[0] > '9') continue;
      char stat_path[64] = "/proc/";
      int m = 6;
      m += FormatNumber(pid, stat_path + m);
      std::memcpy(stat_path + m, "/stat", 6);
      const ssize_t sl = ReadProcFile(stat_path, buf, buf_size);
      if (sl <= 0) continue;
      // "pid (comm) state ppid ...": the command name may hold anything, so find the last ')'.
      const char* close = nullptr;
      for (const char* c = buf; c < buf + sl; ++c) {
        if (*c == ')') close = c;
      }
      if (close == nullptr || close + 4 >= buf + sl) continue;
      const char* r = close + 4;  // past ") S "
      if (ParseNumber(&r, buf + sl) == self) pids[count++] = static_cast<pid_t>(pid);
    }
  }
  ::close(dir);
  return count;
}

struct SupervisorState {
  int channel;
  pid_t self;
  pid_t command = 0;  // the running command's process (and group), 0 when none
  char* request;      // kMaxRequest bytes
  char** strings;     // kMaxStrings slots
  pid_t* pids;        // kMaxStrings slots
  char* scratch;      // kMaxRequest bytes for /proc reads
};

// Kills every process below the supervisor: those re-parented to it show up as its children
// once their parents are gone, so repeat until it has none.
void KillDescendants(SupervisorState& s) {
  while (true) {
    int status;
    pid_t r;
    while ((r = ::waitpid(-1, &status, WNOHANG)) > 0) {
    }
    if (r < 0) return;  // ECHILD: nothing is left
    const int n =
        ListChildren(s.self, s.pids, static_cast<int>(kMaxStrings), s.scratch, kMaxRequest);
    if (n == 0) return;  // cannot see them (no /proc): nothing more can be done
    for (int i = 0; i < n; ++i) ::kill(s.pids[i], SIGKILL);
    ::waitpid(-1, &status, 0);  // one of them has gone; look again
  }
}

[[noreturn]] void KillEverythingAndExit(SupervisorState& s) {
  if (s.command > 0) ::kill(-s.command, SIGKILL);
  KillDescendants(s);
  ::_exit(0);
}

void SendReply(SupervisorState& s, int32_t type, int32_t a, int32_t b) {
  const Reply reply{type, a, b};
  if (!WriteFully(s.channel, &reply, sizeof reply)) KillEverythingAndExit(s);  // worker gone
}

// Reaps what exited; when it is the command, first kills its group (while its zombie still
// holds the group's id, which therefore cannot name anyone else yet), then everything else
// below the supervisor, and only then tells the worker.
void ReapChildren(SupervisorState& s) {
  while (true) {
    siginfo_t info;
    info.si_pid = 0;
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    int status = 0;
    if (info.si_pid == s.command) {
      ::kill(-s.command, SIGKILL);
      ::waitpid(s.command, &status, 0);
      s.command = 0;
      KillDescendants(s);
      SendReply(s, kExited, status, 0);
    } else {
      ::waitpid(info.si_pid, &status, 0);  // a process left behind, re-parented here
    }
  }
}

void Spawn(SupervisorState& s, uint32_t length, int output_fd) {
  auto refuse = [&](int32_t stage, int err) {
    if (output_fd >= 0) ::close(output_fd);
    SendReply(s, kSpawnFailed, stage, err);
  };
  if (s.command > 0) return refuse(kStageRequest, EBUSY);
  if (length < sizeof(SpawnHead)) return refuse(kStageRequest, EINVAL);
  SpawnHead head;
  std::memcpy(&head, s.request, sizeof head);
  if (head.argc == 0 || size_t{head.argc} + head.envc + 3 > kMaxStrings)
    return refuse(kStageRequest, E2BIG);
  // Split the payload into its NUL-terminated strings: cwd, argv..., envp...
  const uint32_t total = 1 + head.argc + head.envc;
  char* p = s.request + sizeof head;
  char* const end = s.request + length;
  char** argv = s.strings;
  char** envp = s.strings + head.argc + 1;
  char* cwd = nullptr;
  for (uint32_t i = 0; i < total; ++i) {
    char* str = p;
    while (p < end && *p != '\0') ++p;
    if (p >= end) return refuse(kStageRequest, EINVAL);
    ++p;
    if (i == 0) {
      cwd = str;
    } else if (i <= head.argc) {
      argv[i - 1] = str;
    } else {
      envp[i - 1 - head.argc] = str;
    }
  }
  argv[head.argc] = nullptr;
  envp[head.envc] = nullptr;

  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return refuse(kStageFork, errno);
  const pid_t supervisor = s.self;
  // vfork: the child borrows this process's memory until exec. Signals stay blocked until it
  // unblocks them right before exec (every disposition is already the default here).
  const pid_t pid = ::vfork();
  if (pid < 0) {
    const int err = errno;
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    return refuse(kStageFork, err);
  }
  if (pid == 0) {
    auto fail = [&](int32_t stage) {
      const int32_t msg[2] = {stage, errno};
      (void)!::write(err_pipe[1], msg, sizeof msg);
      ::_exit(127);
    };
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != supervisor) ::_exit(127);  // the supervisor died before prctl
    if (output_fd >= 0 && (::dup2(output_fd, 1) < 0 || ::dup2(output_fd, 2) < 0)) fail(kStageIo);
    if (cwd[0] != '\0' && ::chdir(cwd) != 0) fail(kStageCwd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvpe(argv[0], argv, envp);
    fail(kStageExec);
  }
  ::setpgid(pid, pid);  // also here, so a signal request finds the group even before exec
  ::close(err_pipe[1]);
  if (output_fd >= 0) ::close(output_fd);
  int32_t msg[2] = {0, 0};
  const bool failed = ReadFully(err_pipe[0], msg, sizeof msg);
  ::close(err_pipe[0]);
  if (failed) {
    int status;
    ::waitpid(pid, &status, 0);
    return SendReply(s, kSpawnFailed, msg[0], msg[1]);
  }
  s.command = pid;
  SendReply(s, kStarted, pid, 0);
}

// Reads and carries out one request; false when the worker's end is closed.
bool HandleRequest(SupervisorState& s) {
  RequestHeader header;
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&header, sizeof header};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = ::recvmsg(s.channel, &msg, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return false;
  int passed_fd = -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(&passed_fd, CMSG_DATA(c), sizeof passed_fd);
    }
  }
  if (static_cast<size_t>(got) < sizeof header &&
      !ReadFully(s.channel, reinterpret_cast<char*>(&header) + got, sizeof header - got)) {
    return false;
  }
  if (header.length > kMaxRequest || !ReadFully(s.channel, s.request, header.length)) {
    return false;  // the worker never sends that: it is gone or broken
  }
  if (header.type == kSpawnRequest) {
    Spawn(s, header.length, passed_fd);
  } else {
    if (passed_fd >= 0) ::close(passed_fd);
    int32_t sig = 0;
    if (header.type == kSignalRequest && header.length == sizeof sig) {
      std::memcpy(&sig, s.request, sizeof sig);
      if (s.command > 0 && sig > 0 && sig < NSIG) ::kill(-s.command, sig);
    }
  }
  return true;
}

[[noreturn]] void SupervisorMain(int channel) {
  // Keep only the channel: an inherited descriptor (a pipe another process reads to its end,
  // the worker's database) must not stay open for as long as the supervisor lives.
  const int ch = ::fcntl(channel, F_DUPFD_CLOEXEC, 10);
  if (ch < 0) ::_exit(1);
  if (::syscall(SYS_close_range, 0u, static_cast<unsigned>(ch - 1), 0u) != 0) {
    for (int fd = 0; fd < ch; ++fd) ::close(fd);
  }
  if (::syscall(SYS_close_range, static_cast<unsigned>(ch + 1), ~0u, 0u) != 0) {
    for (int fd = ch + 1; fd < 65536; ++fd) ::close(fd);
  }
  const int devnull = ::open("/dev/null", O_RDWR);  // becomes 0: every command's stdin
  if (devnull != 0 || ::dup2(0, 1) != 1 || ::dup2(0, 2) != 2) ::_exit(1);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::prctl(PR_SET_NAME, "sb-supervisor");
  // Signals stay blocked here (the worker forked with all of them blocked): a terminal's
  // Ctrl-C or a SIGTERM to the worker's group must not end the supervisor before the worker.
  // Commands start with default dispositions and nothing blocked.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    if (sig != SIGKILL && sig != SIGSTOP && ::sigaction(sig, nullptr, &sa) == 0 &&
        sa.sa_handler != SIG_DFL) {
      sa.sa_handler = SIG_DFL;
      sa.sa_flags = 0;
      ::sigaction(sig, &sa, nullptr);
    }
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  const int sigfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  void* request =
      ::mmap(nullptr, kMaxRequest, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* scratch =
      ::mmap(nullptr, kMaxRequest, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* strings = ::mmap(nullptr, kMaxStrings * sizeof(char*), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* pids = ::mmap(nullptr, kMaxStrings * sizeof(pid_t), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (sigfd < 0 || request == MAP_FAILED || scratch == MAP_FAILED || strings == MAP_FAILED ||
      pids == MAP_FAILED) {
    ::_exit(1);
  }
  SupervisorState s{ch,
                    ::getpid(),
                    0,
                    static_cast<char*>(request),
                    static_cast<char**>(strings),
                    static_cast<pid_t*>(pids),
                    static_cast<char*>(scratch)};
  while (true) {
    struct pollfd fds[2] = {{s.channel, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR cannot happen (all blocked); be safe
    if (fds[1].revents != 0) {
      struct signalfd_siginfo info;
      while (::read(sigfd, &info, sizeof info) > 0) {
      }
      ReapChildren(s);
    }
    if (fds[0].revents != 0 && !HandleRequest(s)) KillEverythingAndExit(s);
  }
}

// ---- The worker's side. ----

// The spawn request for `spec`: the inherited environment less what spec.env overrides, then
// spec.env, written straight into the request (this runs for every task).
std::string Payload(const CommandSpec& spec) {
  std::string out(sizeof(SpawnHead), '\0');
  auto add = [&out](std::string_view s) {
    out.append(s);
    out.push_back('\0');
  };
  add(spec.cwd);
  for (const std::string& a : spec.argv) add(a);
  uint32_t envc = 0;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry = *e;
    const std::string_view name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : spec.env) overridden = overridden || k == name;
    if (overridden) continue;
    add(entry);
    ++envc;
  }
  for (const auto& [k, v] : spec.env) {
    out.append(k).append("=").append(v).push_back('\0');
    ++envc;
  }
  const SpawnHead head{static_cast<uint32_t>(spec.argv.size()), envc};
  std::memcpy(out.data(), &head, sizeof head);
  return out;
}

bool SendRequest(int channel, uint32_t type, const std::string& payload, int pass_fd) {
  RequestHeader header{type, static_cast<uint32_t>(payload.size())};
  struct iovec iov = {&header, sizeof header};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
  }
  ssize_t sent;
  do {
    sent = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return false;
  if (static_cast<size_t>(sent) < sizeof header &&
      !WriteFully(channel, reinterpret_cast<char*>(&header) + sent, sizeof header - sent)) {
    return false;
  }
  return WriteFully(channel, payload.data(), payload.size());
}

}  // namespace

Result<std::unique_ptr<CommandSupervisor>> CommandSupervisor::Launch(Clock& clock) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Unavailable(std::string("socketpair: ") + std::strerror(errno));
  }
  sigset_t all, old_mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_mask);
  const pid_t pid = ::fork();
  if (pid == 0) SupervisorMain(sv[1]);
  const int err = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::close(sv[1]);
  if (pid < 0) {
    ::close(sv[0]);
    return Unavailable(std::string("fork: ") + std::strerror(err));
  }
  return std::unique_ptr<CommandSupervisor>(new CommandSupervisor(pid, sv[0], clock));
}

CommandSupervisor::~CommandSupervisor() {
  if (running_ != nullptr) running_->Orphaned();
  MarkDead();
}

void CommandSupervisor::MarkDead() {
  if (channel_ < 0) return;
  // shutdown, not just close: a process forked from this one may hold a copy of the
  // descriptor, and the supervisor must see the end all the same.
  ::shutdown(channel_, SHUT_RDWR);
  ::close(channel_);  // the supervisor kills what runs below it and exits
  channel_ = -1;
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool CommandSupervisor::ReadReply(Reply* reply) {
  if (channel_ >= 0 && ReadFully(channel_, reply, sizeof(Reply))) {
    return true;
  }
  MarkDead();
  return false;
}

void CommandSupervisor::Signal(int sig) {
  const int32_t s = sig;
  if (channel_ >= 0 && !SendRequest(channel_, kSignalRequest,
                                    std::string(reinterpret_cast<const char*>(&s), sizeof s), -1)) {
    MarkDead();
  }
}

Result<std::unique_ptr<RunningCommand>> CommandSupervisor::Start(const CommandSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("command is empty");
  if (channel_ < 0) return Unavailable("the command supervisor has exited");
  if (running_ != nullptr) return FailedPrecondition("a command is still running");
  const std::string payload = Payload(spec);
  if (payload.size() > kMaxRequest) {
    return InvalidArgument("the command line and environment exceed 4 MiB");
  }
  int out_pipe[2] = {-1, -1};
  int pass_fd = -1;
  if (spec.capture_tail_bytes > 0) {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
      return Unavailable(std::string("pipe: ") + std::strerror(errno));
    pass_fd = out_pipe[1];
  } else if (!spec.log_path.empty()) {
    pass_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (pass_fd < 0) {
      return Internal("cannot open the command's log " + spec.log_path + ": " +
                      std::strerror(errno));
    }
  }
  const bool sent = SendRequest(channel_, kSpawnRequest, payload, pass_fd);
  if (pass_fd >= 0) ::close(pass_fd);  // the supervisor holds its own copy now
  Reply reply;
  if (!sent || !ReadReply(&reply)) {
    if (out_pipe[0] >= 0) ::close(out_pipe[0]);
    MarkDead();
    return Unavailable("the command supervisor has exited");
  }
  if (reply.type == kStarted) {
    if (out_pipe[0] >= 0) ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    auto cmd = std::unique_ptr<RunningCommand>(
        new RunningCommand(this, reply.a, out_pipe[0], spec.capture_tail_bytes));
    running_ = cmd.get();
    return cmd;
  }
  if (out_pipe[0] >= 0) ::close(out_pipe[0]);
  const std::string reason = std::strerror(reply.b);
  switch (reply.a) {
    case kStageExec:
      if (reply.b == ENOENT) return NotFound("command not found: " + spec.argv[0]);
      return NotFound("cannot execute " + spec.argv[0] + ": " + reason);
    case kStageCwd:
      return Internal("cannot enter directory " + spec.cwd + ": " + reason);
    case kStageFork:
      return Unavailable("cannot start a process: " + reason);
    case kStageRequest:
      return Internal("the command supervisor refused the command: " + reason);
    default:
      return Internal("cannot set up the command's input/output: " + reason);
  }
}

}  // namespace spotbatch
