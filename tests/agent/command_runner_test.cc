#include "agent/command_runner.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "agent/command_supervisor.h"
#include "test_util.h"

namespace spotbatch {
namespace {

// One supervisor per test, as one worker has one.
CommandSupervisor& Supervisor() {
  static thread_local std::unique_ptr<CommandSupervisor> s;
  if (s == nullptr || !s->alive()) s = std::move(*CommandSupervisor::Launch(SystemClock()));
  return *s;
}

TEST(CommandRunner, CapturesExitCodeAndOutputInLog) {
  testing::TempDir dir;
  CommandSpec spec{{"sh", "-c", "echo out; echo err >&2; exit 7"}, {}, dir.path(), dir / "log"};
  auto cmd = Supervisor().Start(spec);
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE((*cmd)->Wait(10'000, -1));
  EXPECT_EQ((*cmd)->exit_code(), 7);
  EXPECT_EQ((*cmd)->Describe(), "exited with status 7");
  EXPECT_EQ(testing::ReadFile(dir / "log"), "out\nerr\n");
}

TEST(CommandRunner, ArgumentsAreNotInterpretedByAShell) {
  testing::TempDir dir;
  CommandSpec spec{{"printf", "%s", "$(echo injected); rm -rf /"}, {}, dir.path(), dir / "log"};
  auto cmd = Supervisor().Start(spec);
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE((*cmd)->Wait(10'000, -1));
  EXPECT_EQ(testing::ReadFile(dir / "log"), "$(echo injected); rm -rf /");
}

TEST(CommandRunner, EnvironmentAddedAndWorkingDirectorySet) {
  testing::TempDir dir;
  CommandSpec spec{{"sh", "-c", "printf '%s %s' \"$FOO\" \"$(pwd)\""},
                   {{"FOO", "bar"}},
                   dir.path(),
                   dir / "log"};
  auto cmd = Supervisor().Start(spec);
  ASSERT_TRUE((*cmd)->Wait(10'000, -1));
  EXPECT_EQ(testing::ReadFile(dir / "log"), "bar " + dir.path());
}

TEST(CommandRunner, MissingProgramIsNotFound) {
  auto cmd = Supervisor().Start({{"definitely-not-a-program-xyz"}, {}, "", ""});
  ASSERT_FALSE(cmd.ok());
  EXPECT_EQ(cmd.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cmd.status().message(), "command not found: definitely-not-a-program-xyz");
  EXPECT_EQ(Supervisor().Start({{}, {}, "", ""}).status().code(), StatusCode::kInvalidArgument);
}

TEST(CommandRunner, TerminateEscalatesToSigkillWhenSigtermIgnored) {
  testing::TempDir dir;
  CommandSpec spec{{"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"},
                   {},
                   dir.path(),
                   dir / "log"};
  auto cmd = Supervisor().Start(spec);
  ASSERT_TRUE(testing::WaitFor([&] { return testing::ReadFile(dir / "log") == "ready\n"; }));
  (*cmd)->Terminate(100);
  EXPECT_TRUE((*cmd)->exited());
  EXPECT_EQ((*cmd)->term_signal(), SIGKILL);
}

TEST(CommandRunner, WaitReturnsEarlyWhenWakeFdReadable) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto cmd = Supervisor().Start({{"sleep", "30"}, {}, "", ""});
  ASSERT_TRUE(cmd.ok());
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE((*cmd)->Wait(10'000, fds[0]));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  (*cmd)->Terminate(0);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(CommandRunner, FindProgramSearchesPath) {
  const std::string sh = FindProgram("sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_EQ(sh.back(), 'h');
  EXPECT_EQ(::access(sh.c_str(), X_OK), 0);
  EXPECT_EQ(FindProgram("definitely-not-a-program-xyz"), "");
}

TEST(CommandRunner, CapturesTailOfLargeOutputWithoutBlocking) {
  CommandSpec spec{
      {"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a; echo END >&2"}, {}, "", ""};
  spec.capture_tail_bytes = 100;
  auto cmd = Supervisor().Start(spec);
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(testing::WaitFor([&] { return (*cmd)->Wait(100, -1); }));
  EXPECT_EQ((*cmd)->exit_code(), 0);
  const std::string tail = (*cmd)->output_tail();
  EXPECT_EQ(tail.size(), 100u);
  EXPECT_EQ(tail, std::string(96, 'a') + "END\n");
}

TEST(CommandRunner, WaitTimesOutWhileCommandKeepsWriting) {
  CommandSpec spec{{"sh", "-c", "while :; do echo x; sleep 0.01; done"}, {}, "", ""};
  spec.capture_tail_bytes = 10;
  auto cmd = Supervisor().Start(spec);
  ASSERT_TRUE(cmd.ok());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE((*cmd)->Wait(200, -1));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  (*cmd)->Terminate(0);
  EXPECT_EQ((*cmd)->output_tail().substr(0, 2), "x\n");
}

}  // namespace
}  // namespace spotbatch
