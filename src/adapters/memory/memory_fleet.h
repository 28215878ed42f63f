// An in-memory Fleet and Market: instances are records that start at once, in pools whose
// capacity, price and notices a test (or a scenario) sets. For the fleet manager's tests and
// for the Fleet contract suite; thread-safe.
//
// A spot pool holds at most `capacity` of our instances (counting noticed ones until they
// are reclaimed); an on-demand pool has room for its max_instances. A drained instance ends
// when it holds no task. The instance's own worker would report busy and set its protection;
// here SetBusy does both, as the worker does on EC2.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "spotbatch/clock.h"
#include "spotbatch/fleet.h"
#include "spotbatch/market.h"

namespace spotbatch {

struct MemoryPool {
  FleetPool pool;
  double usd_per_hour = 0;
  double on_demand_usd_per_hour = 0;
  int capacity = 1 << 20;  // spot: our instances it holds now
  int interruption_band = -1;
};

class MemoryFleet final : public Fleet, public Market {
 public:
  // `clock` must outlive the fleet.
  MemoryFleet(Clock& clock, std::vector<MemoryPool> pools);

  // Fleet
  Result<std::vector<FleetPool>> Pools() override;
  Result<std::string> Launch(std::string_view pool) override;
  Status Drain(std::string_view instance) override;
  Status Terminate(std::string_view instance) override;
  Status SetProtection(std::string_view instance, bool protect) override;
  Result<std::vector<FleetInstance>> Describe() override;

  // Market
  Result<std::vector<PoolQuote>> Quotes() override;
  Result<std::vector<PricePoint>> PriceHistory(std::string_view pool, int64_t from_unix_millis,
                                               int64_t to_unix_millis) override;

  // What the provider and the workers do. kNotFound for an unknown pool or instance.
  Status SetCapacity(std::string_view pool, int capacity);
  Status SetPrice(std::string_view pool, double usd_per_hour);
  // The worker takes or finishes a task (and protects itself meanwhile); a drained instance
  // ends once it is idle.
  Status SetBusy(std::string_view instance, bool busy);
  // An interruption notice for `reclaim_at_unix_millis`, or a rebalance recommendation.
  Status Notice(std::string_view instance, int64_t reclaim_at_unix_millis);
  Status RecommendRebalance(std::string_view instance);
  // The provider takes the instance back now.
  Status Reclaim(std::string_view instance);

 private:
  struct Pool {
    MemoryPool config;
    std::vector<PricePoint> prices;  // every price it had, from the fleet's start
  };
  struct Instance {
    FleetInstance view;
    bool reported_end = false;
  };
  Pool* FindPool(std::string_view name);
  Instance* FindLive(std::string_view id);  // null when unknown or terminated
  static Status NoInstance(std::string_view id);
  static Status NoPool(std::string_view name);
  // Runs `change` on the live instance `id` under the lock; kNotFound when there is none.
  template <typename Change>
  Status OnLive(std::string_view id, Change change) {
    std::lock_guard<std::mutex> lock(mu_);
    Instance* in = FindLive(id);
    if (in == nullptr) return NoInstance(id);
    change(*in);
    return Status::Ok();
  }
  int LiveIn(const std::string& pool) const;
  void End(Instance& in, bool reclaimed);

  Clock& clock_;
  std::mutex mu_;
  std::vector<Pool> pools_;
  std::map<std::string, Instance, std::less<>> instances_;
  int64_t next_id_ = 1;
};

}  // namespace spotbatch
