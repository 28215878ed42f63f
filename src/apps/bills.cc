#include "apps/bills.h"

#include <cmath>

#include "core/cost_ledger.h"

namespace spotbatch {
namespace {

constexpr std::string_view kBillsPrefix = "_spotbatch/bills/";
constexpr uint64_t kMaxBillBytes = 64 << 20;

using Json = nlohmann::json;

// Reads `j[key]` as a number (absent: 0). A bill's amounts are at most what a fleet can
// spend; anything not finite or negative is refused.
Status Number(const Json& j, const char* where, const char* key, double* out) {
  *out = 0;
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0 ||
      it->get<double>() > 1e12) {
    return InvalidArgument(std::string(where) + "." + key + ": must be a number from 0 to 1e12");
  }
  *out = it->get<double>();
  return Status::Ok();
}
// Add `j[key]` to *total: as a number, as dollars in whole nano-dollars (they were whole
// nano-dollars when written), or as a whole count.
Status AddNumber(const Json& j, const char* where, const char* key, double* total) {
  double v = 0;
  SB_RETURN_IF_ERROR(Number(j, where, key, &v));
  *total += v;
  return Status::Ok();
}
Status AddNano(const Json& j, const char* where, const char* key, int64_t* total) {
  double usd = 0;
  SB_RETURN_IF_ERROR(Number(j, where, key, &usd));
  *total += std::llround(usd * 1e9);
  return Status::Ok();
}
Status AddCount(const Json& j, const char* where, const char* key, int* total) {
  double n = 0;
  SB_RETURN_IF_ERROR(Number(j, where, key, &n));
  if (n > 1e9 || n != std::floor(n)) {
    return InvalidArgument(std::string(where) + "." + key + ": must be a whole number");
  }
  *total += static_cast<int>(n);
  return Status::Ok();
}
Status Text(const Json& j, const char* where, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().size() > 4096) {
    return InvalidArgument(std::string(where) + "." + key + ": must be a string");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}
Status Array(const Json& j, const char* key, const Json** out) {
  static const Json kEmpty = Json::array();
  auto it = j.find(key);
  if (it == j.end()) {
    *out = &kEmpty;
    return Status::Ok();
  }
  if (!it->is_array()) return InvalidArgument(std::string(key) + ": must be an array");
  *out = &*it;
  return Status::Ok();
}

}  // namespace

Result<std::string> BillKey(const std::string& run_id) {
  if (run_id.empty() || run_id.size() > 128)
    return InvalidArgument("a run id has 1-128 characters");
  for (char c : run_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return InvalidArgument("a run id has only letters, digits, '.', '_' and '-'");
    }
  }
  return std::string(kBillsPrefix) + run_id + ".json";
}

Status SaveBill(ObjectStore& store, const std::string& run_id, const nlohmann::json& bill) {
  SB_ASSIGN_OR_RETURN(std::string key, BillKey(run_id));
  return store.Put(key, bill.dump()).status();
}

Status AddBill(const Json& bill, CostSummary* sum) {
  if (!bill.is_object()) return InvalidArgument("a bill must be a JSON object");
  CostSummary next = *sum;  // all or nothing
  SB_RETURN_IF_ERROR(AddNano(bill, "bill", "cost_usd", &next.cost_nano_usd));
  SB_RETURN_IF_ERROR(AddNano(bill, "bill", "on_demand_cost_usd", &next.on_demand_cost_nano_usd));
  SB_RETURN_IF_ERROR(AddNano(bill, "bill", "idle_cost_usd", &next.idle_nano_usd));
  ++next.runs;
  const Json* pools = nullptr;
  SB_RETURN_IF_ERROR(Array(bill, "pools", &pools));
  for (const Json& p : *pools) {
    constexpr const char* kWhere = "pools[]";
    if (!p.is_object()) return InvalidArgument("pools[]: must be objects");
    std::string name;
    SB_RETURN_IF_ERROR(Text(p, kWhere, "name", &name));
    PoolCost& pc = next.pools[name];
    SB_RETURN_IF_ERROR(Text(p, kWhere, "market", &pc.market));
    SB_RETURN_IF_ERROR(AddNano(p, kWhere, "cost_usd", &pc.cost_nano_usd));
    SB_RETURN_IF_ERROR(AddNano(p, kWhere, "idle_cost_usd", &pc.idle_nano_usd));
    SB_RETURN_IF_ERROR(AddNano(p, kWhere, "on_demand_cost_usd", &pc.on_demand_cost_nano_usd));
    SB_RETURN_IF_ERROR(AddNumber(p, kWhere, "instance_hours", &pc.instance_hours));
    SB_RETURN_IF_ERROR(AddCount(p, kWhere, "launched", &pc.launched));
    SB_RETURN_IF_ERROR(AddCount(p, kWhere, "notices", &pc.notices));
    SB_RETURN_IF_ERROR(AddCount(p, kWhere, "reclaims", &pc.reclaims));
  }
  const Json* jobs = nullptr;
  SB_RETURN_IF_ERROR(Array(bill, "job_costs", &jobs));
  for (const Json& j : *jobs) {
    constexpr const char* kWhere = "job_costs[]";
    if (!j.is_object()) return InvalidArgument("job_costs[]: must be objects");
    std::string id;
    SB_RETURN_IF_ERROR(Text(j, kWhere, "id", &id));
    JobCost& jc = next.jobs[id];
    SB_RETURN_IF_ERROR(Text(j, kWhere, "input", &jc.input));
    SB_RETURN_IF_ERROR(AddNano(j, kWhere, "cost_usd", &jc.cost_nano_usd));
    SB_RETURN_IF_ERROR(AddNano(j, kWhere, "on_demand_cost_usd", &jc.on_demand_cost_nano_usd));
    SB_RETURN_IF_ERROR(AddCount(j, kWhere, "attempts", &jc.attempts));
    SB_RETURN_IF_ERROR(AddCount(j, kWhere, "interruptions", &jc.interruptions));
    SB_RETURN_IF_ERROR(AddNumber(j, kWhere, "busy_seconds", &jc.busy_seconds));
    SB_RETURN_IF_ERROR(AddNumber(j, kWhere, "wasted_seconds", &jc.wasted_seconds));
  }
  *sum = std::move(next);
  return Status::Ok();
}

Result<CostSummary> LoadBills(ObjectStore& store) {
  SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store.List(kBillsPrefix));
  CostSummary sum;
  for (const ObjectInfo& o : objects) {
    if (o.size > kMaxBillBytes) return DataLoss(o.key + ": a bill larger than 64 MiB");
    SB_ASSIGN_OR_RETURN(std::string text, store.Get(o.key));
    Json bill = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (bill.is_discarded()) return DataLoss(o.key + ": not JSON");
    if (Status s = AddBill(bill, &sum); !s.ok()) return DataLoss(o.key + ": " + s.message());
  }
  return sum;
}

Json CostJson(const CostSummary& sum) {
  Json pools = Json::array();
  for (const auto& [name, p] : sum.pools) {
    pools.push_back({{"name", name},
                     {"market", p.market},
                     {"instance_hours", p.instance_hours},
                     {"cost_usd", ToUsd(p.cost_nano_usd)},
                     {"idle_cost_usd", ToUsd(p.idle_nano_usd)},
                     {"on_demand_cost_usd", ToUsd(p.on_demand_cost_nano_usd)},
                     {"launched", p.launched},
                     {"notices", p.notices},
                     {"reclaims", p.reclaims}});
  }
  Json jobs = Json::array();
  for (const auto& [id, j] : sum.jobs) {
    jobs.push_back({{"id", id},
                    {"input", j.input},
                    {"cost_usd", ToUsd(j.cost_nano_usd)},
                    {"on_demand_cost_usd", ToUsd(j.on_demand_cost_nano_usd)},
                    {"attempts", j.attempts},
                    {"interruptions", j.interruptions},
                    {"busy_seconds", j.busy_seconds},
                    {"wasted_seconds", j.wasted_seconds}});
  }
  return {{"runs", sum.runs},
          {"cost_usd", ToUsd(sum.cost_nano_usd)},
          {"on_demand_cost_usd", ToUsd(sum.on_demand_cost_nano_usd)},
          {"idle_cost_usd", ToUsd(sum.idle_nano_usd)},
          {"pools", pools},
          {"jobs", jobs}};
}

}  // namespace spotbatch
