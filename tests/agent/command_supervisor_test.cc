#include "agent/command_supervisor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fake_clock.h"
#include "process_probe.h"
#include "test_util.h"

namespace spotbatch {
namespace {

using testing::ProcessesWithEnv;
using testing::UniqueMarker;

// A command whose processes escape its own, each marked with SB_PROBE=<marker>: a background
// job in its group, one that left the group and session (setsid), and that one's children.
// Then it runs `last` (where $M is the marker).
CommandSpec Escaping(const std::string& marker, const std::string& last) {
  return {{"sh", "-c",
           "M=$1; SB_PROBE=$M sleep 37 & SB_PROBE=$M setsid sh -c 'sleep 38 & sleep 39' & " + last,
           "_", marker},
          {},
          "",
          ""};
}
constexpr size_t kEscapees = 4;

TEST(CommandSupervisorTest, NothingACommandStartedOutlivesIt) {
  testing::TempDir dir;
  auto supervisor = *CommandSupervisor::Launch(SystemClock());
  const std::string marker = UniqueMarker();
  auto cmd = supervisor->Start(
      Escaping(marker, "while [ ! -e " + dir / "go" + " ]; do sleep 0.01; done; exit 3"));
  ASSERT_TRUE(cmd.ok()) << cmd.status().ToString();
  ASSERT_TRUE(testing::WaitFor([&] { return ProcessesWithEnv(marker).size() == kEscapees; }));
  testing::WriteFile(dir / "go", "");
  ASSERT_TRUE((*cmd)->Wait(30'000, -1));
  EXPECT_EQ((*cmd)->exit_code(), 3);
  // Reported only once everything below the supervisor is gone: no waiting here.
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<pid_t>{});
}

TEST(CommandSupervisorTest, WorkerKilledWithSigkillLeavesItsCommandRunning) {
  const std::string marker = UniqueMarker();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t worker = ::fork();
  if (worker == 0) {  // a stand-in worker: starts the command, then waits to be killed
    auto supervisor = CommandSupervisor::Launch(SystemClock());
    if (!supervisor.ok()) ::_exit(1);
    auto cmd = (*supervisor)->Start(Escaping(marker, "SB_PROBE=$M sleep 40"));
    if (!cmd.ok()) ::_exit(2);
    (void)!::write(ready[1], "x", 1);
    while (true) ::pause();
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_TRUE(testing::WaitFor([&] { return ProcessesWithEnv(marker).size() == kEscapees + 1; }))
      << ProcessesWithEnv(marker).size();
  ASSERT_EQ(::kill(worker, SIGKILL), 0);
  ASSERT_EQ(::waitpid(worker, nullptr, 0), worker);
  EXPECT_TRUE(
      testing::WaitFor([&] { return ProcessesWithEnv(marker).empty(); }, std::chrono::seconds(10)))
      << ProcessesWithEnv(marker).size() << " processes outlived their worker";
}

TEST(CommandSupervisorTest, DestroyingTheSupervisorKillsItsCommand) {
  const std::string marker = UniqueMarker();
  auto supervisor = *CommandSupervisor::Launch(SystemClock());
  auto cmd = supervisor->Start(Escaping(marker, "SB_PROBE=$M sleep 40"));
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(testing::WaitFor([&] { return ProcessesWithEnv(marker).size() == kEscapees + 1; }));
  supervisor.reset();  // returns once the supervisor has exited, after its sweep
  EXPECT_TRUE((*cmd)->exited());
  EXPECT_EQ(ProcessesWithEnv(marker), std::vector<pid_t>{});
}

TEST(CommandSupervisorTest, KilledSupervisorOrphansItsCommandAndRefusesNewOnes) {
  auto supervisor = *CommandSupervisor::Launch(SystemClock());
  auto cmd = supervisor->Start({{"sleep", "40"}, {}, "", ""});
  ASSERT_TRUE(cmd.ok());
  ASSERT_EQ(::kill(supervisor->pid(), SIGKILL), 0);
  ASSERT_TRUE((*cmd)->Wait(30'000, -1));
  EXPECT_EQ((*cmd)->Describe(), "killed: its command supervisor exited");
  EXPECT_FALSE(supervisor->alive());
  // The command itself dies with its supervisor (PDEATHSIG).
  EXPECT_TRUE(testing::WaitFor([&] { return ::kill((*cmd)->pid(), 0) != 0; }));
  EXPECT_EQ(supervisor->Start({{"true"}, {}, "", ""}).status().code(), StatusCode::kUnavailable);
}

TEST(CommandSupervisorTest, OneCommandAtATime) {
  auto supervisor = *CommandSupervisor::Launch(SystemClock());
  auto first = supervisor->Start({{"sleep", "40"}, {}, "", ""});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(supervisor->Start({{"true"}, {}, "", ""}).status().code(),
            StatusCode::kFailedPrecondition);
  (*first)->Terminate(0);
  auto second = supervisor->Start({{"true"}, {}, "", ""});
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Wait(30'000, -1));
  EXPECT_EQ((*second)->exit_code(), 0);
}

TEST(CommandSupervisorTest, WaitPassesTheInjectedClocksTime) {
  FakeClock clock(0);
  auto supervisor = *CommandSupervisor::Launch(clock);
  auto cmd = supervisor->Start({{"sleep", "40"}, {}, "", ""});
  ASSERT_TRUE(cmd.ok());
  EXPECT_FALSE((*cmd)->Wait(3'600'000, -1));  // an hour of fake time, at once
  EXPECT_EQ(clock.NowUnixMillis(), 3'600'000);
  (*cmd)->Terminate(0);
  EXPECT_EQ((*cmd)->term_signal(), SIGKILL);
}

TEST(CommandSupervisorTest, SupervisorHoldsNoDescriptorOfTheWorker) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);  // not close-on-exec: a fork inherits it
  auto supervisor = *CommandSupervisor::Launch(SystemClock());
  ::close(p[1]);
  // Once it has run a command, the supervisor has long closed what it inherited.
  auto cmd = supervisor->Start({{"true"}, {}, "", ""});
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE((*cmd)->Wait(30'000, -1));
  ASSERT_EQ(::fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
  char c;
  // Were the supervisor holding the write end, this would be EAGAIN, not EOF.
  EXPECT_EQ(::read(p[0], &c, 1), 0);
  ::close(p[0]);
}

TEST(CommandSupervisorTest, OversizedCommandLineIsRefused) {
  auto supervisor = *CommandSupervisor::Launch(SystemClock());
  auto cmd = supervisor->Start({{"true", std::string(5 << 20, 'x')}, {}, "", ""});
  EXPECT_EQ(cmd.status().code(), StatusCode::kInvalidArgument);
  auto ok = supervisor->Start({{"true"}, {}, "", ""});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE((*ok)->Wait(30'000, -1));
}

}  // namespace
}  // namespace spotbatch
