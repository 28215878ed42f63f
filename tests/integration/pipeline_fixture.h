// A pipeline folder (config, store, state) for tests that drive the spotbatch binary.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/cli_util.h"

namespace spotbatch::testing {

// The command of the README's first example: the SHA-256 of each input into "sum.txt".
inline constexpr const char* kShaCommand =
    R"(["sh", "-c", "sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"])";

class PipelineFixture : public ::testing::Test {
 protected:
  void WriteConfig(const std::string& command, int workers, const std::string& extra = "") {
    WriteFile(config(),
              "[store]\npath = \"data\"\n\n[pipeline]\ninput = \"in/\"\noutput = \"out/\"\n"
              "command = " +
                  command + "\nretry_backoff_seconds = 0.05\n" + extra +
                  "\n[fleet]\nworkers = " + std::to_string(workers) + "\n");
  }
  std::string config() const { return dir_ / "sb.toml"; }
  CliResult Cli(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"-c", config()});
    return RunCli(args);
  }
  nlohmann::json Json(std::vector<std::string> args) {
    args.push_back("--json");
    CliResult r = Cli(args);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    try {
      return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << r.out << "\nstderr: " << r.err;
      return {};
    }
  }
  nlohmann::json Jobs() { return Json({"status"})["jobs"]; }
  // Every "out/f<i>/sum.txt" equals sha256sum run serially over "inputs/f<i>" (kShaCommand).
  void ExpectShaOutputsMatchSerialRun(int inputs) {
    const std::string serial = dir_ / "serial";
    ASSERT_EQ(std::system(("mkdir -p '" + serial + "' && cd '" + dir_ / "inputs" +
                           "' && for f in *; do sha256sum < \"$f\" > '" + serial + "'/\"$f\"; done")
                              .c_str()),
              0);
    for (int i = 0; i < inputs; ++i) {
      const std::string f = "f" + std::to_string(i);
      ASSERT_EQ(ReadFile(dir_ / ("data/out/" + f + "/sum.txt")), ReadFile(serial + "/" + f)) << f;
    }
  }

  TempDir dir_;
};

}  // namespace spotbatch::testing
