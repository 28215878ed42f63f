// `run` and `up` on [[fleet.pool]] entries: the local fleet (adapters/local/local_fleet.h)
// driven by the fleet manager (agent/fleet_manager.h) with the autoscale policy
// (core/backlog_scaling.h), on the fleet's trace clock. Nothing is launched until there is
// work; the policy scales on the backlog, replaces noticed instances before their reclaim and
// scales in idle ones after their grace. The bill is the manager's ledger, with every attempt
// that ran on an instance apportioned to its job.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/local/local_fleet.h"
#include "agent/fleet_manager.h"
#include "agent/queue_work_source.h"
#include "apps/svg_charts.h"
#include "apps/worker_fleet.h"
#include "core/fleet_policy.h"

namespace spotbatch {

// The local fleet's options for `config`'s pools: prices (a series where one is given, in
// trace time), capacity traces, worker command lines for `self_exe`.
LocalFleetOptions LocalFleetOptionsFor(const Config& config, const std::string& self_exe);

class ManagedFleet final : public WorkerFleet {
 public:
  // How often the manager decides, in real milliseconds (the fleet is polled on every Tick).
  static constexpr int64_t kDecideEveryMillis = 200;

  // `real`: the clock the workers live by; the fleet's trace clock runs on it.
  ManagedFleet(const Config& config, const std::string& self_exe, StateStore& state,
               TaskQueue& queue, Clock& real);
  ~ManagedFleet() override;

  int Tick() override;
  void StopAll(int64_t grace_millis) override;
  nlohmann::json Bill(StateStore& state, const std::set<std::string>* jobs) override;
  nlohmann::json Decisions() override;
  std::string Summary() override;
  nlohmann::json FleetStatus() override;
  std::string TimelineSvg(const std::string& title) override;

 private:
  const Config& config_;
  Clock& real_;
  LocalFleet fleet_;
  std::unique_ptr<FleetPolicy> policy_;
  QueueWorkSource work_;
  std::unique_ptr<FleetManager> manager_;
  bool started_ = false;
  int64_t start_trace_millis_ = 0;
  int64_t next_decision_millis_ = 0;  // real, monotonic
  std::string last_error_;            // the last tick's failure, reported once
  // A sample at every decision that changed something the chart shows (bounded).
  void Record();
  // Per pool: the instances running now, and how many of them have a notice.
  struct PoolCount {
    int instances = 0;
    int noticed = 0;
  };
  std::vector<PoolCount> CountPerPool() const;
  FleetRunChart::Sample SampleNow();
  static constexpr size_t kMaxSamples = 100'000;
  std::vector<FleetRunChart::Sample> samples_;
};

}  // namespace spotbatch
