#include "apps/config.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace spotbatch {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  Result<Config> Load(const std::string& text) {
    testing::WriteFile(dir_ / "sb.toml", text);
    return LoadConfig(dir_ / "sb.toml");
  }
  // The error must name the file, the line and the key.
  void ExpectError(const std::string& text, int line, const std::string& key) {
    auto c = Load(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    const std::string where = dir_ / ("sb.toml:" + std::to_string(line) + ": " + key);
    EXPECT_EQ(c.status().message().rfind(where, 0), 0u) << c.status().message();
  }
  testing::TempDir dir_;
};

constexpr const char* kMinimal = "[pipeline]\ncommand = [\"true\"]\n";

TEST_F(ConfigTest, DefaultsAndRelativePathsResolvedAgainstConfigFolder) {
  auto c = Load(std::string("[store]\npath = \"objects\"\n") + kMinimal);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->store_path, dir_ / "objects");
  EXPECT_EQ(c->state_db, dir_ / ".spotbatch/spotbatch.db");
  EXPECT_EQ(c->pipeline.input_prefix, "in/");
  EXPECT_EQ(c->pipeline.output_prefix, "out/");
  EXPECT_EQ(c->pipeline.retry.max_attempts, 3);
  EXPECT_EQ(c->workers, 4);
}

TEST_F(ConfigTest, DesignExampleParses) {
  auto c = Load(R"([store]
path = "data"

[pipeline]
input = "in/"
output = "out/"
command = ["sh", "-c", "sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"]
timeout_seconds = 3600
max_attempts = 3

[fleet]
workers = 4
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pipeline.command.size(), 6u);
  EXPECT_EQ(c->pipeline.timeout_millis, 3'600'000);
}

TEST_F(ConfigTest, PrefixWithoutSlashGetsOne) {
  auto c = Load("[pipeline]\ninput = \"inbox\"\noutput = \"results/x\"\ncommand = [\"true\"]\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->pipeline.input_prefix, "inbox/");
  EXPECT_EQ(c->pipeline.output_prefix, "results/x/");
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  ExpectError("[pipeline]\ncommand = [\"true\"]\ncomand = 1\n", 3, "pipeline.comand");
  ExpectError(std::string(kMinimal) + "[fleet]\nworkers = 2\nwrokers = 3\n", 5, "fleet.wrokers");
  ExpectError(std::string(kMinimal) + "[nonsense]\n", 3, "nonsense");
}

TEST_F(ConfigTest, WrongTypeNamesFileLineAndKey) {
  ExpectError(std::string(kMinimal) + "timeout_seconds = \"ten\"\n", 3, "pipeline.timeout_seconds");
  ExpectError(std::string(kMinimal) + "[fleet]\nworkers = \"4\"\n", 4, "fleet.workers");
  ExpectError("[pipeline]\ncommand = \"sha256sum\"\n", 2, "pipeline.command");
  ExpectError("[pipeline]\ncommand = [\"a\", 3]\n", 2, "pipeline.command");
}

TEST_F(ConfigTest, MissingCommandNamesTheKey) {
  ExpectError("[pipeline]\ninput = \"in/\"\n", 1, "pipeline.command");
  ExpectError("[store]\npath = \"x\"\n", 1, "pipeline");
}

TEST_F(ConfigTest, OutOfRangeAndBadPrefixes) {
  ExpectError(std::string(kMinimal) + "max_attempts = 0\n", 3, "pipeline.max_attempts");
  ExpectError(std::string(kMinimal) + "[fleet]\nworkers = 0\n", 4, "fleet.workers");
  ExpectError("[pipeline]\ninput = \"../in/\"\ncommand = [\"true\"]\n", 2, "pipeline.input");
  ExpectError("[pipeline]\ninput = \"data/\"\noutput = \"data/out/\"\ncommand = [\"true\"]\n", 3,
              "pipeline.output");
}

TEST_F(ConfigTest, StateDurability) {
  EXPECT_TRUE(Load(kMinimal)->state_fsync_every_commit);
  auto c = Load(std::string("[state]\ndurability = \"process-crash\"\n") + kMinimal);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->state_fsync_every_commit);
  ExpectError(std::string("[state]\ndurability = \"sometimes\"\n") + kMinimal, 2,
              "state.durability");
}

TEST_F(ConfigTest, ServerListenAndToken) {
  auto c = Load(std::string(kMinimal) + "[server]\nlisten = \"127.0.0.1:8750\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server_listen, "127.0.0.1:8750");
  EXPECT_EQ(c->token_file, dir_ / "api.token");
  ExpectError(std::string(kMinimal) + "[server]\nlisten = \"8750\"\n", 4, "server.listen");
  ExpectError(std::string(kMinimal) + "[server]\nlisten = \"h:99999999999999999999\"\n", 4,
              "server.listen");
  ExpectError(std::string(kMinimal) + "[server]\ns3_listen = \"127.0.0.1:1\"\n", 4,
              "server.s3_listen");
}

TEST_F(ConfigTest, SectionsOfLaterIssuesRefusedClearly) {
  auto c = Load(std::string(kMinimal) + "[[fleet.pool]]\nname = \"spot-a\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(
      c.status().message().find("fleet.pool: this section is not supported by this build yet"),
      std::string::npos)
      << c.status().message();
}

TEST_F(ConfigTest, SyntaxErrorNamesLine) {
  auto c = Load("[pipeline]\ncommand = [\"true\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("sb.toml:"), std::string::npos);
  EXPECT_NE(c.status().message().find("syntax error"), std::string::npos);
}

TEST_F(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfig(dir_ / "nope.toml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace spotbatch
