// The command-line contract (README.md, "Commands"), end to end through the real binary.
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

// [pipeline] order: one worker starts the inputs oldest first by default (in key order, as
// `run` finds them), and the largest first under largest_first.
TEST_F(CliTest, OrderLargestFirstStartsTheLargestInputsFirst) {
  const std::string log = dir_ / "started.log";
  const std::string command =
      R"(["sh", "-c", "echo \"$1\" >> \"$2\"", "_", "{name}", ")" + log + R"("])";
  WriteConfig(command, 1);
  auto put = [&](const std::vector<std::pair<std::string, size_t>>& inputs) {
    for (const auto& [name, size] : inputs) {
      testing::WriteFile(dir_ / ("data/in/" + name), std::string(size, 'x'));
    }
  };
  put({{"a", 10}, {"b", 65'536}, {"c", 1'024}});
  EXPECT_EQ(Json({"run"})["succeeded"], 3);
  EXPECT_EQ(testing::ReadFile(log), "a\nb\nc\n");
  WriteConfig(command, 1, "order = \"largest_first\"\n");
  put({{"d", 10}, {"e", 65'536}, {"f", 1'024}});
  EXPECT_EQ(Json({"run"})["succeeded"], 3);
  EXPECT_EQ(testing::ReadFile(log), "a\nb\nc\ne\nf\nd\n");
  WriteConfig(command, 1, "order = \"biggest\"\n");
  auto bad = Cli({"run"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("sb.toml:9: pipeline.order"), std::string::npos) << bad.err;
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

TEST_F(CliTest, AwsPolicyPrintsEachRolesDocumentAndRefusesAConfigWithNothingOnAws) {
  testing::WriteFile(config(),
                     "[store]\nurl = \"s3://\"\n[queue]\nurl = \"sqs://jobs\"\n"
                     "[aws]\nregion = \"eu-west-1\"\n[pipeline]\ninput = \"acme-in/\"\n"
                     "output = \"acme-out/\"\ncommand = [\"true\"]\n");
  auto all = Cli({"aws", "policy", "--account", "123456789012"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto roles = nlohmann::json::parse(all.out);
  for (const char* role : {"ingest", "worker", "manager"}) {
    EXPECT_EQ(roles[role]["Version"], "2012-10-17") << role;
    auto one = Cli({"aws", "policy", "--role", role, "--account", "123456789012"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(nlohmann::json::parse(one.out), roles[role]) << "--role prints the document alone";
  }
  EXPECT_NE(all.out.find("arn:aws:sqs:eu-west-1:123456789012:jobs-*"), std::string::npos)
      << all.out;
  auto bad_role = Cli({"aws", "policy", "--role", "root"});
  EXPECT_EQ(bad_role.exit_code, 2);
  EXPECT_NE(bad_role.err.find("spotbatch aws policy --help"), std::string::npos) << bad_role.err;
  EXPECT_EQ(Cli({"aws", "policy", "--account", "12"}).exit_code, 2);
  EXPECT_EQ(Cli({"aws"}).exit_code, 2);
  auto help = Cli({"aws", "policy", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: spotbatch aws policy"), std::string::npos) << help.out;

  WriteConfig(testing::kShaCommand, 1);  // all embedded
  auto embedded = Cli({"aws", "policy"});
  EXPECT_EQ(embedded.exit_code, 2);
  EXPECT_NE(embedded.err.find("puts nothing on AWS"), std::string::npos) << embedded.err;
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
  testing::TempDir empty;  // no spotbatch.toml here, and no $SPOTBATCH_CONFIG
  EXPECT_EQ(testing::RunCli({"run"}, empty.path(), {{"SPOTBATCH_CONFIG", std::nullopt}}).exit_code,
            2)
      << "no -c";
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

// The lines of a usage error: what is wrong, then where the usage is; never the whole usage.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

void ExpectUsageError(const testing::CliResult& r, const std::string& problem,
                      const std::string& hint_command) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  const auto lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 2u) << r.err;
  EXPECT_EQ(lines[0].rfind("spotbatch: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(problem), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], "run '" + hint_command + " --help' for usage");
}

TEST(CliUsageTest, EachCommandHasItsOwnHelpOnStdout) {
  auto r = testing::RunCli({"run", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("spotbatch run"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-c,--config FILE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SPOTBATCH_CONFIG"), std::string::npos) << "the default is documented";
  EXPECT_NE(r.out.find("--deadline"), std::string::npos) << r.out;
  for (const char* other : {"--worker-id", "--key", "--metadata-url", "simulate"}) {
    EXPECT_EQ(r.out.find(other), std::string::npos) << other << " is not run's:\n" << r.out;
  }
  EXPECT_EQ(testing::RunCli({"run", "-h"}).out, r.out);
  EXPECT_EQ(testing::RunCli({"help", "run"}).out, r.out);

  r = testing::RunCli({"worker", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--worker-id", "--pool", "--market", "--metadata-url", "--on-ec2", "--metadata-poll-ms"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("--json"), std::string::npos) << r.out;

  // The top level lists every command.
  r = testing::RunCli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"run", "up", "put", "status", "cost", "get", "logs", "retry",
                              "cancel", "worker", "simulate", "market"}) {
    EXPECT_NE(r.out.find(std::string("  ") + command + " "), std::string::npos) << command;
  }
  EXPECT_EQ(testing::RunCli({"help"}).out, r.out);
}

TEST(CliUsageTest, VersionIsTheProjectVersion) {
  auto r = testing::RunCli({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("spotbatch ") + SPOTBATCH_VERSION + "\n");
}

TEST(CliUsageTest, UsageErrorsAreOneLineAndAHint) {
  ExpectUsageError(testing::RunCli({"run", "-c", "x.toml", "--frob"}),
                   "unknown option --frob for run", "spotbatch run");
  ExpectUsageError(testing::RunCli({"status", "--json", "extra"}),
                   "status takes no argument 'extra'", "spotbatch status");
  ExpectUsageError(testing::RunCli({"put", "--json", "f"}), "unknown option --json for put",
                   "spotbatch put");
  ExpectUsageError(testing::RunCli({"get"}), "KEY is required", "spotbatch get");
  ExpectUsageError(testing::RunCli({"logs", "a", "b"}), "logs takes no argument 'b'",
                   "spotbatch logs");
  ExpectUsageError(testing::RunCli({"run", "-c"}), "--config", "spotbatch run");
  ExpectUsageError(testing::RunCli({"worker", "--market", "cheap"}), "spot or on-demand",
                   "spotbatch worker");
  ExpectUsageError(testing::RunCli({"worker", "--metadata-poll-ms", "0"}),
                   "positive number of milliseconds", "spotbatch worker");
  ExpectUsageError(testing::RunCli({"--frob", "run"}), "--frob", "spotbatch");
}

TEST(CliUsageTest, UnknownOrMissingCommandIsNamedWithTheCommands) {
  auto r = testing::RunCli({"frobnicate", "-c", "x.toml"});
  ExpectUsageError(r, "unknown command 'frobnicate'", "spotbatch");
  EXPECT_NE(
      r.err.find("run, up, lambda, put, status, cost, get, logs, retry, cancel, worker, simulate, "
                 "market"),
      std::string::npos)
      << r.err;
  ExpectUsageError(testing::RunCli({"-c", "x.toml", "frobnicate"}), "unknown command 'frobnicate'",
                   "spotbatch");
  ExpectUsageError(testing::RunCli({"help", "frobnicate"}), "unknown command 'frobnicate'",
                   "spotbatch");
  ExpectUsageError(testing::RunCli({}), "no command given", "spotbatch");
}

// The config: -c FILE (after or before the command), else $SPOTBATCH_CONFIG, else
// ./spotbatch.toml.
class CliConfigTest : public PipelineFixture {
 protected:
  void SetUp() override {
    WriteConfig(testing::kShaCommand, 1);
    testing::WriteFile(dir_ / "f.txt", "x");
    ASSERT_EQ(Cli({"put", dir_ / "f.txt"}).exit_code, 0);
  }
  // `status --json` run in `cwd` with `env`: the jobs of the pipeline it found, or the error.
  testing::CliResult Status(std::vector<std::string> args, const std::string& cwd,
                            const std::optional<std::string>& env) {
    args.insert(args.begin(), "status");
    args.push_back("--json");
    return testing::RunCli(args, cwd, {{"SPOTBATCH_CONFIG", env}});
  }
  // True when `r` listed this fixture's one job (so it read this fixture's config).
  static bool FoundThePipeline(const testing::CliResult& r) {
    if (r.exit_code != 0) return false;
    return nlohmann::json::parse(r.out)["jobs"].size() == 1;
  }
  testing::TempDir elsewhere_;
};

TEST_F(CliConfigTest, DefaultsToSpotbatchTomlInTheCurrentFolder) {
  std::filesystem::copy_file(config(), dir_ / "spotbatch.toml");
  auto r = Status({}, dir_.path(), std::nullopt);
  EXPECT_TRUE(FoundThePipeline(r)) << r.err;
  // From elsewhere the same config is not found.
  r = Status({}, elsewhere_.path(), std::nullopt);
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliConfigTest, ElseFromSpotbatchConfigWhichWinsOverTheCurrentFolder) {
  auto r = Status({}, elsewhere_.path(), config());
  EXPECT_TRUE(FoundThePipeline(r)) << r.err;
  testing::WriteFile(elsewhere_ / "spotbatch.toml", "not = [toml");
  r = Status({}, elsewhere_.path(), config());
  EXPECT_TRUE(FoundThePipeline(r)) << r.err;
  // -c wins over both.
  r = Status({"-c", config()}, elsewhere_.path(), elsewhere_ / "missing.toml");
  EXPECT_TRUE(FoundThePipeline(r)) << r.err;
}

TEST_F(CliConfigTest, DashCWorksBeforeTheCommandToo) {
  auto r = testing::RunCli({"-c", config(), "status", "--json"}, elsewhere_.path(),
                           {{"SPOTBATCH_CONFIG", std::nullopt}});
  EXPECT_TRUE(FoundThePipeline(r)) << r.err;
  // After the command it wins.
  r = testing::RunCli({"-c", elsewhere_ / "missing.toml", "status", "-c", config(), "--json"});
  EXPECT_TRUE(FoundThePipeline(r)) << r.err;
}

TEST_F(CliConfigTest, NoConfigFoundIsOneLineNamingWhatWasLookedFor) {
  auto r = Status({}, elsewhere_.path(), std::nullopt);
  ExpectUsageError(r, "-c FILE", "spotbatch status");
  EXPECT_NE(r.err.find("$SPOTBATCH_CONFIG"), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find("spotbatch.toml in " + std::filesystem::canonical(elsewhere_.path()).string()),
      std::string::npos)
      << r.err;
  // A $SPOTBATCH_CONFIG naming nothing is an error, even with ./spotbatch.toml present.
  std::filesystem::copy_file(config(), elsewhere_ / "spotbatch.toml");
  r = Status({}, elsewhere_.path(), elsewhere_ / "missing.toml");
  ExpectUsageError(r, "$SPOTBATCH_CONFIG names " + (elsewhere_ / "missing.toml"),
                   "spotbatch status");
}

}  // namespace
}  // namespace spotbatch
