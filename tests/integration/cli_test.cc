// The command-line contract of DESIGN.md, end to end through the real binary.
#include <signal.h>

#include "integration/pipeline_fixture.h"

namespace spotbatch {
namespace {

using testing::PipelineFixture;

class CliTest : public PipelineFixture {};

TEST_F(CliTest, PutRunStatusGetRoundTrip) {
  WriteConfig(testing::kShaCommand, 2);
  testing::WriteFile(dir_ / "inputs/hello.txt", "hello\n");
  testing::WriteFile(dir_ / "inputs/empty.txt", "");
  testing::WriteFile(dir_ / "inputs/deep/ünï cødé+1.txt", "x");
  auto put = Cli({"put", dir_ / "inputs"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto summary = Json({"run"});
  EXPECT_EQ(summary["jobs"], 3);
  EXPECT_EQ(summary["succeeded"], 3);
  EXPECT_EQ(summary["failed"], 0);
  EXPECT_EQ(summary["tasks"], 3);
  EXPECT_EQ(summary["attempts"], 3);
  EXPECT_EQ(summary["interruptions"], 0);
  EXPECT_TRUE(summary.contains("cost_usd"));
  EXPECT_TRUE(summary.contains("on_demand_cost_usd"));

  auto jobs = Jobs();
  ASSERT_EQ(jobs.size(), 3u);
  for (const auto& j : jobs) {
    EXPECT_EQ(j["state"], "SUCCEEDED");
    EXPECT_EQ(j["attempts"], 1);
    EXPECT_EQ(j["interruptions"], 0);
    ASSERT_EQ(j["outputs"].size(), 1u);
    EXPECT_EQ(j["outputs"][0], "out/" + j["input"].get<std::string>().substr(3) + "/sum.txt");
  }
  auto got = Cli({"get", "out/hello.txt/sum.txt", "-"});
  ASSERT_EQ(got.exit_code, 0);
  EXPECT_EQ(got.out, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n");
  auto empty = Cli({"get", "out/empty.txt/sum.txt", dir_ / "empty-sum"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(testing::ReadFile(dir_ / "empty-sum"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -\n");
  EXPECT_EQ(Cli({"get", "out/nope", "-"}).exit_code, 1);

  // Nothing left to do: a second run processes nothing and reports only this run.
  auto again = Json({"run"});
  EXPECT_EQ(again["jobs"], 0);
}

TEST_F(CliTest, InputsCopiedIntoFolderDirectlyArePickedUpAtNextRun) {
  WriteConfig(testing::kShaCommand, 2);
  testing::WriteFile(dir_ / "data/in/a.txt", "a");
  testing::WriteFile(dir_ / "data/in/sub/b.txt", "b");
  auto summary = Json({"run"});
  EXPECT_EQ(summary["succeeded"], 2);
  testing::WriteFile(dir_ / "data/in/c.txt", "c");
  summary = Json({"run"});
  EXPECT_EQ(summary["jobs"], 1);
  EXPECT_EQ(Jobs().size(), 3u);
}

TEST_F(CliTest, BadKeysRefusedWithExit2AndNothingCreated) {
  WriteConfig(testing::kShaCommand, 1);
  testing::WriteFile(dir_ / "f.txt", "x");
  for (const std::string& key : {std::string("in/../etc/passwd"), std::string("in/a\x01"),
                                 std::string("in/") + std::string(1100, 'k'), std::string("in//x"),
                                 std::string("_spotbatch/x")}) {
    auto r = Cli({"put", dir_ / "f.txt", "--key", key});
    EXPECT_EQ(r.exit_code, 2) << key;
    EXPECT_NE(r.err.find("object key"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "etc"));
  EXPECT_TRUE(Jobs().empty());
  auto r = Cli({"put", dir_ / "missing.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no such file"), std::string::npos);
}

TEST_F(CliTest, ConfigErrorsExit2NamingFileLineAndKey) {
  testing::WriteFile(config(), "[pipeline]\ncommand = [\"true\"]\ntimeout_seconds = \"soon\"\n");
  auto r = Cli({"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sb.toml:3: pipeline.timeout_seconds"), std::string::npos) << r.err;
  testing::WriteFile(config(), "[pipeline]\ninput = \"in/\"\n");
  r = Cli({"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pipeline.command"), std::string::npos) << r.err;
  testing::WriteFile(config(), "[pipeline]\ncommand = [\"true\"]\n[fleet]\nworkerz = 2\n");
  r = Cli({"run"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sb.toml:4: fleet.workerz: unknown key"), std::string::npos) << r.err;
  EXPECT_EQ(testing::RunCli({"run"}).exit_code, 2) << "no -c";
  EXPECT_EQ(testing::RunCli({"frobnicate", "-c", config()}).exit_code, 2);
}

TEST_F(CliTest, MissingCommandFailsItsJobsOnlyWithClearMessage) {
  WriteConfig(
      R"(["sh", "-c", "case \"$1\" in *bad*) exec no-such-tool-xyz;; esac; cp \"$1\" \"$2/copy\"", "_", "{input}", "{output_dir}"])",
      2, "max_attempts = 2");
  testing::WriteFile(dir_ / "data/in/good1", "1");
  testing::WriteFile(dir_ / "data/in/bad", "2");
  testing::WriteFile(dir_ / "data/in/good2", "3");
  auto r = Cli({"run", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["succeeded"], 2);
  EXPECT_EQ(summary["failed"], 1);
  for (const auto& j : Jobs()) {
    if (j["input"] == "in/bad") {
      EXPECT_EQ(j["state"], "FAILED");
      EXPECT_EQ(j["attempts"], 2);
      auto logs = Cli({"logs", j["id"]});
      EXPECT_NE(logs.out.find("no-such-tool-xyz"), std::string::npos) << logs.out;
    } else {
      EXPECT_EQ(j["state"], "SUCCEEDED");
    }
  }
  EXPECT_EQ(Json({"status"})["dead_letters"], 1) << "the failed job's message is dead-lettered";
  ASSERT_EQ(Cli({"put", dir_ / "sb.toml", "--key", "in/x"}).exit_code, 0);  // any file
  WriteConfig(R"(["no-such-program-abc", "{input}"])", 1, "max_attempts = 1");
  r = Cli({"run", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("command not found: no-such-program-abc"), std::string::npos) << r.out;
}

TEST_F(CliTest, RetryRunsAFailedJobAgainAndCancelStopsOne) {
  const std::string marker = dir_ / "broken";
  WriteConfig(R"(["sh", "-c", "test ! -e \"$1\" && cp \"$2\" \"$3/copy\"", "_", ")" + marker +
                  R"(", "{input}", "{output_dir}"])",
              1, "max_attempts = 1");
  testing::WriteFile(marker, "");
  testing::WriteFile(dir_ / "data/in/x", "payload");
  EXPECT_EQ(Cli({"run"}).exit_code, 1);
  auto jobs = Jobs();
  ASSERT_EQ(jobs[0]["state"], "FAILED");
  const std::string id = jobs[0]["id"];
  std::filesystem::remove(marker);
  EXPECT_EQ(Cli({"retry", id}).exit_code, 0);
  EXPECT_EQ(Cli({"retry", id}).exit_code, 1) << "only FAILED or CANCELLED jobs can be retried";
  auto summary = Json({"run"});
  EXPECT_EQ(summary["succeeded"], 1);
  EXPECT_EQ(Cli({"get", "out/x/copy", "-"}).out, "payload");
  EXPECT_EQ(Cli({"cancel", id}).exit_code, 1) << "a finished job cannot be cancelled";
  EXPECT_EQ(Cli({"cancel", "nosuchjob"}).exit_code, 1);

  testing::WriteFile(dir_ / "data/in/y", "y");
  auto put = Cli({"put", dir_ / "data/in/y", "--key", "in/z"});
  ASSERT_EQ(put.exit_code, 0);
  const std::string z = put.out.substr(put.out.find("job ") + 4, 16);
  EXPECT_EQ(Cli({"cancel", z}).exit_code, 0);
  for (const auto& j : Jobs()) {
    if (j["id"] == z) {
      EXPECT_EQ(j["state"], "CANCELLED");
    }
  }
}

TEST_F(CliTest, UpServesNewInputsUntilSigterm) {
  WriteConfig(testing::kShaCommand, 2, "watch_interval_seconds = 0.1");
  const pid_t up = testing::StartCli({"up", "-c", config()}, dir_ / "up.out", dir_ / "up.err");
  testing::WriteFile(dir_ / "hello.txt", "hello\n");
  ASSERT_EQ(Cli({"put", dir_ / "hello.txt"}).exit_code, 0);
  testing::WriteFile(dir_ / "data/in/dropped.txt", "dropped");  // copied in, not put
  const auto published = [&](const std::string& key) {
    return std::filesystem::exists(dir_ / ("data/" + key));
  };
  EXPECT_TRUE(testing::WaitFor(
      [&] { return published("out/hello.txt/sum.txt") && published("out/dropped.txt/sum.txt"); }));
  // Regression (issue 9): this looked for children of `up` after it had exited, when any left
  // would have been re-parented: it could not fail. Its workers and their supervisors are
  // noted while it runs, and each must be gone once it has exited.
  std::vector<pid_t> below = testing::ChildrenOf(up);
  EXPECT_EQ(below.size(), 2u) << "two workers";
  for (pid_t worker : testing::ChildrenOf(up)) {
    // The command supervisor of each worker that has run a command (one may have run both).
    for (pid_t supervisor : testing::ChildrenOf(worker)) below.push_back(supervisor);
  }
  EXPECT_GE(below.size(), 3u) << "at least one worker's command supervisor";
  ASSERT_EQ(::kill(up, SIGTERM), 0);
  EXPECT_EQ(testing::WaitExit(up), 0) << testing::ReadFile(dir_ / "up.err");
  for (pid_t p : below) {
    EXPECT_TRUE(testing::WaitFor([&] { return !testing::Alive(p); }, std::chrono::seconds(10)))
        << "process " << p << " outlived `up`";
  }
  EXPECT_EQ(Jobs().size(), 2u);
}

}  // namespace
}  // namespace spotbatch
