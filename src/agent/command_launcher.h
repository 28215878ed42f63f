// CommandLauncher: how a worker starts the commands of its attempts. The real one keeps a
// CommandSupervisor (command_supervisor.h) and launches a new one when it is gone; tests wrap
// it to make starts fail (FaultyCommandLauncher, src/testing/faulty_ports.h).
#pragma once

#include <memory>

#include "agent/command_runner.h"
#include "spotbatch/clock.h"
#include "spotbatch/status.h"

namespace spotbatch {

class CommandLauncher {
 public:
  virtual ~CommandLauncher() = default;
  // Starts `spec`. A retryable status (kUnavailable, kResourceExhausted) is this machine's
  // fault: no process, descriptor or memory to spare; another attempt may succeed. Any other
  // failure is the command's own: kNotFound when argv[0] cannot be found or executed,
  // kInvalidArgument for an empty argv or one over the size limit.
  virtual Result<std::unique_ptr<RunningCommand>> Start(const CommandSpec& spec) = 0;
};

// The launcher of a worker: one CommandSupervisor at a time, launched at the first start and
// again after it died.
class SupervisedLauncher final : public CommandLauncher {
 public:
  explicit SupervisedLauncher(Clock& clock);
  ~SupervisedLauncher() override;  // the supervisor kills whatever still runs below it
  Result<std::unique_ptr<RunningCommand>> Start(const CommandSpec& spec) override;

 private:
  Clock& clock_;
  std::unique_ptr<class CommandSupervisor> supervisor_;
};

}  // namespace spotbatch
