// TaskQueue on Amazon SQS standard queues (JSON protocol through AwsJsonClient). How each
// port call maps to SQS requests, and the limits, are in docs/adapters.md ("SQS task queue");
// the names it gives SQS queues and the priority levels are in sqs_codec.h. In short:
//
// - A spotbatch queue "q" is up to pipeline_levels × 4 SQS queues, "<prefix>q" (level 0) and
//   "<prefix>q-p<N>", one per coarsened priority level (sqs_codec.h); Lease asks the levels
//   that exist (ListQueues by prefix, cached for level_refresh_millis) highest first. Ordering
//   within a level is SQS's: best effort, not FIFO (moto happens to be FIFO).
// - Configure creates the queue and its dead-letter queue (CreateQueue without attributes is
//   idempotent) and sets RedrivePolicy with SetQueueAttributes on every level, so a later
//   Configure's options hold. maxReceiveCount is max_receives + 1 (at most SQS's 1000): the
//   adapter itself moves a message delivered more than max_receives times (a copy to the
//   dead-letter queue, whose count starts afresh as the port says, then DeleteMessage); SQS's
//   own redrive, which keeps the count, is the backstop when the adapter crashed in between.
//   A queue used before Configure is created without a RedrivePolicy (no limit), and its
//   dead-letter queue is "<queue>-dlq", as the SQLite adapter does.
// - Releases with a delay are copies: the message is sent again (with its first id, sent
//   time and earlier deliveries as message attributes, so receive_count goes on) and the
//   leased copy deleted; so SQS counts it as delayed, not in flight. A delay up to SQS's 15
//   minutes is SendMessage's DelaySeconds; a longer one sends the message to the queue's
//   "<queue>-later" queue (DelaySeconds 900, with the time it is due and its level as
//   attributes). Lease and Depth (at most every later_poll_millis) receive what has become
//   visible there and send it on: to its level, delayed by SQS for what is left, once at most
//   15 minutes are left, else back to "-later". These hidden deliveries are copies too, so
//   they count neither towards receive_count nor towards SQS's maxReceiveCount (the "-later"
//   queue has no RedrivePolicy). Depth counts everything in "-later" as delayed. A crash
//   between a copy's send and the original's delete leaves both: at-least-once, as the port
//   allows.
// - Stale receipts. SQS does not fence them: on a standard queue an old receipt handle may
//   still delete a message that was delivered again (the AWS knowledge center: "older
//   receipt handles might succeed"), and moto accepts every handle a message ever had. So the
//   adapter fences by time: a receipt carries its lease's deadline (by the injected clock, a
//   safety margin before SQS's, which is rounded up to whole seconds) and the TaskQueue keeps
//   the deadline of each lease it gave or extended and whether it was settled (deleted,
//   released, dead-lettered). A call with a receipt past its deadline, or settled, is
//   kFailedPrecondition without asking SQS; SQS's own refusals (ReceiptHandleIsInvalid,
//   MessageNotInflight, InvalidParameterValue "the receipt handle has expired") are
//   kFailedPrecondition too. What this cannot see: a settlement made through another
//   TaskQueue instance (a second Delete of a deleted message through another instance
//   succeeds on SQS), an Extend made through another instance (the receipt's own deadline is
//   then refused early: lease lost, which is safe), and clocks that disagree with SQS's by
//   more than the margin.
// - Release with a delay and DeadLetter need the message's body, which the TaskQueue that
//   leased it keeps until the lease's deadline; through another instance Release(delay) only
//   hides the message (ChangeMessageVisibility: it then counts as in flight, not delayed) and
//   DeadLetter is kFailedPrecondition.
// - SQS caps a lease at 12 hours from its receive: an Extend past that is kFailedPrecondition.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "adapters/aws/aws_json_client.h"
#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_retry.h"
#include "adapters/aws/sqs_codec.h"
#include "spotbatch/clock.h"
#include "spotbatch/task_queue.h"

namespace spotbatch {

struct SqsQueueOptions {
  std::string endpoint;           // "https://sqs.us-east-1.amazonaws.com", or a loopback moto
  std::string region;             // "us-east-1"
  std::string queue_name_prefix;  // prepended to every SQS queue name: "prod-"
  HttpRetryPolicy retry;
  HttpClientOptions http;
  // Pipeline priorities 0..pipeline_levels-1 keep their order (sqs_codec.h); 1..64.
  int pipeline_levels = kSqsDefaultPipelineLevels;
  // How long the list of a queue's levels (and its RedrivePolicy, when another process
  // configured it) is trusted before it is read again.
  int64_t level_refresh_millis = 60'000;
  // How often (at most) Lease and Depth look for due messages in a queue's "-later" queue.
  int64_t later_poll_millis = 1'000;
  // A lease ends this much earlier (at most half its length) by the adapter's clock than by
  // SQS's: the time a settling request may take to reach SQS, and clock skew.
  int64_t lease_safety_millis = 1'000;
  // The largest body Send takes: SQS's 256 KiB less 1 KiB for the adapter's message
  // attributes, which count towards SQS's limit.
  size_t max_body_bytes = 256 * 1024 - 1024;
};

// SQS's JSON protocol at `endpoint` in `region`, with SQS's own error codes classified: what
// the queue talks through, and what a caller making queues of its own (aws deploy) uses.
AwsJsonServiceOptions SqsServiceOptions(std::string endpoint, std::string region);

// kInvalidArgument for options AwsJsonClient refuses (endpoint, region) or out of range.
// `credentials` and `clock` must outlive the queue. Thread-safe.
Result<std::unique_ptr<TaskQueue>> NewSqsTaskQueue(SqsQueueOptions options,
                                                   CredentialsProvider& credentials, Clock& clock);

}  // namespace spotbatch
