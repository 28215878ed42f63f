// The embedded Fleet: local worker processes as "instances" in spot and on-demand pools.
//
// Without [[fleet.pool]] it is `fleet.workers` plain workers, restarted when they die. With
// pools, each instance is a worker process with its own local instance-metadata server. A
// spot pool runs as many instances as its capacity trace (replayed at [fleet.market]
// time_scale) allows; when capacity drops below what runs, the newest instances get an
// interruption notice through their metadata server and are killed notice_seconds (trace
// time) later; when capacity returns, instances are launched again. On-demand pools always
// have room. Every instance-second is billed at its pool's price, in trace time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/local/local_imds_server.h"
#include "apps/config.h"
#include "spotbatch/clock.h"

namespace spotbatch {

struct PoolTotals {
  std::string name;
  bool spot = false;
  double instance_hours = 0;  // trace time
  double cost_usd = 0;
  double on_demand_cost_usd = 0;  // the same hours at the on-demand price
  int launched = 0;
  int notices = 0;   // interruption notices sent
  int reclaims = 0;  // instances killed at their reclaim time (not gone by then)
};

class LocalFleet {
 public:
  // `plain_workers`: how many plain workers to run when the config has no pools (`run` needs
  // no more than it has jobs).
  LocalFleet(const Config& config, std::string self_exe, Clock& clock, int plain_workers);
  ~LocalFleet();
  LocalFleet(const LocalFleet&) = delete;
  LocalFleet& operator=(const LocalFleet&) = delete;

  // Launches, notices, reclaims, reaps and bills; call every few tens of milliseconds.
  // `launch`: whether there is work for new instances. Returns workers restarted after dying.
  int Tick(bool launch);
  // SIGTERM to every instance (each hands its task back), SIGKILL after `grace_millis`.
  void StopAll(int64_t grace_millis);
  std::vector<PoolTotals> Totals() const;
  int running() const { return static_cast<int>(instances_.size()); }

 private:
  struct Instance {
    int pool = 0;
    int slot = 0;
    std::string id;
    std::unique_ptr<LocalImdsServer> imds;  // null for plain workers
    int64_t started_millis = 0;             // monotonic
    int64_t billed_millis = 0;              // billed up to here (monotonic)
    bool noticed = false;
    int64_t reclaim_at_millis = 0;  // monotonic, once noticed
  };
  struct Pool {
    PoolConfig config;
    PoolTotals totals;
    std::map<int, int64_t> restart_at;  // slot -> not before (a worker that keeps dying)
    std::map<int, int> quick_deaths;    // slot -> deaths in a row soon after start
  };

  void Launch(int pool, int slot, int64_t now);
  void Bill(Instance& instance, int64_t now);
  void Reap(int64_t now, int* restarted);
  int64_t NowMillis() const { return clock_.MonotonicNanos() / 1'000'000; }
  // Real milliseconds from notice to reclaim ([fleet.market] notice_seconds, scaled).
  int64_t NoticeRealMillis() const {
    return static_cast<int64_t>(config_.notice_seconds * 1000.0 / config_.time_scale);
  }

  const Config& config_;
  std::string self_exe_;
  Clock& clock_;
  bool plain_;  // no pools: fleet.workers plain workers
  std::vector<Pool> pools_;
  std::map<pid_t, Instance> instances_;
  int64_t started_millis_;
  int generation_ = 0;
};

}  // namespace spotbatch
