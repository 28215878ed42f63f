#include "agent/command_launcher.h"

#include "agent/command_supervisor.h"

namespace spotbatch {

SupervisedLauncher::SupervisedLauncher(Clock& clock) : clock_(clock) {}
SupervisedLauncher::~SupervisedLauncher() = default;

Result<std::unique_ptr<RunningCommand>> SupervisedLauncher::Start(const CommandSpec& spec) {
  if (supervisor_ == nullptr || !supervisor_->alive()) {
    auto launched = CommandSupervisor::Launch(clock_);
    if (!launched.ok()) {
      return Status(launched.status().code(),
                    "cannot start the command supervisor: " + launched.status().message());
    }
    supervisor_ = std::move(*launched);
  }
  return supervisor_->Start(spec);
}

}  // namespace spotbatch
