// `spotbatch simulate` end to end: the real binary on hand-made and real traces.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/cli_util.h"

namespace spotbatch {
namespace {

class SimulateTest : public ::testing::Test {
 protected:
  std::string config() const { return dir_ / "sim.toml"; }
  // A spot pool whose hourly trace is `trace` ($0.50/h, $2 on demand) and an on-demand pool.
  void WriteConfig(const std::string& trace, const std::string& simulate) {
    testing::WriteFile(dir_ / "trace.json",
                       "{\"metadata\": {\"gap_seconds\": 3600}, \"data\": " + trace + "}");
    testing::WriteFile(config(), R"([[fleet.pool]]
name = "spot"
instance_type = "x1"
price_per_hour = 0.5
trace = "trace.json"
[[fleet.pool]]
name = "od"
market = "on-demand"
instance_type = "x1"
price_per_hour = 2.0
[fleet.market]
notice_seconds = 0
)" + simulate);
  }
  nlohmann::json Results(const testing::CliResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    nlohmann::json by_policy;
    for (const auto& x : j["results"]) by_policy[x["policy"].get<std::string>()] = x;
    return by_policy;
  }
  testing::TempDir dir_;
};

constexpr const char* kJob = R"([simulate]
runs = 3
[simulate.workload]
job_hours = 10
deadline_hours = 12
changeover_hours = 0.5
)";

TEST_F(SimulateTest, AlwaysAvailableSpotGivesTheKnownCosts) {
  WriteConfig("[1, 1, 1, 1]", kJob);
  auto r = Results(testing::RunCli({"simulate", "-c", config(), "--json"}));
  ASSERT_EQ(r.size(), 5u) << "every policy by default";
  // 0.5 h changeover + 10 h of work.
  EXPECT_NEAR(r["on-demand"]["cost_usd"].get<double>(), 21.0, 1e-6);
  EXPECT_NEAR(r["on-demand"]["cost_vs_on_demand"].get<double>(), 1.05, 1e-6);
  for (const char* p : {"greedy", "uniform-progress", "spotbatch", "omniscient"}) {
    EXPECT_NEAR(r[p]["cost_usd"].get<double>(), 5.25, 1e-6) << p;
    EXPECT_NEAR(r[p]["spot_hours"].get<double>(), 10.5, 1e-6) << p;
    EXPECT_EQ(r[p]["on_demand_hours"].get<double>(), 0) << p;
    EXPECT_EQ(r[p]["deadline_met"].get<double>(), 1) << p;
  }
}

TEST_F(SimulateTest, NeverAvailableSpotWaitsOnlyAsLongAsTheDeadlineAllows) {
  WriteConfig("[0, 0, 0, 0]", kJob);
  auto r = Results(testing::RunCli({"simulate", "-c", config(), "--json"}));
  for (const char* p : {"greedy", "uniform-progress", "spotbatch", "omniscient"}) {
    EXPECT_EQ(r[p]["deadline_met"].get<double>(), 1) << p;
    EXPECT_EQ(r[p]["spot_hours"].get<double>(), 0) << p;
  }
  EXPECT_NEAR(r["greedy"]["cost_usd"].get<double>(), 21.0, 1e-6);
  EXPECT_NEAR(r["omniscient"]["cost_usd"].get<double>(), 21.0, 1e-6);
  // Uniform Progress leaves on-demand once ahead of its line and comes back when behind:
  // one more changeover (0.5 h at $2) on this job.
  EXPECT_NEAR(r["uniform-progress"]["cost_usd"].get<double>(), 22.0, 1e-6);
  // spotbatch's policy never leaves on-demand capacity for nothing.
  EXPECT_NEAR(r["spotbatch"]["cost_usd"].get<double>(), 21.0, 1e-6);
  // Greedy waits until only two changeovers of slack are left (2 h - 1 h), then 10.5 h.
  EXPECT_NEAR(r["greedy"]["finish_hours"].get<double>(), 1.0 + 1.0 / 60 + 10.5, 1e-6);
}

TEST_F(SimulateTest, MarkdownTableWithARowPerPolicy) {
  WriteConfig("[1, 0, 1, 1]", kJob);
  auto r = testing::RunCli({"simulate", "-c", config()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| policy | cost $ | vs on-demand | deadline met |"), std::string::npos);
  for (const char* p :
       {"| on-demand |", "| greedy |", "| uniform-progress |", "| omniscient |", "| spotbatch |"}) {
    EXPECT_NE(r.out.find(p), std::string::npos) << p << "\n" << r.out;
  }
}

TEST_F(SimulateTest, BadConfigsExit2NamingLineAndKey) {
  WriteConfig("[1]", "[simulate]\npolicies = [\"greedy\", \"bogus\"]\n");
  auto r = testing::RunCli({"simulate", "-c", config()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sim.toml:14: simulate.policies: unknown policy \"bogus\""),
            std::string::npos)
      << r.err;
  WriteConfig("[1]", kJob);
  r = testing::RunCli({"run", "-c", config()});
  EXPECT_EQ(r.exit_code, 2) << "a file for simulate alone has no pipeline to run";
  EXPECT_NE(r.err.find("pipeline: missing section [pipeline]"), std::string::npos) << r.err;
  testing::WriteFile(dir_ / "trace.json", "{\"data\": [1]}");
  r = testing::RunCli({"simulate", "-c", config()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sim.toml:5: fleet.pool[0].trace"), std::string::npos) << r.err;
}

TEST_F(SimulateTest, SameSeedSameOutputOnARealTrace) {
  const std::string trace = std::string(SPOTBATCH_DATA_DIR) +
                            "/traces/availability-1node/aws-02-15-2023/us-east-1c_v100_1.json";
  testing::WriteFile(config(), R"([[fleet.pool]]
name = "spot"
instance_type = "p3.2xlarge"
price_per_hour = 0.9731
on_demand_price_per_hour = 3.06
trace = ")" + trace + R"("
[[fleet.pool]]
name = "od"
market = "on-demand"
instance_type = "p3.2xlarge"
price_per_hour = 3.06
[simulate]
runs = 4
seed = 3
)");
  auto a = testing::RunCli({"simulate", "-c", config(), "--json"});
  auto b = testing::RunCli({"simulate", "-c", config(), "--json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  auto r = Results(a);
  const double bound = r["omniscient"]["cost_usd"].get<double>();
  for (const char* p : {"on-demand", "greedy", "uniform-progress", "spotbatch"}) {
    EXPECT_LE(bound, r[p]["cost_usd"].get<double>()) << p;
    EXPECT_EQ(r[p]["deadline_met"].get<double>(), 1) << p;
  }
  EXPECT_LT(r["uniform-progress"]["cost_usd"].get<double>(),
            r["on-demand"]["cost_usd"].get<double>());
}

TEST_F(SimulateTest, BagOfTasksOnAFleet) {
  WriteConfig("[1, 1, 1, 1]", R"([simulate]
runs = 2
[simulate.workload]
kind = "bag-of-tasks"
tasks = 40
task_hours = 0.25
instances = 4
deadline_hours = 5
changeover_hours = 0
)");
  // A pool holds one instance unless max_instances says more: give both pools room for 4.
  std::string text = testing::ReadFile(config());
  for (const std::string price : {"price_per_hour = 0.5\n", "price_per_hour = 2.0\n"}) {
    text.replace(text.find(price), price.size(), price + "max_instances = 4\n");
  }
  testing::WriteFile(config(), text);
  auto r = Results(testing::RunCli({"simulate", "-c", config(), "--json"}));
  ASSERT_EQ(r.size(), 9u);
  // Four instances, ten tasks of 0.25 h each: 2.5 h each.
  EXPECT_NEAR(r["on-demand"]["cost_usd"].get<double>(), 4 * 2.5 * 2.0, 1e-6);
  for (const char* p : {"greedy", "cheapest-pool", "diversified", "capacity-optimized",
                        "price-capacity-optimized", "omniscient", "spotbatch", "autoscale"}) {
    EXPECT_NEAR(r[p]["cost_usd"].get<double>(), 4 * 2.5 * 0.5, 1e-6) << p;
    EXPECT_EQ(r[p]["deadline_met"].get<double>(), 1) << p;
  }
}

// The tasks a live run executes, given one by one; the fleet manager's decisions come out.
TEST_F(SimulateTest, GivenTasksAndTheManagersDecisions) {
  WriteConfig("[1, 1, 0, 0]", R"([simulate]
runs = 1
policies = ["greedy", "omniscient"]
[simulate.workload]
kind = "bag-of-tasks"
task_seconds = [3600, 7200, 1800]
instances = 2
changeover_hours = 0
)");
  std::string text = testing::ReadFile(config());
  const std::string price = "price_per_hour = 0.5\n";
  text.replace(text.find(price), price.size(), price + "max_instances = 2\n");
  testing::WriteFile(config(), text);
  auto out = testing::RunCli({"simulate", "-c", config(), "--json"});
  auto r = Results(out);
  const nlohmann::json& greedy = r["greedy"];
  ASSERT_TRUE(greedy["decisions"].is_array()) << out.out;
  ASSERT_GE(greedy["decisions"].size(), 2u);
  EXPECT_EQ(greedy["decisions"][0]["at_seconds"].get<double>(), 0);
  EXPECT_EQ(greedy["decisions"][0]["what"], "launched");
  EXPECT_EQ(greedy["decisions"][0]["pool"], "spot");
  int launched = 0;
  for (const auto& d : greedy["decisions"]) launched += d["what"] == "launched";
  EXPECT_NEAR(greedy["launches_per_task"].get<double>(), launched / 3.0, 1e-12);
  // 3.5 h of work on two spot instances, done by 2 h when the trace loses its room; the idle
  // instance goes once the tasks left are fewer than the instances.
  EXPECT_NEAR(greedy["spot_hours"].get<double>() + greedy["on_demand_hours"].get<double>(), 3.5,
              0.05);
  EXPECT_TRUE(r["omniscient"]["decisions"].empty()) << "a bound decides nothing";
  EXPECT_TRUE(r["omniscient"]["launches_per_task"].is_null());
}

TEST_F(SimulateTest, MarketRanksThePoolsByCostPerUsefulHour) {
  // Spot with room half the time in one stretch: one reclaim in 2 hours of room.
  WriteConfig("[1, 1, 0, 0]", "");
  auto r = testing::RunCli({"market", "-c", config(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["pools"].size(), 2u);
  EXPECT_EQ(j["pools"][0]["name"], "spot");
  EXPECT_DOUBLE_EQ(j["pools"][0]["availability"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["pools"][0]["reclaims_per_hour"].get<double>(), 0.5);
  // The default changeover, 0.2 h, lost at each reclaim: 0.5 / 0.9 per useful hour.
  EXPECT_NEAR(j["pools"][0]["usd_per_useful_hour"].get<double>(), 0.5 / 0.9, 1e-9);
  EXPECT_EQ(j["pools"][1]["name"], "od");
  auto table = testing::RunCli({"market", "-c", config()});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("| 1 | spot | spot |"), std::string::npos) << table.out;
  testing::WriteFile(config(), "[store]\npath = \"x\"\n");
  r = testing::RunCli({"market", "-c", config()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no [[fleet.pool]] entries"), std::string::npos) << r.err;
}

// Issue 9, defect 4: `market` and `simulate` price pools without an on-demand price from the
// table compiled into the binary (us-east-1 Linux), as `run` does (config_test).
TEST_F(SimulateTest, OnDemandPricesComeFromTheShippedTable) {
  const std::string data = SPOTBATCH_DATA_DIR "/traces/availability-1node/aws-02-15-2023/";
  // The pools of the design's example: one spot pool, no on-demand price anywhere.
  testing::WriteFile(config(), R"([[fleet.pool]]
name = "spot-a"
market = "spot"
instance_type = "c5.xlarge"
price_per_hour = 0.068
trace = ")" + data + R"(us-east-1a_v100_1.json"
max_instances = 4
[fleet.market]
time_scale = 600
notice_seconds = 120
)");
  auto r = testing::RunCli({"market", "-c", config(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto pool = nlohmann::json::parse(r.out)["pools"][0];
  EXPECT_DOUBLE_EQ(pool["on_demand_usd_per_hour"].get<double>(), 0.17);
  EXPECT_NEAR(pool["savings"].get<double>(), 1 - 0.068 / 0.17, 1e-9);

  // Simulate with the table's p3.2xlarge price ($3.06) gives what the explicit prices give.
  const std::string spot = R"([[fleet.pool]]
name = "spot"
instance_type = "p3.2xlarge"
price_per_hour = 0.9731
trace = ")" + data + R"(us-east-1c_v100_1.json"
[[fleet.pool]]
name = "od"
market = "on-demand"
instance_type = "p3.2xlarge"
)";
  const std::string sim = "[simulate]\nruns = 2\n";
  testing::WriteFile(config(), spot + sim);
  auto from_table = testing::RunCli({"simulate", "-c", config(), "--json"});
  testing::WriteFile(config(), spot + "price_per_hour = 3.06\n" + sim);
  auto given = testing::RunCli({"simulate", "-c", config(), "--json"});
  ASSERT_EQ(from_table.exit_code, 0) << from_table.err;
  EXPECT_EQ(from_table.out, given.out);
  // 48 h of work and one 0.2 h changeover, on demand.
  EXPECT_NEAR(Results(from_table)["on-demand"]["cost_usd"].get<double>(), 48.2 * 3.06, 1e-6);

  // A type the table does not know, without a price: exit 2 naming file, line and key.
  testing::WriteFile(config(),
                     "[[fleet.pool]]\nname = \"a\"\ninstance_type = \"x9.imaginary\"\n"
                     "price_per_hour = 1\n");
  for (const char* command : {"market", "simulate"}) {
    r = testing::RunCli({command, "-c", config()});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.err.find("sim.toml:1: fleet.pool[0].on_demand_price_per_hour: missing, and "
                         "instance_type \"x9.imaginary\" is neither in the shipped on-demand "
                         "price table"),
              std::string::npos)
        << command << ": " << r.err;
  }
}

TEST_F(SimulateTest, SvgChartsAreWritten) {
  WriteConfig("[1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1]", kJob);
  const std::string charts = dir_ / "charts";
  auto r = testing::RunCli({"simulate", "-c", config(), "--svg", charts});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| spotbatch |"), std::string::npos) << "the table is printed too";
  for (const char* name : {"timeline.svg", "cost_vs_slack.svg"}) {
    const std::string svg = testing::ReadFile(charts + "/" + name);
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << name;
    EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n") << name;
  }
  const std::string timeline = testing::ReadFile(charts + "/timeline.svg");
  for (const char* p : {">greedy<", ">uniform-progress<", ">spotbatch<", ">on-demand<"}) {
    EXPECT_NE(timeline.find(p), std::string::npos) << p;
  }
  EXPECT_NE(timeline.find("spot (room)"), std::string::npos);
  const std::string slack = testing::ReadFile(charts + "/cost_vs_slack.svg");
  size_t lines = 0;
  for (size_t at = slack.find("<polyline"); at != std::string::npos;
       at = slack.find("<polyline", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 5u) << "one curve per policy";
  // A folder that cannot be made: a clear error, exit 1.
  testing::WriteFile(dir_ / "file", "x");
  r = testing::RunCli({"simulate", "-c", config(), "--svg", dir_ / "file/charts"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot create"), std::string::npos) << r.err;
}

TEST_F(SimulateTest, APriceSeriesIsPaidAsItMoves) {
  // Spot always has room; its price alternates $0.20 / $1.00 every 300 s, as the 2016 files do.
  testing::WriteFile(dir_ / "prices.txt", "x\n0.2\n1.0\n");
  testing::WriteFile(config(), R"([[fleet.pool]]
name = "spot"
instance_type = "x1"
price_trace = "prices.txt"
on_demand_price_per_hour = 2.0
[[fleet.pool]]
name = "od"
market = "on-demand"
instance_type = "x1"
price_per_hour = 2.0
[simulate]
policies = ["greedy", "omniscient"]
runs = 3
[simulate.workload]
job_hours = 1
deadline_hours = 2
changeover_hours = 0
)");
  auto r = Results(testing::RunCli({"simulate", "-c", config(), "--json"}));
  // One hour is six whole periods, wherever it starts: $0.60.
  EXPECT_NEAR(r["greedy"]["cost_usd"].get<double>(), 0.6, 1e-6);
  EXPECT_LE(r["omniscient"]["cost_usd"].get<double>(), 0.6 + 1e-9);
  auto market = testing::RunCli({"market", "-c", config(), "--json"});
  ASSERT_EQ(market.exit_code, 0) << market.err;
  EXPECT_NEAR(nlohmann::json::parse(market.out)["pools"][0]["usd_per_hour"].get<double>(), 0.6,
              1e-9)
      << "the series' mean";
  // Both a constant price and a series: refused, naming the key.
  testing::WriteFile(
      config(), testing::ReadFile(config()).replace(testing::ReadFile(config()).find("price_trace"),
                                                    0, "price_per_hour = 1\n"));
  auto bad = testing::RunCli({"simulate", "-c", config()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("sim.toml:5: fleet.pool[0].price_trace"), std::string::npos) << bad.err;
}

TEST_F(SimulateTest, TheShippedExampleRuns) {
  // examples/simulate reads the project's data/ (a path relative to the example's folder).
  auto r = Results(testing::RunCli(
      {"simulate", "-c", std::string(SPOTBATCH_SOURCE_DIR) + "/examples/simulate/cant-be-late.toml",
       "--json"}));
  ASSERT_EQ(r.size(), 5u);
  EXPECT_LT(r["spotbatch"]["cost_usd"].get<double>(), r["on-demand"]["cost_usd"].get<double>());
}

}  // namespace
}  // namespace spotbatch
