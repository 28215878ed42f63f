#include "spotbatch/model.h"

#include <array>
#include <utility>

#include "spotbatch/fleet.h"
#include "spotbatch/instance_metadata.h"

namespace spotbatch {
namespace {

constexpr std::array<std::pair<TaskState, const char*>, 6> kTaskStates{{
    {TaskState::kQueued, "QUEUED"},
    {TaskState::kRunning, "RUNNING"},
    {TaskState::kPublishing, "PUBLISHING"},
    {TaskState::kSucceeded, "SUCCEEDED"},
    {TaskState::kFailed, "FAILED"},
    {TaskState::kCancelled, "CANCELLED"},
}};

constexpr std::array<std::pair<AttemptOutcome, const char*>, 8> kOutcomes{{
    {AttemptOutcome::kRunning, "RUNNING"},
    {AttemptOutcome::kSucceeded, "SUCCEEDED"},
    {AttemptOutcome::kFailed, "FAILED"},
    {AttemptOutcome::kTimedOut, "TIMED_OUT"},
    {AttemptOutcome::kInterrupted, "INTERRUPTED"},
    {AttemptOutcome::kLost, "LOST"},
    {AttemptOutcome::kReleased, "RELEASED"},
    {AttemptOutcome::kCancelled, "CANCELLED"},
}};

template <typename Enum, size_t N>
const char* NameOf(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "UNKNOWN";
}

template <typename Enum, size_t N>
bool Parse(const std::array<std::pair<Enum, const char*>, N>& table, const std::string& name,
           Enum* out) {
  for (const auto& [v, n] : table) {
    if (name == n) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

const char* TaskStateName(TaskState s) { return NameOf(kTaskStates, s); }
const char* AttemptOutcomeName(AttemptOutcome o) { return NameOf(kOutcomes, o); }
bool ParseTaskState(const std::string& name, TaskState* out) {
  return Parse(kTaskStates, name, out);
}
bool ParseAttemptOutcome(const std::string& name, AttemptOutcome* out) {
  return Parse(kOutcomes, name, out);
}

const char* InstanceStateName(InstanceState s) {
  switch (s) {
    case InstanceState::kPending:
      return "pending";
    case InstanceState::kRunning:
      return "running";
    case InstanceState::kDraining:
      return "draining";
    case InstanceState::kTerminating:
      return "terminating";
    case InstanceState::kTerminated:
      return "terminated";
  }
  return "unknown";
}

const char* SpotActionName(SpotAction a) {
  switch (a) {
    case SpotAction::kTerminate:
      return "terminate";
    case SpotAction::kStop:
      return "stop";
    case SpotAction::kHibernate:
      return "hibernate";
  }
  return "terminate";
}

}  // namespace spotbatch
