// Finds live processes by what is in their environment: what a test uses to prove that no
// process of a command (background jobs and grandchildren included) is left.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.h"

namespace spotbatch::testing {

// A value no other test or run uses.
inline std::string UniqueMarker() {
  static std::atomic<int> n{0};
  return "probe-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

// Whether `pid` is a live process (a zombie is not).
inline bool Alive(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');  // the command name may hold anything
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

// Calls `visit` with each live process and each "NAME=value" entry of its environment.
inline void ForEachEnvironmentEntry(
    const std::function<void(pid_t pid, std::string_view entry)>& visit) {
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = proc.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (!Alive(pid)) continue;
    const std::string env = ReadFile(proc.path() / "environ");
    for (size_t start = 0; start < env.size();) {
      size_t end = env.find('\0', start);
      if (end == std::string::npos) end = env.size();
      visit(pid, std::string_view(env).substr(start, end - start));
      start = end + 1;
    }
  }
}

// Live processes whose environment holds "NAME=<marker>" for any NAME.
inline std::vector<pid_t> ProcessesWithEnv(const std::string& marker) {
  std::vector<pid_t> found;
  ForEachEnvironmentEntry([&](pid_t pid, std::string_view entry) {
    const size_t eq = entry.find('=');
    if (eq != std::string_view::npos && entry.substr(eq + 1) == marker &&
        (found.empty() || found.back() != pid)) {
      found.push_back(pid);
    }
  });
  return found;
}

}  // namespace spotbatch::testing
