// Finds live processes by a marker in their environment: what a test uses to prove that no
// process of a command (background jobs and grandchildren included) is left.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace spotbatch::testing {

// A value no other test or run uses.
inline std::string UniqueMarker() {
  static std::atomic<int> n{0};
  return "probe-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

// Processes (zombies excluded) whose environment holds "NAME=<marker>" for any NAME.
inline std::vector<pid_t> ProcessesWithEnv(const std::string& marker) {
  std::vector<pid_t> found;
  const std::string needle = "=" + marker + std::string(1, '\0');
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z') continue;
    std::ifstream env(entry.path() / "environ", std::ios::binary);
    std::stringstream ss;
    ss << env.rdbuf();
    if ((ss.str() + std::string(1, '\0')).find(needle) != std::string::npos) {
      found.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return found;
}

}  // namespace spotbatch::testing
