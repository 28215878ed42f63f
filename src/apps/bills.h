// The bills of past runs: each `run` and `up` stores the bill of its fleet, as it goes and
// when it ends, in the object store under _spotbatch/bills/RUN.json, and `spotbatch cost` and
// `status --json` add them up. Amounts are summed in whole nano-dollars, so the jobs' costs plus
// idle time still equal the total exactly across runs.
//
// A stored bill is read as untrusted input: one that is not an object with numeric amounts
// where they belong is refused with the key named, and nothing is added from it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spotbatch/object_store.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The key of run `run_id`'s bill. kInvalidArgument unless the id is [A-Za-z0-9._-]{1,128}.
Result<std::string> BillKey(const std::string& run_id);
// Stores `bill` (a WorkerFleet::Bill) as run `run_id`'s, replacing an earlier one of the run.
Status SaveBill(ObjectStore& store, const std::string& run_id, const nlohmann::json& bill);

struct JobCost {
  std::string input;
  int64_t cost_nano_usd = 0;
  int64_t on_demand_cost_nano_usd = 0;
  int attempts = 0;
  int interruptions = 0;
  double busy_seconds = 0;
  double wasted_seconds = 0;
};

struct PoolCost {
  std::string market;
  int64_t cost_nano_usd = 0;
  int64_t idle_nano_usd = 0;
  int64_t on_demand_cost_nano_usd = 0;
  double instance_hours = 0;
  int launched = 0, notices = 0, reclaims = 0;
};

struct CostSummary {
  int runs = 0;
  int64_t cost_nano_usd = 0;
  int64_t on_demand_cost_nano_usd = 0;  // the fleets' instance time at on-demand prices
  int64_t idle_nano_usd = 0;
  std::map<std::string, PoolCost> pools;  // by name
  std::map<std::string, JobCost> jobs;    // by id
};

// Adds one stored bill to `sum`. kInvalidArgument naming the field that is wrong (and `sum`
// unchanged) for anything but the shape SaveBill writes.
Status AddBill(const nlohmann::json& bill, CostSummary* sum);
// Every stored bill, added up. kDataLoss naming the key of a bill that cannot be parsed or
// has the wrong shape; the store's status when it cannot list or read. Bills larger than
// 64 MiB are refused.
Result<CostSummary> LoadBills(ObjectStore& store);
// The summary as `spotbatch cost --json` prints it.
nlohmann::json CostJson(const CostSummary& sum);

}  // namespace spotbatch
