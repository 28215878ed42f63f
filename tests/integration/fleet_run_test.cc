// The fleet manager under `spotbatch run` and `up`, end to end: real worker processes in local
// spot and on-demand pools whose capacity follows traces written by each test, the autoscale
// policy deciding, and the bill it keeps.
#include <httplib.h>
#include <signal.h>

#include <cmath>
#include <map>
#include <regex>

#include "integration/cli_util.h"
#include "integration/pipeline_fixture.h"
#include "integration/run_state.h"

namespace spotbatch {
namespace {

using testing::PipelineFixture;

class FleetRunTest : public PipelineFixture {
 protected:
  // A trace of one value per trace minute (a real second at time_scale 60).
  std::string Trace(const std::string& name, const std::vector<int>& per_minute) {
    std::string data;
    for (int v : per_minute) data += (data.empty() ? "" : ",") + std::to_string(v);
    const std::string path = dir_ / (name + ".json");
    testing::WriteFile(path, "{\"metadata\": {\"gap_seconds\": 60}, \"data\": [" + data + "]}");
    return path;
  }
  // `pipeline`: more [pipeline] keys; `rest`: the sections after [worker].
  void WriteConfig(const std::string& command, const std::string& rest,
                   const std::string& pipeline = "") {
    testing::WriteFile(config(), "[store]\npath = \"data\"\n[pipeline]\ncommand = " + command +
                                     "\nretry_backoff_seconds = 0.05\nwatch_interval_seconds = "
                                     "0.1\n" +
                                     pipeline +
                                     "[worker]\nheartbeat_seconds = 0.25\nlease_seconds = "
                                     "2\nmetadata_poll_seconds = 0.1\n" +
                                     rest);
  }
  void PutInputs(int n) {
    for (int i = 0; i < n; ++i) {
      testing::WriteFile(dir_ / ("inputs/f" + std::to_string(i)), std::to_string(i));
    }
    ASSERT_EQ(Cli({"put", dir_ / "inputs"}).exit_code, 0);
  }
  static std::string Pool(const std::string& name, const std::string& market, double price, int max,
                          const std::string& trace = "") {
    return "[[fleet.pool]]\nname = \"" + name + "\"\nmarket = \"" + market +
           "\"\ninstance_type = \"c5.large\"\nprice_per_hour = " + std::to_string(price) +
           "\nmax_instances = " + std::to_string(max) + "\n" +
           (trace.empty() ? "" : "trace = \"" + trace + "\"\n");
  }
};

constexpr const char* kSleepThenSum =
    R"(["sh", "-c", "sleep 0.3; sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])";

TEST_F(FleetRunTest, AReclaimedPoolsTasksFinishElsewhereAndTheReplacementComesBeforeTheReclaim) {
  // spot-a has room for two for two trace minutes, then none; spot-b (dearer) always for two.
  // Tasks of a second, as long as the notice: whatever runs on spot-a at its drop is cut.
  WriteConfig(
      R"(["sh", "-c", "sleep 1; sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])",
      "[fleet]\nmax_instances = 4\nlatency_target_seconds = 30\n"
      "[fleet.market]\ntime_scale = 60\nnotice_seconds = 60\n" +
          Pool("spot-a", "spot", 0.03, 2, Trace("a", {1, 1, 0, 0, 0, 0, 0, 0, 0, 0})) +
          Pool("spot-b", "spot", 0.04, 2) + Pool("od", "on-demand", 0.085, 2));
  PutInputs(40);
  const nlohmann::json run = Json({"run", "--svg", dir_ / "charts"});
  ASSERT_EQ(run["succeeded"], 40) << run.dump();
  // The timeline: a line of instances for each of the three pools, and one of the backlog.
  const std::string svg = testing::ReadFile(dir_ / "charts/fleet.svg");
  ASSERT_EQ(svg.rfind("<svg ", 0), 0u) << svg.substr(0, 200);
  size_t lines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos;
       at = svg.find("<polyline", at + 1))
    ++lines;
  EXPECT_EQ(lines, 4u);
  EXPECT_NE(svg.find(">spot-a</text>"), std::string::npos);
  std::map<std::string, std::string> pool_of;  // instance -> pool
  double first_launch = 1e18;
  for (const auto& d : run["fleet_decisions"]) {
    if (d["what"] != "launched") continue;
    pool_of[d["instance"]] = d["pool"];
    first_launch = std::min(first_launch, d["at_seconds"].get<double>());
  }
  EXPECT_LT(first_launch, 1) << "scale-out from zero on the first manager tick";
  // spot-a's instances were noticed when its trace dropped (120 s) and reclaimed 60 s later;
  // the manager launched their replacements elsewhere in between.
  int replacements = 0;
  for (const auto& d : run["fleet_decisions"]) {
    const double at = d["at_seconds"].get<double>();
    if (d["what"] == "launched" && d["pool"] != "spot-a" && at >= 120 && at < 180) ++replacements;
  }
  EXPECT_GE(replacements, 1) << run["fleet_decisions"].dump();
  const nlohmann::json& a = run["pools"][0];
  ASSERT_EQ(a["name"], "spot-a");
  EXPECT_GE(a["notices"].get<int>(), 1) << run.dump();
  // What was cut short on spot-a (something was: both its instances were busy) finished
  // elsewhere.
  testing::RunState state(dir_.path());
  int cut = 0;
  for (const JobView& j : *state.state->ListJobs()) {
    bool cut_on_a = false;
    for (const AttemptRecord& at : *state.state->ListAttempts(j.tasks.at(0).id)) {
      if (at.pool == "spot-a" &&
          (at.outcome == AttemptOutcome::kInterrupted || at.outcome == AttemptOutcome::kLost)) {
        cut_on_a = true;
        ++cut;
      }
      if (at.outcome == AttemptOutcome::kSucceeded && cut_on_a) {
        EXPECT_NE(at.pool, "spot-a") << j.job.id << ": spot-a has no capacity after its drop";
      }
    }
  }
  EXPECT_GE(cut, 1) << "no attempt was cut by spot-a's drop";
  ExpectShaOutputsMatchSerialRun(40);
  EXPECT_GT(run["launches_per_task"].get<double>(), 0);
  EXPECT_LE(run["launches_per_task"].get<double>(), 0.5) << "no thrash: " << run.dump();
}

TEST_F(FleetRunTest, TheBillIsStoredAndAddsUpExactlyByPoolAndByJob) {
  WriteConfig(kSleepThenSum,
              "[fleet]\nlatency_target_seconds = 30\n"
              "[fleet.market]\ntime_scale = 60\n" +
                  Pool("spot", "spot", 0.03, 2) + Pool("od", "on-demand", 0.085, 1));
  PutInputs(6);
  const nlohmann::json run = Json({"run"});
  ASSERT_EQ(run["succeeded"], 6) << run.dump();
  const nlohmann::json cost = Json({"cost"});
  ASSERT_EQ(cost["runs"], 1) << cost.dump();
  auto nano = [](const nlohmann::json& usd) { return std::llround(usd.get<double>() * 1e9); };
  int64_t jobs = 0;
  for (const auto& j : cost["jobs"]) jobs += nano(j["cost_usd"]);
  EXPECT_EQ(jobs + nano(cost["idle_cost_usd"]), nano(cost["cost_usd"]))
      << "the jobs' costs and idle time are the bill, to the nano-dollar: " << cost.dump();
  int64_t pools = 0;
  for (const auto& p : cost["pools"]) pools += nano(p["cost_usd"]);
  EXPECT_EQ(pools, nano(cost["cost_usd"]));
  EXPECT_EQ(nano(cost["cost_usd"]), nano(run["cost_usd"]));
  EXPECT_EQ(cost["jobs"].size(), 6u);
  // status carries each job's cost, the same as the bill's.
  std::map<std::string, int64_t> by_job;
  for (const auto& j : cost["jobs"]) by_job[j["id"]] = nano(j["cost_usd"]);
  for (const auto& j : Jobs()) {
    EXPECT_GT(nano(j["cost_usd"]), 0) << j.dump();
    EXPECT_EQ(nano(j["cost_usd"]), by_job[j["id"]]) << j.dump();
    // On spot a job costs less than on demand; one on the on-demand pool the same.
    EXPECT_GE(nano(j["on_demand_cost_usd"]), nano(j["cost_usd"])) << j.dump();
  }
  EXPECT_GT(nano(run["on_demand_cost_usd"]), nano(run["cost_usd"])) << run.dump();
  // A second run of nothing adds no bill; the text form names the pools and the saving.
  ASSERT_EQ(Cli({"run"}).exit_code, 0);
  EXPECT_EQ(Json({"cost"})["runs"], 1);
  const testing::CliResult text = Cli({"cost"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("spot"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("saved"), std::string::npos) << text.out;
}

TEST_F(FleetRunTest, ARunKilledOutrightKeepsItsBillAsOfItsLastSave) {
  // Tasks of 0.3 s on two spot instances: 120 of them take about 20 s, so the run is killed
  // while at work, after its bill was stored at least once (every 5 s).
  WriteConfig(kSleepThenSum,
              "[fleet]\nlatency_target_seconds = 30\n[fleet.market]\ntime_scale = 60\n" +
                  Pool("spot", "spot", 0.03, 2) + Pool("od", "on-demand", 0.085, 1));
  PutInputs(120);
  const pid_t run = testing::StartCli({"run", "-c", config()}, dir_ / "run.out", dir_ / "run.err");
  nlohmann::json cost;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        cost = Json({"cost"});
        return cost["runs"] == 1 && cost["jobs"].size() >= 2;
      },
      std::chrono::seconds(60)))
      << cost.dump() << testing::ReadFile(dir_ / "run.err");
  ASSERT_EQ(::kill(run, SIGKILL), 0);
  testing::WaitExit(run);
  cost = Json({"cost"});
  ASSERT_EQ(cost["runs"], 1) << cost.dump();
  auto nano = [](const nlohmann::json& usd) { return std::llround(usd.get<double>() * 1e9); };
  int64_t jobs = 0;
  for (const auto& j : cost["jobs"]) jobs += nano(j["cost_usd"]);
  EXPECT_GT(jobs, 0) << cost.dump();
  EXPECT_EQ(jobs + nano(cost["idle_cost_usd"]), nano(cost["cost_usd"])) << cost.dump();
  // The kill came mid-run; the next run finishes the rest and bills it apart.
  const nlohmann::json rest = Json({"run"});
  EXPECT_GT(rest["succeeded"].get<int>(), 0) << rest.dump();
  EXPECT_EQ(Json({"cost"})["runs"], 2);
  ExpectShaOutputsMatchSerialRun(120);
}

TEST_F(FleetRunTest, TasksInterruptedOnceFinishOnDemand) {
  // Spot capacity for a trace minute in every two (a real second), tasks of 1.5 s: an attempt
  // on spot is always interrupted; after one interruption a task may run on demand only.
  WriteConfig(
      R"(["sh", "-c", "sleep 1.5; sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])",
      "[fleet]\nlatency_target_seconds = 30\nreclaim_quarantine_seconds = 0\n"
      "[fleet.market]\ntime_scale = 60\nnotice_seconds = 20\n" +
          Pool("spot", "spot", 0.03, 2, Trace("flap", {1, 0})) + Pool("od", "on-demand", 0.085, 2),
      "on_demand_after_interruptions = 1\n");
  PutInputs(4);
  const nlohmann::json run = Json({"run"});
  ASSERT_EQ(run["succeeded"], 4) << run.dump();
  testing::RunState state(dir_.path());
  int fell_back = 0;
  for (const JobView& j : *state.state->ListJobs()) {
    bool interrupted = false;
    for (const AttemptRecord& a : *state.state->ListAttempts(j.tasks.at(0).id)) {
      if (interrupted) {
        EXPECT_EQ(a.pool, "od") << j.job.id << ": after an interruption";
      }
      if (a.outcome == AttemptOutcome::kInterrupted || a.outcome == AttemptOutcome::kLost) {
        interrupted = true;
        ++fell_back;
      }
    }
  }
  EXPECT_GT(fell_back, 0) << "the trace interrupts spot attempts: " << run.dump();
  ExpectShaOutputsMatchSerialRun(4);
}

// The same scenario through the live local fleet and through the simulator: both run the
// fleet manager with the autoscale policy on the same trace, and the simulator gets the tasks
// as they ran live (each attempt's measured time, in trace seconds). They must decide alike
// (the same launches in each pool, at the start and when spot-a's drop is noticed) and bill
// alike; the live workers take real time to start and to pass tasks on, hence the margins.
TEST_F(FleetRunTest, LiveAndSimulatedRunsDecideAlike) {
  constexpr int kTasks = 60;
  const std::string fleet =
      "[fleet]\nmax_instances = 4\nlatency_target_seconds = 30\n"
      "[fleet.market]\ntime_scale = 60\nnotice_seconds = 60\n" +
      Pool("spot-a", "spot", 0.03, 2, Trace("a", {1, 1, 1, 0, 0, 0, 0, 0, 0, 0})) +
      Pool("od", "on-demand", 0.085, 4);
  WriteConfig(kSleepThenSum, fleet);
  PutInputs(kTasks);
  const nlohmann::json live = Json({"run"});
  ASSERT_EQ(live["succeeded"], kTasks) << live.dump();
  std::string task_seconds;
  {
    testing::RunState state(dir_.path());
    for (const JobView& j : *state.state->ListJobs()) {
      for (const AttemptRecord& a : *state.state->ListAttempts(j.tasks.at(0).id)) {
        if (a.outcome != AttemptOutcome::kSucceeded) continue;
        const double seconds = (a.ended_unix_millis - a.started_unix_millis) * 60 / 1000.0;
        task_seconds += (task_seconds.empty() ? "" : ", ") + std::to_string(std::max(seconds, 1.0));
      }
    }
  }
  WriteConfig(kSleepThenSum,
              fleet +
                  "[simulate]\npolicies = [\"autoscale\"]\nruns = 1\nstart_at_offset = true\n"
                  "[simulate.workload]\nkind = \"bag-of-tasks\"\ninstances = 4\n"
                  "changeover_hours = 0.00833\ntask_seconds = [" +
                  task_seconds + "]\n");
  const nlohmann::json sim = Json({"simulate"});
  ASSERT_EQ(sim["results"].size(), 1u) << sim.dump();
  const nlohmann::json& predicted = sim["results"][0];
  auto launches = [](const nlohmann::json& decisions, const std::string& pool, double from,
                     double to) {
    int n = 0;
    for (const auto& d : decisions) {
      const double at = d["at_seconds"].get<double>();
      n += d["what"] == "launched" && d["pool"] == pool && at >= from && at < to;
    }
    return n;
  };
  const nlohmann::json& live_d = live["fleet_decisions"];
  const nlohmann::json& sim_d = predicted["decisions"];
  std::fprintf(stderr, "live: %s\nsimulated: %s\nlive $%.6f, simulated $%.6f\n",
               live_d.dump().c_str(), sim_d.dump().c_str(), live["cost_usd"].get<double>(),
               predicted["cost_usd"].get<double>());
  // The same launches in each pool, each within 20 trace seconds (a third of a real second)
  // of the simulated one: the live fleet lags by 2-11 s (its tasks also start processes).
  auto launch_times = [](const nlohmann::json& decisions, const std::string& pool) {
    std::vector<double> at;
    for (const auto& d : decisions) {
      if (d["what"] == "launched" && d["pool"] == pool) at.push_back(d["at_seconds"]);
    }
    return at;
  };
  for (const char* pool : {"spot-a", "od"}) {
    const std::vector<double> live_at = launch_times(live_d, pool);
    const std::vector<double> sim_at = launch_times(sim_d, pool);
    ASSERT_EQ(live_at.size(), sim_at.size()) << pool;
    for (size_t i = 0; i < live_at.size(); ++i) {
      EXPECT_NEAR(live_at[i], sim_at[i], 20) << pool << "'s launch " << i;
    }
  }
  // spot-a's trace drops at 180 s: its instances are noticed and reclaimed 60 s later; the
  // on-demand pool takes their place in between, in both.
  EXPECT_GT(launches(sim_d, "od", 180, 240), 0) << sim_d.dump();
  EXPECT_GT(launches(live_d, "od", 180, 240), 0) << live_d.dump();
  // The bill: 6-12% apart as measured on two busy cores.
  EXPECT_NEAR(live["cost_usd"].get<double>(), predicted["cost_usd"].get<double>(),
              0.2 * predicted["cost_usd"].get<double>());
}

// One spot instance does the work in about 30 x 18 = 540 trace seconds. With two hours to
// spare the manager waits for spot; with three minutes it buys on-demand.
TEST_F(FleetRunTest, ADeadlineBuysOnDemandOnlyWhenSpotCannotMakeIt) {
  WriteConfig(kSleepThenSum,
              "[fleet]\nlatency_target_seconds = 30\n"
              "[fleet.market]\ntime_scale = 60\n" +
                  Pool("spot", "spot", 0.03, 1) + Pool("od", "on-demand", 0.085, 3));
  PutInputs(30);
  auto on_demand_launches = [](const nlohmann::json& run) {
    int n = 0;
    for (const auto& d : run["fleet_decisions"]) n += d["what"] == "launched" && d["pool"] == "od";
    return n;
  };
  const nlohmann::json relaxed = Json({"run", "--deadline", "2"});
  ASSERT_EQ(relaxed["succeeded"], 30) << relaxed.dump();
  EXPECT_EQ(on_demand_launches(relaxed), 0) << relaxed["fleet_decisions"].dump();
  std::filesystem::remove_all(dir_ / "data");
  std::filesystem::remove_all(dir_ / ".spotbatch");
  PutInputs(30);
  const nlohmann::json tight = Json({"run", "--deadline", "0.05"});
  ASSERT_EQ(tight["succeeded"], 30) << tight.dump();
  EXPECT_GT(on_demand_launches(tight), 0) << tight["fleet_decisions"].dump();
}

TEST_F(FleetRunTest, UpScalesOutOnABurstAndBackToZeroWhenTheQueueDrains) {
  WriteConfig(kSleepThenSum,
              "[fleet]\nlatency_target_seconds = 30\nscale_in_grace_seconds = 60\n"
              "[fleet.market]\ntime_scale = 60\n[server]\nlisten = \"127.0.0.1:0\"\n" +
                  Pool("spot", "spot", 0.03, 3) + Pool("od", "on-demand", 0.085, 1));
  const pid_t up = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
  const auto workers = [&] { return testing::ChildrenOf(up).size(); };
  // What the API says of the fleet: its instances in every pool.
  int port = 0;
  ASSERT_TRUE(testing::WaitFor([&] {
    std::smatch m;
    const std::string err = testing::ReadFile(dir_ / "up.err");
    if (!std::regex_search(err, m, std::regex("API at http://127\\.0\\.0\\.1:([0-9]+)/")))
      return false;
    port = std::stoi(m[1].str());
    return true;
  })) << testing::ReadFile(dir_ / "up.err");
  std::string fleet_json;
  const auto api_instances = [&] {
    httplib::Client c("127.0.0.1", port);
    auto r = c.Get("/api/fleet");
    if (!r || r->status != 200) return -1;
    fleet_json = r->body;
    const nlohmann::json fleet = nlohmann::json::parse(r->body);  // outlives the loop below
    int n = 0;
    for (const auto& p : fleet["pools"]) n += p["instances"].get<int>();
    return n;
  };
  // Nothing to do: nothing launched (a second is 60 trace seconds, many manager ticks).
  ::usleep(1000 * 1000);
  EXPECT_EQ(workers(), 0u) << testing::ReadFile(dir_ / "up.err");
  PutInputs(60);
  // Scaled out on the burst, and GET /api/fleet shows it (within its half-second refresh).
  EXPECT_TRUE(testing::WaitFor([&] { return workers() >= 3 && api_instances() >= 3; },
                               std::chrono::seconds(20)))
      << workers() << " workers; GET /api/fleet: " << fleet_json << "\n"
      << testing::ReadFile(dir_ / "up.err");
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        for (int i = 0; i < 60; ++i) {
          if (!std::filesystem::exists(dir_ / ("data/out/f" + std::to_string(i) + "/sum.txt")))
            return false;
        }
        return true;
      },
      std::chrono::seconds(60)));
  // Idle for the grace (60 trace seconds: a second), every instance goes.
  EXPECT_TRUE(testing::WaitFor([&] { return workers() == 0; }, std::chrono::seconds(20)))
      << "back to zero: " << workers() << " workers left";
  EXPECT_TRUE(testing::WaitFor([&] { return api_instances() == 0; }, std::chrono::seconds(5)));
  ASSERT_EQ(::kill(up, SIGTERM), 0);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");
  const nlohmann::json cost = Json({"cost"});
  EXPECT_EQ(cost["runs"], 1) << "up stored its bill: " << cost.dump();
  EXPECT_GT(cost["cost_usd"].get<double>(), 0);
  ExpectShaOutputsMatchSerialRun(60);
}

}  // namespace
}  // namespace spotbatch
