// The order in which a pipeline's queued tasks start: as they came (fifo), or the ones
// predicted to run longest first (largest_first). With heavy-tailed task lengths a long task
// that starts last finishes hours after the rest of the fleet is idle, and can miss a deadline
// whatever the fleet does then; started first, it runs while the short ones fill the fleet.
//
// Live, the prediction is the input's size: ingest folds a size rank into the queue
// priority, so the TaskQueue port (higher priority first, then older first) needs nothing new.
// The simulator sorts its waiting tasks by a predicted duration instead (sim/sim_fleet.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace spotbatch {

enum class TaskOrder { kFifo, kLargestFirst };

// "fifo" or "largest_first" (the config's spelling); nullopt for anything else.
std::optional<TaskOrder> ParseTaskOrder(std::string_view name);
const char* TaskOrderName(TaskOrder order);

// The bounds of a pipeline's own `priority`: QueuePriority stays well inside an int.
constexpr int kMaxPipelinePriority = 1'000'000;

// Ranks of input sizes: four per doubling (each 19% larger than the one below; sizes within
// a rank start in the order they came), 0 for an empty input, 256 at most.
constexpr int kSizeRanks = 257;
// Monotone: a larger input never gets a lower rank.
int SizeRank(uint64_t bytes);

// The queue priority of a task of a pipeline of priority `pipeline_priority` (clamped to
// +-kMaxPipelinePriority) whose input has `input_bytes`: the pipeline's priority scaled by
// kSizeRanks, plus the input's size rank under kLargestFirst. A pipeline of higher priority
// still goes first whatever its inputs' sizes; under kFifo every task of a pipeline gets the
// same priority, so they start oldest first, as before.
int QueuePriority(int pipeline_priority, TaskOrder order, uint64_t input_bytes);

}  // namespace spotbatch
