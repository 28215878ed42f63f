// What a pipeline does, as the agent needs it (the config parser fills this in).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/task_machine.h"
#include "core/task_order.h"

namespace spotbatch {

struct PipelineSpec {
  std::string input_prefix = "in/";
  std::string output_prefix = "out/";
  std::vector<std::string> command;
  int64_t timeout_millis = 3600 * 1000;
  RetryPolicy retry;
  std::string queue = "tasks";
  int priority = 0;  // a pipeline of higher priority goes first (core/task_order.h)
  TaskOrder order = TaskOrder::kFifo;  // within the pipeline: oldest first, or largest input
  std::string config_dir;  // the {config_dir} placeholder: scripts shipped beside the config
};

}  // namespace spotbatch
