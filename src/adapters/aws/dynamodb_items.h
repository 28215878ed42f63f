// How the DynamoDB state store (dynamodb_state_store.h) lays jobs, tasks and attempts out as
// DynamoDB items, in the JSON form of the DynamoDB API ({"attr": {"S": "..."}, ...}), and how
// it reads them back. Items read back are untrusted input: every decoder checks types and
// ranges and fails with kDataLoss (never a crash, never an exception) on anything it cannot
// read, quoting at most a couple hundred bytes.
//
// Single-table layout (every key attribute a string):
//
//   item          pk                 sk                     what
//   job           JOB#<job id>       #J                     the JobRecord, its seq and task count
//   member        JOB#<job id>       M#<index+2^31, 10 d>#<task id>#<creation token>   per task
//   task          TASK#<task id>     #T                     the TaskRecord
//   attempt       TASK#<task id>     A#<token>              one AttemptRecord
//   chunk         (owner's pk)       C#<owner sk>#<f>#<n 4 d>   part n of a big field f
//   job ref       JOBS#<seq % shards> <seq, 20 digits>      creation order of jobs
//   counter       COUNT#<shard>      #C                     tasks per state (c0..c5), sharded
//   sequence      SEQ                #S                     the last job seq handed out
//
// A task carries `uq` = "U#<shard>" (and `tid`, its id) only while it is not terminal and not
// enqueued: the sparse global secondary index "unenqueued" (hash uq, range tid, keys only)
// holds exactly the tasks that need a queue message.
//
// Fields that can grow without bound (a task's outputs and last error, an attempt's message
// and log tail) are kept inline up to kInlineBytes; a longer one is cut into chunk items of at
// most kChunkBytes, written in the same transaction as their owner, and the owner records how
// many there are (`<f>_parts`), so a reader never mixes the chunks of two writes. Text that is
// not UTF-8 is stored as a binary (B) value, so that any bytes round-trip.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/model.h"
#include "spotbatch/status.h"

namespace spotbatch::ddb {

inline constexpr size_t kInlineBytes = 32 * 1024;
inline constexpr size_t kChunkBytes = 300 * 1024;  // + key and names: under the 400 KB item cap
inline constexpr int kMaxParts = 64;               // 19 MB per field; transactions stop sooner

// Sort keys of the fixed items, and key builders.
inline constexpr const char* kJobSk = "#J";
inline constexpr const char* kTaskSk = "#T";
std::string JobPk(std::string_view job_id);
std::string TaskPk(std::string_view task_id);
std::string AttemptSk(std::string_view token);
// With the creation token, so that two creations of one job never write the same member.
std::string MemberSk(int index, std::string_view task_id, std::string_view creation_token = "");
std::string ChunkSk(std::string_view owner_sk, std::string_view field, int n);
std::string SeqSk(int64_t seq);  // 20 digits: sorts as the number
// A stable hash of an id into [0, shards): FNV-1a, the same in every process.
int ShardOf(std::string_view id, int shards);

// {"pk": {"S": pk}, "sk": {"S": sk}}.
nlohmann::json Key(std::string_view pk, std::string_view sk);

// Chunks of the items an owner spilled into, by sort key (bytes of each chunk).
using Chunks = std::map<std::string, std::string, std::less<>>;

// An item to write whole and the chunk items that go with it.
struct EncodedItem {
  nlohmann::json item;                 // attributes, keys included
  std::vector<nlohmann::json> chunks;  // whole chunk items
  size_t bytes = 0;                    // approximate stored size, for the 4 MB transaction cap
};

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool IsUtf8(std::string_view s);
// Standard base64 with padding; Base64Decode fails on anything else.
std::string Base64Encode(std::string_view bytes);
bool Base64Decode(std::string_view text, std::string* out);

// A string value: {"S": s} when s is UTF-8, else {"B": base64(s)}.
nlohmann::json TextValue(std::string_view s);
nlohmann::json NumberValue(int64_t n);

// The task item. `shards` picks its "unenqueued" shard; `pending` (non-empty) marks a task of
// a job whose creation is not committed yet (dynamodb_state_store.cc: large jobs).
EncodedItem EncodeTask(const TaskRecord& t, int shards, std::string_view pending = "",
                       int64_t pending_since_millis = 0);
// Reads a task item with the chunks it names (missing ones are kDataLoss).
Result<TaskRecord> DecodeTask(const nlohmann::json& item, const Chunks& chunks);
// The creation token a task item is pending under; "" when it is committed.
std::string PendingOf(const nlohmann::json& item);
// How many chunks a field of `item` names (0: inline), -1 when malformed.
int PartsOf(const nlohmann::json& item, std::string_view field);

// An attempt as an upsert: `start` attributes are written only when the item is new (number,
// worker, started, pool, task id), `end` ones always; `remove` lists attributes that the end
// drops (a field that moved from inline to chunks or back).
struct EncodedAttempt {
  nlohmann::json key;
  std::map<std::string, nlohmann::json> start;
  std::map<std::string, nlohmann::json> end;
  std::vector<std::string> remove;
  std::vector<nlohmann::json> chunks;
  size_t bytes = 0;
};
EncodedAttempt EncodeAttempt(const AttemptRecord& a);
// The whole item an upsert of a new attempt leaves (for tests and the fuzzer).
nlohmann::json AttemptItemOf(const EncodedAttempt& e);
Result<AttemptRecord> DecodeAttempt(const nlohmann::json& item, const Chunks& chunks);

// The job item; `creation_token` is empty for a job created in one transaction.
EncodedItem EncodeJob(const JobRecord& j, int64_t seq, int64_t task_count,
                      std::string_view creation_token = "");
Result<JobRecord> DecodeJob(const nlohmann::json& item);
// The job item's seq and creation token (a job of several transactions; "" otherwise).
int64_t JobSeqOf(const nlohmann::json& item);
std::string JobTokenOf(const nlohmann::json& item);

// The member item of a task under its job, and its task id back ("" when malformed).
nlohmann::json EncodeMember(const TaskRecord& t, std::string_view creation_token = "");
std::string MemberTaskId(const nlohmann::json& item);

// The item type ("task", "attempt", "chunk", "job", "member", ...), "" when there is none.
std::string TypeOf(const nlohmann::json& item);
// A string attribute (S or B), or "" when absent or malformed.
std::string StringAttr(const nlohmann::json& item, std::string_view name);
// A chunk item's bytes; false when malformed.
bool ChunkBytes(const nlohmann::json& item, std::string* out);

// Reads the counter items' c0..c5 and adds them to `by_state`; kDataLoss when malformed.
Status AddCounts(const nlohmann::json& item, int64_t by_state[6]);

}  // namespace spotbatch::ddb
