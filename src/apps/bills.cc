#include "apps/bills.h"

#include <cmath>

namespace spotbatch {
namespace {

constexpr std::string_view kBillsPrefix = "_spotbatch/bills/";
constexpr uint64_t kMaxBillBytes = 64 << 20;

using Json = nlohmann::json;

// Reads `j[key]` as a number into *out (absent: 0). A bill's amounts are at most what a
// fleet can spend; anything not finite or negative is refused.
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
Status Nano(const Json& j, const char* where, const char* key, int64_t* out) {
  double usd = 0;
  SB_RETURN_IF_ERROR(Number(j, where, key, &usd));
  *out = std::llround(usd * 1e9);  // amounts were whole nano-dollars when written
  return Status::Ok();
}
Status Count(const Json& j, const char* where, const char* key, int* out) {
  double n = 0;
  SB_RETURN_IF_ERROR(Number(j, where, key, &n));
  if (n > 1e9 || n != std::floor(n)) {
    return InvalidArgument(std::string(where) + "." + key + ": must be a whole number");
  }
  *out = static_cast<int>(n);
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

double Usd(int64_t nano) { return static_cast<double>(nano) / 1e9; }

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
  int64_t cost = 0, on_demand = 0, idle = 0;
  SB_RETURN_IF_ERROR(Nano(bill, "bill", "cost_usd", &cost));
  SB_RETURN_IF_ERROR(Nano(bill, "bill", "on_demand_cost_usd", &on_demand));
  SB_RETURN_IF_ERROR(Nano(bill, "bill", "idle_cost_usd", &idle));
  next.cost_nano_usd += cost;
  next.on_demand_cost_nano_usd += on_demand;
  next.idle_nano_usd += idle;
  ++next.runs;
  const Json* pools = nullptr;
  SB_RETURN_IF_ERROR(Array(bill, "pools", &pools));
  for (const Json& p : *pools) {
    if (!p.is_object()) return InvalidArgument("pools[]: must be objects");
    std::string name, market;
    SB_RETURN_IF_ERROR(Text(p, "pools[]", "name", &name));
    SB_RETURN_IF_ERROR(Text(p, "pools[]", "market", &market));
    PoolCost& pc = next.pools[name];
    pc.market = market;
    int64_t n = 0;
    SB_RETURN_IF_ERROR(Nano(p, "pools[]", "cost_usd", &n));
    pc.cost_nano_usd += n;
    SB_RETURN_IF_ERROR(Nano(p, "pools[]", "idle_cost_usd", &n));
    pc.idle_nano_usd += n;
    SB_RETURN_IF_ERROR(Nano(p, "pools[]", "on_demand_cost_usd", &n));
    pc.on_demand_cost_nano_usd += n;
    double hours = 0;
    SB_RETURN_IF_ERROR(Number(p, "pools[]", "instance_hours", &hours));
    pc.instance_hours += hours;
    int c = 0;
    SB_RETURN_IF_ERROR(Count(p, "pools[]", "launched", &c));
    pc.launched += c;
    SB_RETURN_IF_ERROR(Count(p, "pools[]", "notices", &c));
    pc.notices += c;
    SB_RETURN_IF_ERROR(Count(p, "pools[]", "reclaims", &c));
    pc.reclaims += c;
  }
  const Json* jobs = nullptr;
  SB_RETURN_IF_ERROR(Array(bill, "job_costs", &jobs));
  for (const Json& j : *jobs) {
    if (!j.is_object()) return InvalidArgument("job_costs[]: must be objects");
    std::string id, input;
    SB_RETURN_IF_ERROR(Text(j, "job_costs[]", "id", &id));
    SB_RETURN_IF_ERROR(Text(j, "job_costs[]", "input", &input));
    JobCost& jc = next.jobs[id];
    jc.input = input;
    int64_t n = 0;
    SB_RETURN_IF_ERROR(Nano(j, "job_costs[]", "cost_usd", &n));
    jc.cost_nano_usd += n;
    SB_RETURN_IF_ERROR(Nano(j, "job_costs[]", "on_demand_cost_usd", &n));
    jc.on_demand_cost_nano_usd += n;
    int c = 0;
    SB_RETURN_IF_ERROR(Count(j, "job_costs[]", "attempts", &c));
    jc.attempts += c;
    SB_RETURN_IF_ERROR(Count(j, "job_costs[]", "interruptions", &c));
    jc.interruptions += c;
    double s = 0;
    SB_RETURN_IF_ERROR(Number(j, "job_costs[]", "busy_seconds", &s));
    jc.busy_seconds += s;
    SB_RETURN_IF_ERROR(Number(j, "job_costs[]", "wasted_seconds", &s));
    jc.wasted_seconds += s;
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
                     {"cost_usd", Usd(p.cost_nano_usd)},
                     {"idle_cost_usd", Usd(p.idle_nano_usd)},
                     {"on_demand_cost_usd", Usd(p.on_demand_cost_nano_usd)},
                     {"launched", p.launched},
                     {"notices", p.notices},
                     {"reclaims", p.reclaims}});
  }
  Json jobs = Json::array();
  for (const auto& [id, j] : sum.jobs) {
    jobs.push_back({{"id", id},
                    {"input", j.input},
                    {"cost_usd", Usd(j.cost_nano_usd)},
                    {"on_demand_cost_usd", Usd(j.on_demand_cost_nano_usd)},
                    {"attempts", j.attempts},
                    {"interruptions", j.interruptions},
                    {"busy_seconds", j.busy_seconds},
                    {"wasted_seconds", j.wasted_seconds}});
  }
  return {{"runs", sum.runs},
          {"cost_usd", Usd(sum.cost_nano_usd)},
          {"on_demand_cost_usd", Usd(sum.on_demand_cost_nano_usd)},
          {"idle_cost_usd", Usd(sum.idle_nano_usd)},
          {"pools", pools},
          {"jobs", jobs}};
}

}  // namespace spotbatch
