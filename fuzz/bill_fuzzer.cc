// The stored-bill reader (apps/bills.h) keeps its promises on any input: a bill it refuses
// leaves the sum as it was; one it accepts adds non-negative amounts, and adding it again
// adds exactly as much again.
#include <nlohmann/json.hpp>

#include "apps/bills.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spotbatch;
  if (size > 256 * 1024) return -1;
  const nlohmann::json bill =
      nlohmann::json::parse(fuzz::AsText(data, size), nullptr, /*allow_exceptions=*/false);
  if (bill.is_discarded()) return 0;
  CostSummary sum;
  sum.cost_nano_usd = 7;
  const Status added = AddBill(bill, &sum);
  if (!added.ok()) {
    FUZZ_CHECK(added.code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(sum.runs == 0 && sum.cost_nano_usd == 7 && sum.pools.empty() && sum.jobs.empty());
    return 0;
  }
  FUZZ_CHECK(sum.runs == 1 && sum.cost_nano_usd >= 7 && sum.idle_nano_usd >= 0);
  const CostSummary once = sum;
  FUZZ_CHECK(AddBill(bill, &sum).ok());
  FUZZ_CHECK(sum.cost_nano_usd - 7 == 2 * (once.cost_nano_usd - 7));
  for (const auto& [id, job] : sum.jobs) {
    FUZZ_CHECK(job.cost_nano_usd == 2 * once.jobs.at(id).cost_nano_usd);
    FUZZ_CHECK(job.cost_nano_usd >= 0 && job.attempts >= 0);
  }
  (void)CostJson(sum).dump();
  return 0;
}
