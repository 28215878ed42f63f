// The bill of a fleet and who it was for. Instances are billed as EC2 bills Linux instances:
// per second (here per millisecond of billing time), at least `min_billed_millis` per launch,
// at the price of each moment (a spot price series is integrated, not averaged). Every billed
// instance-millisecond goes either to the attempt that ran on the instance then, and so to
// that attempt's job, or to idle time: per-job costs plus idle add up to the total exactly,
// because all amounts are whole nano-dollars and each is summed from the same pieces.
//
// One ledger serves the live fleet and the simulator; it is pure (every time is given).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/market.h"
#include "spotbatch/status.h"

namespace spotbatch {

using NanoUsd = int64_t;  // 1e-9 US dollars
inline double ToUsd(NanoUsd n) { return static_cast<double>(n) / 1e9; }

struct LedgerPool {
  std::string name;
  bool spot = true;
  PriceSeries price;                  // $/h over billing time, until the first change below
  double on_demand_usd_per_hour = 0;  // the same capacity on demand
  // Prices as a market reports them, at irregular times (CostLedger::SetPrice): from each
  // change's time on, its price holds until the next; they replace `price` from the first.
  std::vector<std::pair<int64_t, double>> changes;
};

// What running at `price` costs over [from, to) of billing time, in whole nano-dollars: the
// series' ticks split the interval, each piece rounded to the nearest nano-dollar.
NanoUsd PriceIntegral(const PriceSeries& price, int64_t from_millis, int64_t to_millis);
// The same for a pool, its price changes included.
NanoUsd PriceIntegral(const LedgerPool& pool, int64_t from_millis, int64_t to_millis);

// An attempt's use of an instance.
struct AttemptUse {
  std::string job;
  int64_t from_millis = 0;
  int64_t to_millis = 0;
  bool interrupted = false;  // the provider reclaimed the instance, or noticed it, mid-attempt
  bool wasted = false;       // its work was lost (nothing kept for the next attempt)
};

struct JobBill {
  NanoUsd cost = 0;
  NanoUsd on_demand_cost = 0;  // the same milliseconds at the pools' on-demand prices
  int64_t busy_millis = 0;     // billed milliseconds of its attempts
  int64_t wasted_millis = 0;   // of those, attempts whose work was lost
  int attempts = 0;
  int interruptions = 0;
};

struct PoolBill {
  std::string name;
  bool spot = true;
  NanoUsd cost = 0;
  NanoUsd idle = 0;            // billed while no attempt ran, the minimum billing included
  NanoUsd on_demand_cost = 0;  // the same billed milliseconds on demand
  int64_t billed_millis = 0;
  int launches = 0;
  int reclaims = 0;
};

struct Bill {
  NanoUsd total = 0;
  NanoUsd idle = 0;
  NanoUsd on_demand_cost = 0;  // every job's work on demand, idle time not included
  std::vector<PoolBill> pools;
  std::map<std::string, JobBill> jobs;
};

class CostLedger {
 public:
  explicit CostLedger(std::vector<LedgerPool> pools, int64_t min_billed_millis = 60'000);

  // An instance of pool `pool` (an index into the pools) started billing at `at_millis`.
  // kInvalidArgument for an unknown pool or an id used before.
  Status Launch(std::string_view instance, size_t pool, int64_t at_millis);
  // An attempt ran on `instance`. Clamped to the instance's billed life; kNotFound for an
  // unknown instance, kInvalidArgument when it ends before it starts or overlaps an attempt
  // recorded on the instance before (one worker runs one attempt at a time).
  Status Use(std::string_view instance, AttemptUse use);
  // From `at_millis` on, `pool` costs `usd_per_hour`. kInvalidArgument for an unknown pool or
  // a change before the last one.
  Status SetPrice(size_t pool, int64_t at_millis, double usd_per_hour);
  // The instance stopped billing at `at_millis` (terminated, or `reclaimed` by the provider).
  // kNotFound for an unknown instance, kFailedPrecondition when it ended already.
  Status End(std::string_view instance, int64_t at_millis, bool reclaimed);

  // The bill as of `now_millis`: instances still running are billed up to then (and at least
  // their minimum). Costs linear in the instances and attempts recorded.
  Bill BillAt(int64_t now_millis) const;
  size_t pools() const { return pools_.size(); }
  size_t instances() const { return instances_.size(); }

 private:
  struct Instance {
    size_t pool = 0;
    int64_t launched = 0;
    int64_t ended = -1;  // -1 while running
    bool reclaimed = false;
    std::vector<AttemptUse> uses;  // sorted by from_millis, not overlapping
  };
  std::vector<LedgerPool> pools_;
  int64_t min_billed_millis_;
  std::unordered_map<std::string, Instance> instances_;
};

}  // namespace spotbatch
