#include "core/cost_ledger.h"

#include <gtest/gtest.h>

#include <random>

namespace spotbatch {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr NanoUsd kDollar = 1'000'000'000;

LedgerPool Pool(const std::string& name, PriceSeries price, double on_demand, bool spot = true) {
  return {name, spot, std::move(price), on_demand};
}

TEST(CostLedgerTest, AnInstanceIsBilledAtLeastAMinuteThenPerMillisecond) {
  CostLedger ledger({Pool("a", PriceSeries::Constant(3.6), 3.6)});
  ASSERT_TRUE(ledger.Launch("i-short", 0, 0).ok());
  ASSERT_TRUE(ledger.End("i-short", 10'000, false).ok());
  ASSERT_TRUE(ledger.Launch("i-long", 0, 0).ok());
  ASSERT_TRUE(ledger.End("i-long", 90'500, false).ok());
  const Bill bill = ledger.BillAt(1'000'000);
  // $3.6/h is $0.001/s: 60 s for the short one, 90.5 s for the long one.
  EXPECT_EQ(bill.total, 60 * kDollar / 1000 + 90'500 * kDollar / 1'000'000);
  EXPECT_EQ(bill.idle, bill.total) << "no attempt ran";
  EXPECT_EQ(bill.pools[0].billed_millis, 60'000 + 90'500);
  EXPECT_EQ(bill.pools[0].launches, 2);
}

TEST(CostLedgerTest, APriceSeriesIsIntegratedNotAveraged) {
  PriceSeries series{kHour, {1.0, 5.0}};
  CostLedger ledger({Pool("a", series, 10)});
  ASSERT_TRUE(ledger.Launch("i", 0, 0).ok());
  ASSERT_TRUE(ledger.End("i", kHour * 3 / 2, false).ok());
  // One hour at $1, half an hour at $5 (the series' mean would say 1.5 h at $3: $4.5).
  EXPECT_EQ(ledger.BillAt(2 * kHour).total, 3 * kDollar + kDollar / 2);
  EXPECT_EQ(PriceIntegral(series, kHour / 2, kHour * 5 / 2),
            kDollar / 2 + 5 * kDollar + kDollar / 2)
      << "past its end the series repeats";
}

TEST(CostLedgerTest, PriceChangesAsAMarketReportsThemReplaceTheSeries) {
  CostLedger ledger({Pool("a", PriceSeries::Constant(1.0), 10)});
  ASSERT_TRUE(ledger.SetPrice(0, kHour, 2.0).ok());
  ASSERT_TRUE(ledger.SetPrice(0, kHour * 3 / 2, 4.0).ok());
  EXPECT_EQ(ledger.SetPrice(0, kHour, 9.0).code(), StatusCode::kInvalidArgument) << "the past";
  EXPECT_EQ(ledger.SetPrice(3, kHour * 2, 9.0).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ledger.Launch("i", 0, kHour / 2).ok());
  ASSERT_TRUE(ledger.Use("i", {"j", kHour * 5 / 4, kHour * 7 / 4}).ok());
  ASSERT_TRUE(ledger.End("i", 2 * kHour, false).ok());
  const Bill bill = ledger.BillAt(2 * kHour);
  // Half an hour at $1, half at $2, half at $4.
  EXPECT_EQ(bill.total, kDollar / 2 + kDollar + 2 * kDollar);
  // A quarter hour at $2 and a quarter at $4.
  EXPECT_EQ(bill.jobs.at("j").cost, kDollar / 2 + kDollar);
  EXPECT_EQ(bill.idle + bill.jobs.at("j").cost, bill.total);
}

TEST(CostLedgerTest, AttemptsPayForTheirTimeAndTheRestIsIdle) {
  CostLedger ledger({Pool("spot", PriceSeries::Constant(1.0), 4.0)});
  ASSERT_TRUE(ledger.Launch("i", 0, 0).ok());
  ASSERT_TRUE(ledger.Use("i", {"job-a", kHour / 4, kHour / 2}).ok());
  ASSERT_TRUE(ledger
                  .Use("i", {.job = "job-b",
                             .from_millis = kHour / 2,
                             .to_millis = kHour,
                             .interrupted = true,
                             .wasted = true})
                  .ok());
  ASSERT_TRUE(ledger.End("i", kHour, true).ok());
  const Bill bill = ledger.BillAt(kHour);
  EXPECT_EQ(bill.total, kDollar);
  EXPECT_EQ(bill.jobs.at("job-a").cost, kDollar / 4);
  EXPECT_EQ(bill.jobs.at("job-a").on_demand_cost, kDollar) << "a quarter hour at $4";
  EXPECT_EQ(bill.jobs.at("job-b").cost, kDollar / 2);
  EXPECT_EQ(bill.jobs.at("job-b").interruptions, 1);
  EXPECT_EQ(bill.jobs.at("job-b").wasted_millis, kHour / 2);
  EXPECT_EQ(bill.idle, kDollar / 4);
  EXPECT_EQ(bill.on_demand_cost, 3 * kDollar);
  EXPECT_EQ(bill.pools[0].reclaims, 1);
}

TEST(CostLedgerTest, ARunningInstanceIsBilledUpToNow) {
  CostLedger ledger({Pool("a", PriceSeries::Constant(3.6), 3.6)});
  ASSERT_TRUE(ledger.Launch("i", 0, 1'000).ok());
  EXPECT_EQ(ledger.BillAt(2'000).total, 60 * kDollar / 1000) << "the minimum, from the start";
  EXPECT_EQ(ledger.BillAt(121'000).total, 120 * kDollar / 1000);
}

TEST(CostLedgerTest, AttemptsAreClampedToTheBilledLife) {
  CostLedger ledger({Pool("a", PriceSeries::Constant(3.6), 3.6)});
  ASSERT_TRUE(ledger.Launch("i", 0, 10'000).ok());
  ASSERT_TRUE(ledger.Use("i", {"j", 0, 200'000}).ok());  // began before, ended after
  ASSERT_TRUE(ledger.End("i", 100'000, false).ok());
  const Bill bill = ledger.BillAt(500'000);
  EXPECT_EQ(bill.jobs.at("j").busy_millis, 90'000);
  EXPECT_EQ(bill.idle, 0);
  EXPECT_EQ(bill.total, 90 * kDollar / 1000);
}

TEST(CostLedgerTest, RefusesWhatCannotHaveHappened) {
  CostLedger ledger({Pool("a", PriceSeries::Constant(1), 1)});
  EXPECT_EQ(ledger.Launch("i", 1, 0).code(), StatusCode::kInvalidArgument) << "no pool 1";
  ASSERT_TRUE(ledger.Launch("i", 0, 0).ok());
  EXPECT_EQ(ledger.Launch("i", 0, 5).code(), StatusCode::kInvalidArgument) << "twice";
  EXPECT_EQ(ledger.Use("other", {"j", 0, 1}).code(), StatusCode::kNotFound);
  EXPECT_EQ(ledger.Use("i", {"j", 10, 5}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ledger.Use("i", {"j", 100, 200}).ok());
  EXPECT_EQ(ledger.Use("i", {"k", 150, 250}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger.Use("i", {"k", 50, 101}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ledger.Use("i", {"k", 200, 300}).ok()) << "touching is not overlapping";
  EXPECT_TRUE(ledger.Use("i", {"k", 0, 100}).ok()) << "recorded out of order";
  ASSERT_TRUE(ledger.End("i", 400, false).ok());
  EXPECT_EQ(ledger.End("i", 500, false).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger.End("nope", 500, false).code(), StatusCode::kNotFound);
}

// Random fleets on prices that do not divide evenly: the jobs and idle time add up to the
// total, to the nano-dollar, and the total is the exact integral within a rounding per piece.
TEST(CostLedgerTest, JobsAndIdleAddUpToTheTotalExactly) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<LedgerPool> pools;
    for (int p = 0; p < 4; ++p) {
      PriceSeries series;
      series.gap_millis = std::uniform_int_distribution<int64_t>(1'000, 600'000)(rng);
      for (int i = 0; i < 7; ++i) {
        series.usd_per_hour.push_back(std::uniform_real_distribution<double>(0.01, 3)(rng));
      }
      pools.push_back(Pool("p" + std::to_string(p), series, 3.3333333));
    }
    CostLedger ledger(pools);
    double exact_usd = 0;
    int pieces = 0;
    const int64_t now = 3 * kHour;
    for (int i = 0; i < 40; ++i) {
      const std::string id = "i" + std::to_string(i);
      const size_t pool = rng() % pools.size();
      const int64_t launched = std::uniform_int_distribution<int64_t>(0, 2 * kHour)(rng);
      ASSERT_TRUE(ledger.Launch(id, pool, launched).ok());
      int64_t t = launched;
      for (int a = 0; a < 5; ++a) {
        const int64_t from = t + std::uniform_int_distribution<int64_t>(0, 300'000)(rng);
        const int64_t to = from + std::uniform_int_distribution<int64_t>(0, 900'000)(rng);
        ASSERT_TRUE(ledger.Use(id, {"job" + std::to_string(rng() % 9), from, to}).ok());
        t = to;
      }
      int64_t end = now;
      if (rng() % 3 != 0) {
        end = std::min(now, t + std::uniform_int_distribution<int64_t>(-600'000, 600'000)(rng));
        end = std::max(end, launched);
        ASSERT_TRUE(ledger.End(id, end, rng() % 2 == 0).ok());
      }
      const int64_t billed = std::max(end, launched + 60'000);
      const PriceSeries& price = pools[pool].price;
      for (int64_t x = launched; x < billed;) {
        const int64_t next = std::min(billed, (x / price.gap_millis + 1) * price.gap_millis);
        exact_usd += price.At(x) * static_cast<double>(next - x) / kHour;
        x = next;
        ++pieces;
      }
      pieces += 2 * 5 + 1;  // attempt boundaries cut pieces too
    }
    const Bill bill = ledger.BillAt(now);
    NanoUsd jobs = 0;
    for (const auto& [name, job] : bill.jobs) jobs += job.cost;
    EXPECT_EQ(jobs + bill.idle, bill.total) << "round " << round;
    NanoUsd by_pool = 0;
    for (const PoolBill& p : bill.pools) by_pool += p.cost;
    EXPECT_EQ(by_pool, bill.total);
    EXPECT_NEAR(ToUsd(bill.total), exact_usd, pieces * 1e-9);
  }
}

}  // namespace
}  // namespace spotbatch
