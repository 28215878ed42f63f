// Runs the real `spotbatch` binary (path in $SPOTBATCH_BIN) as a child process.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "process_probe.h"
#include "test_util.h"

namespace spotbatch::testing {

inline std::string SpotbatchBin() {
  const char* bin = std::getenv("SPOTBATCH_BIN");
  return bin ? bin : SPOTBATCH_BIN_DEFAULT;
}

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Environment changes for the child: (name, value) sets it; a value of nullopt unsets it.
using CliEnv = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Starts `spotbatch args...` with stdout/stderr going to files in `dir`, in folder `cwd` (when
// given) and with `env` applied to this process's environment; returns its pid.
inline pid_t StartCli(const std::vector<std::string>& args, const std::string& out_path,
                      const std::string& err_path, const std::string& cwd = "",
                      const CliEnv& env = {}) {
  std::vector<std::string> argv = {SpotbatchBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    for (const auto& [name, value] : env) {
      if (value ? ::setenv(name.c_str(), value->c_str(), 1) : ::unsetenv(name.c_str())) {
        ::_exit(126);
      }
    }
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  return pid;
}

inline int WaitExit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs to completion and collects the output.
inline CliResult RunCli(const std::vector<std::string>& args, const std::string& cwd = "",
                        const CliEnv& env = {}) {
  TempDir io;
  const pid_t pid = StartCli(args, io / "out", io / "err", cwd, env);
  CliResult r;
  r.exit_code = WaitExit(pid);
  r.out = ReadFile(io / "out");
  r.err = ReadFile(io / "err");
  return r;
}

// RunCli with a deadline: a command still running after `timeout` gets SIGINT (as from
// Ctrl-C, so it stops its workers), SIGKILL 10 s later, and exit_code -1 with "timed out" in
// err, so a hang fails the test instead of stalling the suite.
inline CliResult RunCliWithin(const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) {
  TempDir io;
  const pid_t pid = StartCli(args, io / "out", io / "err");
  int status = 0;
  auto exited = [&] { return ::waitpid(pid, &status, WNOHANG) == pid; };
  CliResult r;
  if (WaitFor(exited, timeout)) {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    ::kill(pid, SIGINT);
    if (!WaitFor(exited, std::chrono::seconds(10))) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
  r.out = ReadFile(io / "out");
  r.err = ReadFile(io / "err");
  if (r.exit_code == -1) r.err += "\ntimed out after " + std::to_string(timeout.count()) + " ms";
  return r;
}

// Direct children of `parent` (from /proc).
inline std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> kids;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadFile(e.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent &&
        state != 'Z') {
      kids.push_back(std::stoi(name));
    }
  }
  return kids;
}

}  // namespace spotbatch::testing
