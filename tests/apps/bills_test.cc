#include "apps/bills.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_object_store.h"

namespace spotbatch {
namespace {

nlohmann::json ABill(double job_cost, double idle) {
  return {{"cost_usd", job_cost + idle},
          {"on_demand_cost_usd", 1.0},
          {"idle_cost_usd", idle},
          {"pools",
           {{{"name", "spot-a"},
             {"market", "spot"},
             {"instance_hours", 0.5},
             {"cost_usd", job_cost + idle},
             {"idle_cost_usd", idle},
             {"on_demand_cost_usd", 1.0},
             {"launched", 2},
             {"notices", 1},
             {"reclaims", 1}}}},
          {"job_costs",
           {{{"id", "j1"},
             {"input", "in/a"},
             {"cost_usd", job_cost},
             {"on_demand_cost_usd", 0.5},
             {"attempts", 2},
             {"interruptions", 1},
             {"busy_seconds", 60},
             {"wasted_seconds", 4}}}}};
}

TEST(Bills, RunsAddUpInWholeNanoDollars) {
  MemoryObjectStore store{SystemClock()};
  // 0.1 + 0.2 is not 0.3 in doubles; in nano-dollars it is.
  ASSERT_TRUE(SaveBill(store, "run-1", ABill(0.1, 0.000000001)).ok());
  ASSERT_TRUE(SaveBill(store, "run-2", ABill(0.2, 0.000000002)).ok());
  auto sum = LoadBills(store);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->runs, 2);
  EXPECT_EQ(sum->cost_nano_usd, 300'000'003);
  EXPECT_EQ(sum->idle_nano_usd, 3);
  const JobCost& job = sum->jobs.at("j1");
  EXPECT_EQ(job.cost_nano_usd, 300'000'000);
  EXPECT_EQ(job.cost_nano_usd + sum->idle_nano_usd, sum->cost_nano_usd) << "exactly";
  EXPECT_EQ(job.attempts, 4);
  EXPECT_EQ(sum->pools.at("spot-a").launched, 4);
  const nlohmann::json j = CostJson(*sum);
  EXPECT_EQ(j["runs"], 2);
  EXPECT_EQ(j["jobs"][0]["input"], "in/a");
  EXPECT_DOUBLE_EQ(j["pools"][0]["instance_hours"].get<double>(), 1.0);
}

TEST(Bills, ABillIsReplacedByItsRunsNextOne) {
  MemoryObjectStore store{SystemClock()};
  ASSERT_TRUE(SaveBill(store, "up-1", ABill(0.1, 0)).ok());
  ASSERT_TRUE(SaveBill(store, "up-1", ABill(0.3, 0)).ok());
  auto sum = LoadBills(store);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->runs, 1);
  EXPECT_EQ(sum->cost_nano_usd, 300'000'000);
}

TEST(Bills, AMalformedBillIsRefusedByNameAndAddsNothing) {
  CostSummary sum;
  sum.cost_nano_usd = 5;
  for (const char* bad :
       {R"([])", R"({"cost_usd": "1"})", R"({"cost_usd": -1})", R"({"cost_usd": 1e300})",
        R"({"pools": {}})", R"({"pools": [{"name": "a"}]})",
        R"({"cost_usd": 1, "job_costs": [{"id": "j", "input": "i", "attempts": 1.5}]})"}) {
    const Status s = AddBill(nlohmann::json::parse(bad), &sum);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(sum.cost_nano_usd, 5) << bad << ": nothing added";
    EXPECT_EQ(sum.runs, 0) << bad;
  }
  MemoryObjectStore store{SystemClock()};
  ASSERT_TRUE(store.Put("_spotbatch/bills/run-x.json", "{not json").ok());
  auto loaded = LoadBills(store);
  EXPECT_EQ(loaded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(loaded.status().message().find("_spotbatch/bills/run-x.json"), std::string::npos);
}

TEST(Bills, RunIdsCannotLeaveTheBillsFolder) {
  EXPECT_TRUE(BillKey("run-1764000000000-42").ok());
  for (const char* bad : {"", "../x", "a/b", "a b"}) {
    EXPECT_EQ(BillKey(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(BillKey(std::string(129, 'a')).ok());
}

}  // namespace
}  // namespace spotbatch
