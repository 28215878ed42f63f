#include "agent/attempt_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "test_util.h"

namespace spotbatch {
namespace {

std::map<std::string, std::string> EnvOf(const CommandSpec& spec) {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : spec.env) EXPECT_TRUE(env.emplace(k, v).second) << "twice: " << k;
  return env;
}

TaskRecord Task() {
  TaskRecord t;
  t.id = "job1-0007";
  t.input_key = "in/batch/{name}.txt";  // untrusted text that looks like a placeholder
  t.attempts = 3;
  return t;
}

TEST(AttemptCommandTest, PathsLiveInTheScratchFolder) {
  const AttemptPaths p = AttemptPaths::For("/w", "a.txt");
  EXPECT_EQ(p.input, "/w/input/a.txt");
  EXPECT_EQ(p.input_dir, "/w/input");
  EXPECT_EQ(p.output_dir, "/w/output");
  EXPECT_EQ(p.checkpoint_dir, "/w/checkpoint");
  EXPECT_EQ(p.deadline_file, "/w/deadline");
  EXPECT_EQ(p.spare_input, "/w/.spare-input");
}

TEST(AttemptCommandTest, FillsEveryPlaceholderOnceAndTheEnvironment) {
  auto command = CommandTemplate::Parse({"/bin/tool", "{input}", "-o", "{output_dir}/{name}.out",
                                         "--ck={checkpoint_dir}", "{key}", "{config_dir}/model"});
  ASSERT_TRUE(command.ok());
  const TaskRecord task = Task();
  const AttemptPaths paths = AttemptPaths::For("/w", "{name}.txt");
  ProgramResolver programs;
  const CommandSpec spec =
      AttemptCommand(*command, paths, task, "/etc/pipe", 1'700'000'123'999, 4096, programs);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"/bin/tool", "/w/input/{name}.txt", "-o",
                                                 "/w/output/{name}.txt.out", "--ck=/w/checkpoint",
                                                 "in/batch/{name}.txt", "/etc/pipe/model"}));
  EXPECT_EQ(spec.cwd, "/w");
  EXPECT_EQ(spec.capture_tail_bytes, 4096u);
  const auto env = EnvOf(spec);
  EXPECT_EQ(env, (std::map<std::string, std::string>{
                     {"SPOTBATCH_INPUT", "/w/input/{name}.txt"},
                     {"SPOTBATCH_OUTPUT_DIR", "/w/output"},
                     {"SPOTBATCH_CHECKPOINT_DIR", "/w/checkpoint"},
                     {"SPOTBATCH_KEY", "in/batch/{name}.txt"},
                     {"SPOTBATCH_ATTEMPT", "3"},
                     {"SPOTBATCH_TASK_ID", "job1-0007"},
                     {"SPOTBATCH_DEADLINE", "1700000123"},  // whole seconds, rounded down
                     {"SPOTBATCH_DEADLINE_FILE", "/w/deadline"},
                 }));
}

TEST(AttemptCommandTest, ProgramsAreFoundOnPathOnceAndPathsAreLeftAlone) {
  testing::TempDir bin;
  testing::WriteFile(bin / "my-tool", "#!/bin/sh\n");
  ASSERT_EQ(::chmod((bin / "my-tool").c_str(), 0755), 0);
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path ? old_path : "";
  ::setenv("PATH", ("/nonexistent:" + bin.path()).c_str(), 1);
  ProgramResolver programs;
  EXPECT_EQ(programs.Resolve("my-tool"), bin / "my-tool");
  EXPECT_EQ(programs.Resolve("./my-tool"), "./my-tool") << "a path is never searched";
  EXPECT_EQ(programs.Resolve("no-such-tool-here"), "no-such-tool-here")
      << "left for exec to fail with 127";
  ::setenv("PATH", "/nonexistent", 1);
  EXPECT_EQ(programs.Resolve("my-tool"), bin / "my-tool") << "searched once per worker";
  ::setenv("PATH", saved.c_str(), 1);

  auto command = CommandTemplate::Parse({"my-tool", "{input}"});
  ASSERT_TRUE(command.ok());
  const CommandSpec spec =
      AttemptCommand(*command, AttemptPaths::For("/w", "a"), Task(), "", 0, 0, programs);
  EXPECT_EQ(spec.argv[0], bin / "my-tool");
}

}  // namespace
}  // namespace spotbatch
