// What the SQS task queue (sqs_task_queue.h) writes into SQS and reads back out, with no I/O:
// the SQS queue of each priority level, queue-name checks, the receipts it hands out (which
// come back from callers: untrusted), and the messages ReceiveMessage answers (untrusted).
//
// Priority levels. SQS has no priorities, so each level is an SQS queue of its own and Lease
// asks the higher ones first. A priority P is read as task_order.h forms it:
// P = pipeline priority × kSizeRanks (257) + a size rank 0..256. Its level is
//   level = clamp(floor(P / 257), 0, pipeline_levels - 1) × 4 + band(P mod 257)
// for pipeline priorities 0..pipeline_levels-1, where the band of a size rank is 0 below 41
// (inputs under 1 KiB), 1 below 81 (under 1 MiB), 2 below 121 (under 1 GiB), 3 otherwise;
// every negative pipeline priority is level 0, every higher one the top level. So pipeline
// priorities 0..pipeline_levels-1 keep their order exactly, the size order is kept between
// the four bands only, the mapping is monotone, and a queue has at most pipeline_levels × 4
// levels (32 by default). Level 0 is the queue itself ("<queue>", where producers outside
// spotbatch send, e.g. S3 event notifications); level N > 0 is "<queue>-p<N>".
//
// Messages delayed beyond SQS's 15 minutes wait in one more SQS queue, "<queue>-later"
// (sqs_task_queue.h), so that Depth counts them as delayed. Queue names ending in
// "-p<digits>" or "-later" are therefore refused.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "spotbatch/status.h"

namespace spotbatch {

constexpr int kSqsSizeBands = 4;
constexpr int kSqsDefaultPipelineLevels = 8;
constexpr int kSqsMaxPipelineLevels = 64;
constexpr size_t kSqsMaxQueueNameBytes = 80;  // SQS's limit, prefix and suffixes included
constexpr size_t kSqsMaxReceiptHandleBytes = 1024;
constexpr size_t kSqsMaxReceiptBytes = 1200;
inline constexpr const char* kSqsLaterSuffix = "-later";

// The level of `priority` (see above); `pipeline_levels` in 1..kSqsMaxPipelineLevels.
int SqsPriorityLevel(int priority, int pipeline_levels);
// The SQS queue name of `level` of the queue named `sqs_base` (prefix included).
std::string SqsLevelQueueName(std::string_view sqs_base, int level);
// The level that `sqs_name` is of `sqs_base`, or nullopt when it is not one of its levels
// below `max_levels` (ListQueues by prefix also lists "<base>-dlq", "<base>2", ...).
std::optional<int> SqsLevelOfQueueName(std::string_view sqs_base, std::string_view sqs_name,
                                       int max_levels);

// OK when `queue` may name a spotbatch queue whose SQS names (`prefix` + queue + "-p<N>" for
// levels below `max_levels`, and + "-later") SQS accepts: 1..80 bytes of [A-Za-z0-9_-] in
// all, not ending in "-p<digits>" or "-later". kInvalidArgument naming the problem otherwise.
Status ValidateSqsQueueName(std::string_view prefix, std::string_view queue, int max_levels);

// A lease as a receipt names it: "sqs1.<queue>.<level>.<deadline>.<handle>", where <queue> is
// the spotbatch queue (without the prefix), <level> its priority level, <deadline> the unix
// millisecond at which the lease ends by the leaser's clock (when it was leased; Extend moves
// the deadline the TaskQueue keeps, not this one) and <handle> SQS's receipt handle.
struct SqsReceipt {
  std::string queue;
  int level = 0;
  int64_t deadline_unix_millis = 0;
  std::string handle;
};
std::string EncodeSqsReceipt(const SqsReceipt& receipt);
// kFailedPrecondition ("not a receipt of this queue") for anything EncodeSqsReceipt cannot
// have written (a lease that this queue never gave is as lost as a stale one, as the port
// says), with at most 40 bytes of the input quoted, control bytes escaped.
Result<SqsReceipt> DecodeSqsReceipt(std::string_view receipt);

// The message attributes the adapter writes (String type each), read back by
// ParseSqsMessage. A message from another producer has none: its id, sent time and count are
// SQS's own.
inline constexpr const char* kSqsAttrId = "sb-id";                 // the first copy's id
inline constexpr const char* kSqsAttrSent = "sb-sent";             // unix ms of the first Send
inline constexpr const char* kSqsAttrReceives = "sb-receives";     // deliveries of earlier copies
inline constexpr const char* kSqsAttrNotBefore = "sb-not-before";  // unix ms: deliverable from
inline constexpr const char* kSqsAttrLevel = "sb-level";  // in "-later": the level it goes to

// One message of a ReceiveMessage answer.
struct SqsReceived {
  std::string message_id;      // SQS's id of this copy
  std::string receipt_handle;  // 1..kSqsMaxReceiptHandleBytes printable bytes
  std::string body;
  int64_t approximate_receive_count = 0;  // >= 1
  int64_t sent_timestamp = 0;             // SQS's SentTimestamp, unix ms (0 when absent)
  // From the attributes above; nullopt when absent or not a number in range (a foreign or
  // damaged attribute is ignored rather than failing the message).
  std::optional<std::string> first_id;  // 1..128 printable bytes
  std::optional<int64_t> first_sent_unix_millis;
  std::optional<int64_t> earlier_receives;  // 0..1e9
  std::optional<int64_t> not_before_unix_millis;
  std::optional<int64_t> level;  // 0..kSqsMaxPipelineLevels*kSqsSizeBands-1
};

// Reads one element of ReceiveMessage's "Messages". kInternal (quoting nothing of the body)
// when the id, handle or body is missing, not a string, or out of bounds (`max_body_bytes`),
// or ApproximateReceiveCount is not a count >= 1.
Result<SqsReceived> ParseSqsMessage(const nlohmann::json& message, size_t max_body_bytes);

// A queue's RedrivePolicy attribute (a JSON document in a string, untrusted): the name of
// its dead-letter queue (the last ':' field of deadLetterTargetArn, an SQS queue name) and
// maxReceiveCount (1..1000, a number or a decimal string). nullopt when it is anything else.
struct SqsRedrivePolicy {
  std::string dead_letter_queue;  // the SQS name, prefix included
  int max_receive_count = 0;
};
std::optional<SqsRedrivePolicy> ParseSqsRedrivePolicy(std::string_view policy);

// The MessageAttributes value of a String attribute.
nlohmann::json SqsStringAttribute(std::string_view value);

// OK when SQS accepts `body` as a message: valid UTF-8 of the characters SQS allows (#x9,
// #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF) and at most `max_bytes` bytes;
// kInvalidArgument saying which is broken otherwise.
Status ValidateSqsBody(std::string_view body, size_t max_bytes);

}  // namespace spotbatch
