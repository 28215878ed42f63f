#include "core/task_order.h"

#include <algorithm>
#include <bit>

namespace spotbatch {

std::optional<TaskOrder> ParseTaskOrder(std::string_view name) {
  if (name == "fifo") return TaskOrder::kFifo;
  if (name == "largest_first") return TaskOrder::kLargestFirst;
  return std::nullopt;
}

const char* TaskOrderName(TaskOrder order) {
  return order == TaskOrder::kLargestFirst ? "largest_first" : "fifo";
}

int SizeRank(uint64_t bytes) {
  if (bytes == 0) return 0;
  const int width = std::bit_width(bytes);  // 1..64: the doubling
  // The two bits below the leading one: which quarter of the doubling.
  const uint64_t quarter = width >= 3 ? (bytes >> (width - 3)) & 3 : (bytes << (3 - width)) & 3;
  return 4 * (width - 1) + static_cast<int>(quarter) + 1;
}

int QueuePriority(int pipeline_priority, TaskOrder order, uint64_t input_bytes) {
  const int base = std::clamp(pipeline_priority, -kMaxPipelinePriority, kMaxPipelinePriority);
  return base * kSizeRanks + (order == TaskOrder::kLargestFirst ? SizeRank(input_bytes) : 0);
}

}  // namespace spotbatch
