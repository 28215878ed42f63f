// Plain local workers: `fleet.workers` worker processes on this machine, restarted when they
// die (at once, unless they keep dying right after they start). No pools, no bill.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "apps/worker_fleet.h"
#include "spotbatch/clock.h"

namespace spotbatch {

class PlainWorkers final : public WorkerFleet {
 public:
  PlainWorkers(const Config& config, std::string self_exe, Clock& clock, int workers);
  ~PlainWorkers() override;
  PlainWorkers(const PlainWorkers&) = delete;
  PlainWorkers& operator=(const PlainWorkers&) = delete;

  int Tick() override;
  void StopAll(int64_t grace_millis) override;
  nlohmann::json Bill(StateStore&, const std::set<std::string>*) override;
  std::string Summary() override { return ""; }
  nlohmann::json FleetStatus() override;

 private:
  struct Slot {
    pid_t pid = -1;  // -1: not running
    std::string id;
    int64_t started_millis = 0;
    int64_t restart_at_millis = 0;
    int quick_deaths = 0;
  };
  void Start(Slot& slot, size_t index, int64_t now);
  int64_t NowMillis() const { return clock_.MonotonicNanos() / 1'000'000; }

  const Config& config_;
  std::string self_exe_;
  Clock& clock_;
  std::vector<Slot> slots_;
  int generation_ = 0;
};

}  // namespace spotbatch
