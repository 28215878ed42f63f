// The embedded Fleet and Market: local worker processes as instances in spot and on-demand
// pools whose capacity follows a trace.
//
// Each instance is a worker process with its own local instance-metadata server
// (LocalImdsServer), through which it learns of notices and sets its scale-in protection.
// The provider's part is played here, whenever the fleet is polled (Poll(), and every call of
// the ports): when a spot pool's trace drops below the instances running there without a
// notice, the newest of them get an interruption notice and are killed (SIGKILL) at their
// reclaim time, notice_seconds of trace time later, whether or not they are done; a launch
// into a pool at its trace's capacity finds none (kResourceExhausted).
//
// Times are of the trace clock (clock()): it starts at the real clock's reading and runs
// `time_scale` times faster, so that prices, billing and the fleet manager's decisions are in
// the trace's time while the worker processes and their metadata run in real time.
//
//   - Launch starts the worker; the instance is kPending until its worker first asks its
//     metadata server anything, then kRunning.
//   - Busy is the worker's own scale-in protection (it protects its instance while it holds a
//     task); SetProtection adds the manager's. Terminate refuses a protected instance.
//   - Drain sets the instance's target lifecycle state to "Terminating:Wait" (its worker
//     finishes its task and exits); a draining instance that holds no task is terminated.
//   - Terminate sends SIGTERM (the worker hands back whatever it just took) and SIGKILL after
//     `stop_grace_millis`; billing stops at once.
//   - A worker that dies on its own is reported terminated (not reclaimed); a pool whose
//     workers keep dying right after they start refuses launches for a while (kUnavailable,
//     RestartDelayMillis), so a broken command line does not fork in a loop.
// Not thread-safe: one driver calls it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/local/local_imds_server.h"
#include "common/scaled_clock.h"
#include "core/capacity_trace.h"
#include "core/market.h"
#include "spotbatch/fleet.h"
#include "spotbatch/market.h"

namespace spotbatch {

struct LocalPoolSpec {
  FleetPool pool;
  PriceSeries price;  // $/h over the trace's time (PriceSeries::Constant for a fixed price)
  double on_demand_usd_per_hour = 0;
  CapacityTrace capacity;           // spot pools; no values: room for max_instances always
  int64_t trace_offset_millis = 0;  // where in the capacity and price traces the fleet starts
  int interruption_band = -1;       // the advisor's, when known (market.h)
};

// What a worker process is told about its instance.
struct LocalInstanceLaunch {
  std::string id;
  const FleetPool* pool = nullptr;
  std::string metadata_url;  // "http://127.0.0.1:PORT"
  int64_t metadata_poll_millis = 0;
};

struct LocalFleetOptions {
  std::vector<LocalPoolSpec> pools;
  double time_scale = 1;                // trace seconds per real second
  double notice_seconds = 120;          // trace seconds from an interruption notice to the reclaim
  int64_t stop_grace_millis = 5000;     // real: SIGTERM to SIGKILL
  int64_t metadata_poll_millis = 5000;  // real: the most a worker may wait between polls
  // The worker's command line (argv[0] a path).
  std::function<std::vector<std::string>(const LocalInstanceLaunch&)> worker_argv;
  // Where instances keep their scratch folders (ROOT/ID); an ended instance's is removed, as
  // a killed worker cannot. Empty: none.
  std::string scratch_root;
  // Instance ids are POOL-TAG-N (N counts launches from 1); a tag that differs between
  // fleets (a process id) keeps them unique across runs. Empty: POOL-N.
  std::string id_tag;
};

// Counts of what the fleet did, per pool.
struct LocalPoolCounts {
  int launched = 0;
  int notices = 0;   // interruption notices sent
  int reclaims = 0;  // instances killed at their reclaim time
  int crashes = 0;   // workers that died on their own
};

class LocalFleet final : public Fleet, public Market {
 public:
  // `real` must outlive the fleet. The pools' names must be unique.
  LocalFleet(LocalFleetOptions options, Clock& real);
  ~LocalFleet() override;  // stops every instance (StopAll with no grace)
  LocalFleet(const LocalFleet&) = delete;
  LocalFleet& operator=(const LocalFleet&) = delete;

  // Fleet (fleet.h).
  Result<std::vector<FleetPool>> Pools() override;
  Result<std::string> Launch(std::string_view pool) override;
  Status Drain(std::string_view instance) override;
  Status Terminate(std::string_view instance) override;
  Status SetProtection(std::string_view instance, bool protect) override;
  Result<std::vector<FleetInstance>> Describe() override;
  // Market (market.h): prices from the pools' series at the trace time; spare = the trace's
  // capacity less the instances without a notice, within max_instances.
  Result<std::vector<PoolQuote>> Quotes() override;
  Result<std::vector<PricePoint>> PriceHistory(std::string_view pool, int64_t from_unix_millis,
                                               int64_t to_unix_millis) override;

  // Plays the provider: reaps workers that ended, sends notices where capacity dropped,
  // reclaims noticed instances at their time. Cheap; call every few tens of milliseconds.
  void Poll();
  // SIGTERM to every instance, SIGKILL after `grace_millis` (real); all end as terminated.
  void StopAll(int64_t grace_millis);

  ScaledClock& clock() { return trace_clock_; }
  // The instances not ended, as Describe shows them, without taking Describe's one report of
  // each end (that is the manager's).
  std::vector<FleetInstance> LiveInstances() const;
  // The metadata server of a running instance ("" for none): what its worker talks to.
  std::string MetadataUrl(std::string_view instance) {
    Instance* in = Find(instance);
    return in != nullptr ? in->imds->endpoint() : "";
  }
  const std::vector<LocalPoolCounts>& counts() const { return counts_; }
  // The instances pool `pool` (an index into Pools()) has room for now.
  int RoomNow(size_t pool) { return CapacityNow(pool, TraceNow()); }
  // The index of pool `name` in Pools(); Pools().size() for none.
  size_t PoolIndex(std::string_view name) const;
  // Instances not yet ended.
  int live() const { return static_cast<int>(instances_.size()); }

 private:
  struct Instance {
    std::string id;
    size_t pool = 0;
    pid_t pid = -1;
    std::unique_ptr<LocalImdsServer> imds;
    FleetInstance view;                 // what Describe reports
    bool manager_protected = false;     // SetProtection
    int64_t reclaim_at_real_nanos = 0;  // once noticed
    int64_t kill_at_real_nanos = 0;     // once terminated: SIGKILL if still running then
    int64_t started_real_nanos = 0;
  };
  struct PoolState {
    int64_t launch_not_before_nanos = 0;  // real; after workers that died right after starting
    int quick_deaths = 0;
  };

  int64_t TraceNow() { return trace_clock_.NowUnixMillis(); }
  int64_t TraceMillisIntoTraces(size_t pool, int64_t trace_unix_millis) const;
  // Instances of the pool that have not ended; of them, those without an interruption notice.
  int InPool(size_t pool, bool without_notice) const;
  int CapacityNow(size_t pool, int64_t trace_now) const;
  Instance* Find(std::string_view id);
  bool IsBusy(const Instance& in) const;
  // The instance ended now: billing stops and Describe reports it once. Its process may still
  // be stopping; it is reaped (and its metadata server goes) in ReapEnded.
  void End(Instance& in, bool reclaimed, int64_t trace_now);
  void StartTermination(Instance& in, int64_t trace_now);
  // A killed worker cannot empty its scratch folder: the fleet does once it is gone.
  void RemoveScratch(const std::string& id) const;
  void ReapEnded(int64_t real_now, int64_t trace_now);
  void SendNotices(int64_t real_now, int64_t trace_now);

  LocalFleetOptions options_;
  Clock& real_;
  ScaledClock trace_clock_;
  const int64_t notice_real_millis_;  // notice_seconds of trace time, in real milliseconds
  std::vector<FleetPool> pools_;
  std::vector<PoolState> pool_state_;
  std::vector<LocalPoolCounts> counts_;
  std::map<std::string, std::unique_ptr<Instance>, std::less<>> instances_;  // not reaped
  std::vector<FleetInstance> ended_unreported_;
  std::set<std::string, std::less<>> ended_ids_;
  int64_t next_id_ = 1;
  int64_t start_trace_unix_millis_;
};

}  // namespace spotbatch
