#include "apps/plain_workers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "adapters/local/worker_process.h"
#include "core/restart_policy.h"

namespace spotbatch {

PlainWorkers::PlainWorkers(const Config& config, std::string self_exe, Clock& clock, int workers)
    : config_(config),
      self_exe_(std::move(self_exe)),
      clock_(clock),
      slots_(static_cast<size_t>(std::max(0, workers))) {}

PlainWorkers::~PlainWorkers() { StopAll(0); }

void PlainWorkers::Start(Slot& slot, size_t index, int64_t now) {
  slot.id = "local-" + std::to_string(::getpid()) + "-" + std::to_string(index) + "-" +
            std::to_string(++generation_);
  auto pid = SpawnWorker({self_exe_, "worker", "-c", config_.file, "--worker-id", slot.id});
  if (!pid.ok()) {
    std::fprintf(stderr, "%s\n", pid.status().ToString().c_str());
    slot.restart_at_millis = now + 1000;
    return;
  }
  slot.pid = *pid;
  slot.started_millis = now;
}

int PlainWorkers::Tick() {
  const int64_t now = NowMillis();
  int restarted = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.pid > 0) {
      const std::optional<int> status = ReapIfEnded(slot.pid);
      if (!status) continue;
      // A killed worker cannot clean its scratch space; its replacement gets a new one.
      std::error_code ec;
      std::filesystem::remove_all(config_.work_dir + "/" + slot.id, ec);
      const pid_t pid = slot.pid;
      slot.pid = -1;
      if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
        slot.restart_at_millis = now;  // it stopped of its own accord: a new one takes over
      } else {
        const int64_t delay = DelayAfterDeath(now - slot.started_millis, &slot.quick_deaths);
        std::fprintf(stderr, "worker %s (pid %d) %s; restarting it%s\n", slot.id.c_str(), pid,
                     DescribeWaitStatus(*status).c_str(),
                     delay > 0 ? (" in " + std::to_string(delay) + " ms").c_str() : "");
        slot.restart_at_millis = now + delay;
        ++restarted;
      }
    }
    if (now >= slot.restart_at_millis) Start(slot, i, now);
  }
  return restarted;
}

void PlainWorkers::StopAll(int64_t grace_millis) {
  std::vector<pid_t> pids;
  for (Slot& slot : slots_) {
    if (slot.pid > 0) pids.push_back(slot.pid);
    slot.pid = -1;
    slot.restart_at_millis = INT64_MAX;  // stopped for good
  }
  (void)StopWorkers(pids, grace_millis);
}

nlohmann::json PlainWorkers::FleetStatus() {
  int running = 0;
  for (const Slot& slot : slots_) running += slot.pid > 0;
  return {{"pools", nlohmann::json::array()},
          {"workers", running},
          {"cost_usd", 0.0},
          {"on_demand_cost_usd", 0.0}};
}

nlohmann::json PlainWorkers::Bill(StateStore&, const std::set<std::string>*) {
  return {{"cost_usd", 0.0},
          {"on_demand_cost_usd", 0.0},
          {"idle_cost_usd", 0.0},
          {"pools", nlohmann::json::array()},
          {"job_costs", nlohmann::json::array()}};
}

}  // namespace spotbatch
