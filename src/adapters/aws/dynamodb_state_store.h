// StateStore on Amazon DynamoDB (the JSON protocol through AwsJsonClient), for fleets that
// outgrow one machine's SQLite file.
//
// One table holds everything (dynamodb_items.h has the item layout): a job's partition
// "JOB#<id>" holds the job item and one member item per task; a task's partition "TASK#<id>"
// holds the task item and one item per attempt; a sparse global secondary index "unenqueued"
// (hash `uq` = "U#<shard>", range `tid`, keys only) holds exactly the tasks that need a queue
// message; sharded counter items "COUNT#<k>" hold the number of tasks per state; sharded
// job-ref items "JOBS#<k>" hold the creation order of jobs, numbered by the "SEQ" item.
//
// How each method maps (docs/adapters.md, "DynamoDB state store", has the costs):
// - CreateJob: GetItem on the job (kAlreadyExists early), UpdateItem on SEQ, then one
//   TransactWriteItems putting the job, its job ref, every task and member (each put
//   conditional on the item not existing) and adding to a counter. A job whose items do not
//   fit one transaction (100 actions, 4 MB) is written in several: its tasks and members first,
//   each task marked pending under a creation token, then the job item carrying that token as
//   the commit point, then the marks cleared. Readers treat a pending task as missing unless
//   its job item exists with the same token, so nothing of the job is visible before the
//   commit, and a failure (a task id that exists: kAlreadyExists) deletes what was written.
// - CommitTask: TransactWriteItems: a put of the task conditional on `ver` = expected_version
//   (and no pending mark), an update per attempt (start fields only if absent, the end
//   always), and, when the state changes, a counter update. Needs the state the task had at
//   expected_version: from what this instance last read or wrote of the task, else a GetItem.
// - MarkEnqueued: UpdateItem conditional on `ver`; on failure a GetItem tells kNotFound from
//   kAborted.
// - GetTask: GetItem (ConsistentRead). GetJob: Query of the job's partition, BatchGetItem of
//   its tasks. ListJobs: Query of every JOBS shard, then as GetJob per job. CountTasks:
//   BatchGetItem of the counter shards. ListUnenqueuedTasks: Query of every "unenqueued"
//   shard, then BatchGetItem (ConsistentRead) of the tasks found, which drops any the
//   eventually consistent index still lists after a mark. ListAttempts: Query of the task's
//   partition. Every Query and BatchGetItem pages (LastEvaluatedKey, UnprocessedKeys).
//
// Where DynamoDB differs from the embedded store:
// - A failed transaction's cancellation reasons say why: a failed condition is kAborted
//   (kAlreadyExists in CreateJob); a conflict with another transaction or throttling is retried
//   here (max_conflict_retries, backed off) and then kUnavailable.
// - CommitTask takes the ClientRequestToken of DynamoDB, so a retry after a lost reply is
//   answered with the first one's success instead of kAborted. MarkEnqueued (a plain
//   UpdateItem) has no such token: a mark whose reply was lost and that the HTTP layer sent
//   again is reported kAborted although it applied (a re-read shows the task enqueued).
// - ListUnenqueuedTasks reads an eventually consistent index: a task that needs a message
//   since a moment ago may be missing from one call (the next call lists it); it never lists
//   a task that does not need one.
// - kSoft durability is the same as kDurable (every DynamoDB write is durable); Sync() does
//   nothing and succeeds.
// - Ids, tokens and job ids must be UTF-8 (they are in keys); kInvalidArgument otherwise.
//   Other text may hold any bytes (stored as binary when not UTF-8). A commit whose items are
//   over 4 MB or 100 actions in all (a task with megabytes of outputs and attempts with
//   megabytes of log tails) is kInvalidArgument.
#pragma once

#include <memory>
#include <string>

#include "adapters/aws/aws_json_client.h"
#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/http_client.h"
#include "adapters/aws/http_retry.h"
#include "spotbatch/clock.h"
#include "spotbatch/state_store.h"

namespace spotbatch {

struct DynamoDbOptions {
  std::string endpoint;  // "https://dynamodb.us-east-1.amazonaws.com", "http://127.0.0.1:8000"
  std::string region;    // "us-east-1"
  std::string table;     // 3-255 characters of [A-Za-z0-9_.-]
  // Each request's retries (throttling, 5xx, broken connections); also the backoff between
  // rounds of a transaction cancelled by a conflict.
  HttpRetryPolicy retry;
  HttpClientOptions http;
  // Shards of the counters, the job refs and the unenqueued index: each is its own partition
  // key, so writes spread over `shards` keys (1,000 WCU each). Every process on one table must
  // use the same value (readers sum or merge over all shards).
  int shards = 8;
  // The Limit of every Query (and the keys of every BatchGetItem, at most 100); 0: the
  // service's own pages (1 MB).
  int page_size = 0;
  // How long opening waits for a table it created (or found being created) to be ACTIVE.
  int64_t create_table_timeout_millis = 120'000;
  // How often one transaction is sent again after a conflict or throttling (cancelled, not
  // failed: nothing applied).
  int max_conflict_retries = 10;
  // A job of several transactions must commit within this much time of its start (else it is
  // rolled back, kUnavailable). Pending tasks older than pending_takeover_millis whose job
  // item does not name their creation (a creator that died midway) are deleted, with the rest
  // of that creation, by a new creation that needs one of their ids. The margin between the
  // two covers clock skew between processes.
  int64_t create_deadline_millis = 5 * 60'000;
  int64_t pending_takeover_millis = 15 * 60'000;
  // At most this many actions per transaction (DynamoDB's limit is 100; lower in tests).
  int max_transaction_items = 100;
};

// kInvalidArgument for a bad table name, a non-positive shard count or page size out of
// [0, 1000], or options AwsJsonClient refuses. Opens the table: DescribeTable, and when it
// is missing CreateTable (on-demand capacity; ResourceInUseException from a concurrent
// creator is fine), then waits for ACTIVE (kDeadlineExceeded after
// create_table_timeout_millis). kFailedPrecondition for a table whose keys or index are not
// this layout's. Other failures are the requests'. `credentials` and `clock` must outlive
// the store. The store is thread-safe.
// DynamoDB's JSON protocol at `endpoint` in `region`, a conflict with a transaction in flight
// classified retryable: what the store talks through, and what aws deploy and destroy use.
AwsJsonServiceOptions DynamoDbServiceOptions(std::string endpoint, std::string region);

Result<std::unique_ptr<StateStore>> NewDynamoDbStateStore(DynamoDbOptions options,
                                                          CredentialsProvider& credentials,
                                                          Clock& clock);

// True when `name` is a valid DynamoDB table name.
bool IsValidDynamoDbTableName(std::string_view name);

}  // namespace spotbatch
