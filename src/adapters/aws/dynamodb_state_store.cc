#include "adapters/aws/dynamodb_state_store.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "adapters/aws/aws_json_client.h"
#include "adapters/aws/dynamodb_items.h"
#include "common/ids.h"

namespace spotbatch {
namespace {

using nlohmann::json;

constexpr const char* kIndex = "unenqueued";
// DynamoDB's transaction cap is 4 MB; the estimate of item sizes is rough, so stay under.
constexpr size_t kMaxTransactionBytes = 3'800'000;
constexpr size_t kMaxBatchGetKeys = 100;
constexpr size_t kMaxCachedTasks = 100'000;

int RandomShard(int shards) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return static_cast<int>(std::uniform_int_distribution<int>(0, shards - 1)(engine));
}

json S(std::string_view s) { return {{"S", s}}; }
json PendNames() { return {{"#pend", "pend"}, {"#pend_at", "pend_at"}}; }

// A string member of an untrusted object, "" when absent or not a string.
std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}
json N(int64_t n) { return ddb::NumberValue(n); }

// What a cancelled transaction's reasons say.
enum class Cancel { kNone, kCondition, kRetry, kInvalid };

struct TransactOutcome {
  Status status;
  int failed_condition = -1;  // the action whose condition failed
};

// ConditionalCheckFailed names the action; conflicts and throttling mean nothing applied and
// the same transaction may go again; anything else (ValidationError, item collection too big)
// will not get better.
Cancel ReadCancellation(const json& doc, int* failed) {
  *failed = -1;
  if (!doc.is_object()) return Cancel::kNone;
  auto reasons = doc.find("CancellationReasons");
  if (reasons == doc.end() || !reasons->is_array()) return Cancel::kNone;
  Cancel what = Cancel::kNone;
  for (size_t i = 0; i < reasons->size() && i < 1000; ++i) {
    const json& r = (*reasons)[i];
    if (!r.is_object()) continue;
    auto code = r.find("Code");
    if (code == r.end() || !code->is_string()) continue;
    const std::string& c = code->get_ref<const std::string&>();
    if (c == "None" || c.empty()) continue;
    if (c == "ConditionalCheckFailed") {
      *failed = static_cast<int>(i);
      return Cancel::kCondition;  // the answer, whatever else was cancelled
    }
    if (c == "TransactionConflict" || c == "ThrottlingError" ||
        c == "ProvisionedThroughputExceeded" || c == "RequestLimitExceeded") {
      what = Cancel::kRetry;
    } else if (what == Cancel::kNone) {
      what = Cancel::kInvalid;
    }
  }
  return what;
}

class DynamoDbStateStore final : public StateStore {
 public:
  DynamoDbStateStore(DynamoDbOptions options, std::unique_ptr<AwsJsonClient> client, Clock& clock)
      : options_(std::move(options)),
        retry_(options_.retry),
        client_(std::move(client)),
        clock_(clock) {}

  Status Open();

  Status CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) override;
  Result<JobView> GetJob(std::string_view job_id) override;
  Result<TaskRecord> GetTask(std::string_view task_id) override;
  Status CommitTask(const TaskRecord& next, int64_t expected_version,
                    const std::vector<AttemptRecord>& attempts,
                    CommitDurability durability) override;
  Status Sync() override { return Status::Ok(); }  // every DynamoDB write is durable
  Status MarkEnqueued(std::string_view task_id, int64_t expected_version) override;
  Result<TaskCounts> CountTasks() override;
  Result<std::vector<JobView>> ListJobs() override;
  Result<std::vector<TaskRecord>> ListUnenqueuedTasks() override;
  Result<std::vector<AttemptRecord>> ListAttempts(std::string_view task_id) override;

 private:
  const std::string& table() const { return options_.table; }

  Result<json> Call(std::string_view action, const json& input, json* error = nullptr) {
    return client_->Call(action, input, error);
  }
  // Every page of a Query (`input` without ExclusiveStartKey).
  Result<std::vector<json>> Query(json input);
  // The items of `keys` that exist (any order), read consistently.
  Result<std::vector<json>> BatchGet(const std::vector<json>& keys);
  Result<std::optional<json>> GetItem(const json& key);
  // Sends `actions` as one transaction (retrying conflicts and throttling).
  TransactOutcome Transact(const std::vector<json>& actions, bool idempotent);
  // The chunk items under `pk` whose sort key starts with `prefix`.
  Result<ddb::Chunks> ReadChunks(std::string_view pk, std::string_view prefix);
  // A task item decoded with its chunks (read when it names any).
  Result<TaskRecord> DecodeTaskItem(const json& item);
  // Whether a task item is visible: not pending, or pending under the token of a job item
  // that exists. `jobs` caches job tokens for one call ("\x01": no such job).
  Result<bool> Visible(const json& item, std::map<std::string, std::string>* jobs);
  // Clears a visible task's pending mark (helping a creator that did not get to it).
  void ClearPending(std::string_view task_id, std::string_view token);
  // The state the task had at `version`, from the cache or a read; kAborted when the task is
  // missing, invisible or at another version.
  Result<TaskState> StateAt(std::string_view task_id, int64_t version);
  void Remember(const std::string& task_id, int64_t version, TaskState state);
  // The views of `job_ids` (missing jobs skipped), tasks fetched in batches.
  Result<std::vector<JobView>> ReadJobs(const std::vector<std::string>& job_ids);
  json CounterUpdate(const int64_t delta[6]);
  // One try; `taken` names the task id that exists when that is why it failed.
  Status CreateJobOnce(const JobRecord& job, const std::vector<TaskRecord>& tasks,
                       std::string* taken);
  Status CreateJobInSteps(const JobRecord& job, const std::vector<TaskRecord>& tasks, int64_t seq,
                          std::string* taken);
  // When `task_id` is pending under a creation older than pending_takeover_millis whose job
  // item does not name it, deletes that creation's tasks and members; true when it did.
  Result<bool> ReclaimOrphans(const std::string& task_id);
  // Sends `actions` in transactions of at most max_transaction_items, each action alone when
  // its transaction fails; failures are ignored (callers only tidy up).
  void WriteBestEffort(const std::vector<json>& actions);
  void RollBack(const std::vector<json>& written_tasks, const std::vector<json>& members,
                const std::string& token);

  const DynamoDbOptions options_;
  const HttpRetryPolicy retry_;  // the backoff between rounds of a cancelled transaction
  std::unique_ptr<AwsJsonClient> client_;
  Clock& clock_;
  std::mutex mu_;
  // task id -> (version, state) last read or written here. A version is written once, so
  // the state at a version never changes: the cache can be old, never wrong.
  std::unordered_map<std::string, std::pair<int64_t, TaskState>> states_;
};

bool Utf8Id(std::string_view id) { return !id.empty() && ddb::IsUtf8(id); }

Status DynamoDbStateStore::Open() {
  auto described = Call("DescribeTable", {{"TableName", table()}});
  if (!described.ok() && described.status().code() == StatusCode::kNotFound) {
    const json create = {{"TableName", table()},
                         {"BillingMode", "PAY_PER_REQUEST"},
                         {"AttributeDefinitions",
                          {{{"AttributeName", "pk"}, {"AttributeType", "S"}},
                           {{"AttributeName", "sk"}, {"AttributeType", "S"}},
                           {{"AttributeName", "uq"}, {"AttributeType", "S"}},
                           {{"AttributeName", "tid"}, {"AttributeType", "S"}}}},
                         {"KeySchema",
                          {{{"AttributeName", "pk"}, {"KeyType", "HASH"}},
                           {{"AttributeName", "sk"}, {"KeyType", "RANGE"}}}},
                         {"GlobalSecondaryIndexes",
                          {{{"IndexName", kIndex},
                            {"KeySchema",
                             {{{"AttributeName", "uq"}, {"KeyType", "HASH"}},
                              {{"AttributeName", "tid"}, {"KeyType", "RANGE"}}}},
                            {"Projection", {{"ProjectionType", "KEYS_ONLY"}}}}}}};
    auto created = Call("CreateTable", create);
    // ResourceInUseException: another process is creating it; wait for it like our own.
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) {
      return created.status();
    }
    described = Status(StatusCode::kUnavailable, "not described yet");
  } else if (!described.ok()) {
    return described.status();
  }
  const int64_t deadline = clock_.NowUnixMillis() + options_.create_table_timeout_millis;
  int64_t wait = 50;
  for (;;) {
    if (!described.ok() && described.status().code() != StatusCode::kUnavailable &&
        described.status().code() != StatusCode::kNotFound) {
      return described.status();
    }
    if (described.ok()) {
      const json* t = described->contains("Table") ? &(*described)["Table"] : nullptr;
      if (t == nullptr || !t->is_object()) return Internal("DescribeTable: no Table in the answer");
      bool active = Str(*t, "TableStatus") == "ACTIVE";
      bool has_index = false;
      if (auto gsis = t->find("GlobalSecondaryIndexes"); gsis != t->end() && gsis->is_array()) {
        for (const json& g : *gsis) {
          if (!g.is_object() || Str(g, "IndexName") != kIndex) continue;
          has_index = true;
          if (g.contains("IndexStatus") && Str(g, "IndexStatus") != "ACTIVE") active = false;
        }
      }
      bool keys_ok = false;
      if (auto ks = t->find("KeySchema"); ks != t->end() && ks->is_array() && ks->size() == 2) {
        keys_ok = true;
        for (const json& k : *ks) {
          if (!k.is_object()) {
            keys_ok = false;
            continue;
          }
          const std::string name = Str(k, "AttributeName"), type = Str(k, "KeyType");
          if (!((name == "pk" && type == "HASH") || (name == "sk" && type == "RANGE"))) {
            keys_ok = false;
          }
        }
      }
      if (t->contains("KeySchema") && (!keys_ok || (active && !has_index))) {
        return FailedPrecondition("DynamoDB table " + table() +
                                  " does not have spotbatch's keys (pk, sk) and index " + kIndex);
      }
      if (active && has_index) return Status::Ok();
    }
    if (clock_.NowUnixMillis() >= deadline) {
      return Status(StatusCode::kDeadlineExceeded,
                    "DynamoDB table " + table() + " is not ACTIVE after " +
                        std::to_string(options_.create_table_timeout_millis) + " ms");
    }
    clock_.SleepForMillis(wait);
    wait = std::min<int64_t>(wait * 2, 2000);
    described = Call("DescribeTable", {{"TableName", table()}});
  }
}

Result<std::vector<json>> DynamoDbStateStore::Query(json input) {
  std::vector<json> items;
  input["TableName"] = table();
  if (options_.page_size > 0) input["Limit"] = options_.page_size;
  for (int page = 0;; ++page) {
    SB_ASSIGN_OR_RETURN(json out, Call("Query", input));
    auto it = out.find("Items");
    if (it == out.end() || !it->is_array()) return Internal("Query: the answer has no Items");
    for (json& item : *it) items.push_back(std::move(item));
    auto last = out.find("LastEvaluatedKey");
    if (last == out.end() || !last->is_object() || last->empty()) break;
    if (input.contains("ExclusiveStartKey") && input["ExclusiveStartKey"] == *last) {
      return Internal("Query: the service repeated its LastEvaluatedKey");
    }
    input["ExclusiveStartKey"] = std::move(*last);
  }
  return items;
}

Result<std::vector<json>> DynamoDbStateStore::BatchGet(const std::vector<json>& keys) {
  std::vector<json> items;
  const size_t batch = options_.page_size > 0
                           ? std::min(kMaxBatchGetKeys, static_cast<size_t>(options_.page_size))
                           : kMaxBatchGetKeys;
  for (size_t begin = 0; begin < keys.size(); begin += batch) {
    json pending = json::array();
    for (size_t i = begin; i < keys.size() && i < begin + batch; ++i) pending.push_back(keys[i]);
    for (int round = 0; !pending.empty(); ++round) {
      if (round > 0) {
        if (round > options_.max_conflict_retries) {
          return Unavailable("BatchGetItem: keys still unprocessed after " + std::to_string(round) +
                             " rounds");
        }
        clock_.SleepForMillis(BackoffMillis(retry_, round - 1, JitterDraw()));
      }
      const json input = {
          {"RequestItems", {{table(), {{"Keys", pending}, {"ConsistentRead", true}}}}}};
      SB_ASSIGN_OR_RETURN(json out, Call("BatchGetItem", input));
      if (auto r = out.find("Responses"); r != out.end() && r->is_object()) {
        if (auto t = r->find(table()); t != r->end() && t->is_array()) {
          for (json& item : *t) items.push_back(std::move(item));
        }
      }
      json next = json::array();
      if (auto u = out.find("UnprocessedKeys"); u != out.end() && u->is_object()) {
        if (auto t = u->find(table()); t != u->end() && t->is_object()) {
          if (auto k = t->find("Keys"); k != t->end() && k->is_array()) next = *k;
        }
      }
      if (next.size() > pending.size())
        return Internal("BatchGetItem: more keys unprocessed than asked");
      pending = std::move(next);
    }
  }
  return items;
}

Result<std::optional<json>> DynamoDbStateStore::GetItem(const json& key) {
  SB_ASSIGN_OR_RETURN(
      json out, Call("GetItem", {{"TableName", table()}, {"Key", key}, {"ConsistentRead", true}}));
  auto it = out.find("Item");
  if (it == out.end() || !it->is_object()) return std::optional<json>();
  return std::optional<json>(std::move(*it));
}

TransactOutcome DynamoDbStateStore::Transact(const std::vector<json>& actions, bool idempotent) {
  for (int round = 0;; ++round) {
    json input = {{"TransactItems", actions}};
    // The same token on the HTTP layer's resends: a resend after a lost reply is answered
    // with the first one's outcome. A new one per round: a round is a new decision.
    if (idempotent) input["ClientRequestToken"] = RandomHex(16);
    json error;
    auto out = Call("TransactWriteItems", input, &error);
    if (out.ok()) return {Status::Ok(), -1};
    int failed = -1;
    switch (ReadCancellation(error, &failed)) {
      case Cancel::kCondition:
        return {Aborted(out.status().message()), failed};
      case Cancel::kRetry:
        if (round < options_.max_conflict_retries) {
          clock_.SleepForMillis(BackoffMillis(retry_, round, JitterDraw()));
          continue;
        }
        return {Unavailable(out.status().message() + " (after " + std::to_string(round + 1) +
                            " tries)"),
                -1};
      case Cancel::kInvalid:
        return {InvalidArgument(out.status().message()), -1};
      case Cancel::kNone:
        return {out.status(), -1};
    }
  }
}

Result<ddb::Chunks> DynamoDbStateStore::ReadChunks(std::string_view pk, std::string_view prefix) {
  SB_ASSIGN_OR_RETURN(
      std::vector<json> items,
      Query({{"KeyConditionExpression", "pk = :pk AND begins_with(sk, :prefix)"},
             {"ExpressionAttributeValues", {{":pk", S(pk)}, {":prefix", S(prefix)}}},
             {"ConsistentRead", true}}));
  ddb::Chunks chunks;
  for (const json& item : items) {
    std::string bytes;
    if (ddb::TypeOf(item) != "chunk" || !ddb::ChunkBytes(item, &bytes)) continue;
    chunks[ddb::StringAttr(item, "sk")] = std::move(bytes);
  }
  return chunks;
}

Result<TaskRecord> DynamoDbStateStore::DecodeTaskItem(const json& item) {
  ddb::Chunks chunks;
  if (ddb::PartsOf(item, "out") > 0 || ddb::PartsOf(item, "err") > 0 ||
      ddb::PartsOf(item, "upl") > 0) {
    SB_ASSIGN_OR_RETURN(
        chunks, ReadChunks(ddb::StringAttr(item, "pk"), std::string("C#") + ddb::kTaskSk + "#"));
  }
  return ddb::DecodeTask(item, chunks);
}

Result<bool> DynamoDbStateStore::Visible(const json& item,
                                         std::map<std::string, std::string>* jobs) {
  const std::string pending = ddb::PendingOf(item);
  if (pending.empty()) return true;
  const std::string job_id = ddb::StringAttr(item, "job");
  auto it = jobs->find(job_id);
  if (it == jobs->end()) {
    SB_ASSIGN_OR_RETURN(std::optional<json> job,
                        GetItem(ddb::Key(ddb::JobPk(job_id), ddb::kJobSk)));
    it = jobs->emplace(job_id, job ? ddb::JobTokenOf(*job) : std::string("\x01")).first;
  }
  if (it->second != pending) return false;
  ClearPending(ddb::StringAttr(item, "tid"), pending);
  return true;
}

void DynamoDbStateStore::ClearPending(std::string_view task_id, std::string_view token) {
  // Best effort: a reader that finds the mark again checks the job again.
  (void)Call("UpdateItem", {{"TableName", table()},
                            {"Key", ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)},
                            {"UpdateExpression", "REMOVE #pend, #pend_at"},
                            {"ConditionExpression", "#pend = :token"},
                            {"ExpressionAttributeNames", PendNames()},
                            {"ExpressionAttributeValues", {{":token", S(token)}}}});
}

void DynamoDbStateStore::Remember(const std::string& task_id, int64_t version, TaskState state) {
  std::lock_guard<std::mutex> lock(mu_);
  if (states_.size() >= kMaxCachedTasks) states_.clear();
  auto [it, inserted] = states_.try_emplace(task_id, version, state);
  if (!inserted && it->second.first < version) it->second = {version, state};
}

Result<TaskState> DynamoDbStateStore::StateAt(std::string_view task_id, int64_t version) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = states_.find(std::string(task_id));
    if (it != states_.end() && it->second.first == version) return it->second.second;
  }
  SB_ASSIGN_OR_RETURN(std::optional<json> item,
                      GetItem(ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)));
  const std::string id(task_id);
  if (!item) return Aborted("task " + id + " does not exist");
  std::map<std::string, std::string> jobs;
  SB_ASSIGN_OR_RETURN(bool visible, Visible(*item, &jobs));
  if (!visible) return Aborted("task " + id + " does not exist");
  SB_ASSIGN_OR_RETURN(TaskRecord t, DecodeTaskItem(*item));
  Remember(id, t.version, t.state);
  if (t.version != version) {
    return Aborted("task " + id + " changed since version " + std::to_string(version));
  }
  return t.state;
}

json DynamoDbStateStore::CounterUpdate(const int64_t delta[6]) {
  std::string expr;
  json values = json::object();
  for (int s = 0; s < 6; ++s) {
    if (delta[s] == 0) continue;
    expr += (expr.empty() ? "ADD " : ", ") + std::string("c") + std::to_string(s) + " :d" +
            std::to_string(s);
    values[":d" + std::to_string(s)] = N(delta[s]);
  }
  // A random shard: two transactions that count pick the same item 1 in `shards` times.
  return {{"Update",
           {{"TableName", table()},
            {"Key", ddb::Key("COUNT#" + std::to_string(RandomShard(options_.shards)), "#C")},
            {"UpdateExpression", expr},
            {"ExpressionAttributeValues", values}}}};
}

Status DynamoDbStateStore::CreateJob(const JobRecord& job, const std::vector<TaskRecord>& tasks) {
  if (job.id.empty()) return InvalidArgument("job id is empty");
  if (tasks.empty()) return InvalidArgument("job " + job.id + " has no tasks");
  if (!ddb::IsUtf8(job.id)) return InvalidArgument("job id is not UTF-8");
  std::set<std::string_view> ids;
  for (const TaskRecord& t : tasks) {
    if (!Utf8Id(t.id))
      return InvalidArgument("job " + job.id + ": a task id is empty or not UTF-8");
    if (!ids.insert(t.id).second)
      return InvalidArgument("job " + job.id + ": task " + t.id + " twice");
  }
  // A task id held by a creation that died midway (pending, stale, its job never committed)
  // is reclaimed, and the creation goes again; each round reclaims one dead creation whole.
  for (int round = 0;; ++round) {
    std::string taken;
    Status s = CreateJobOnce(job, tasks, &taken);
    if (s.code() != StatusCode::kAlreadyExists || taken.empty() || round == 3) return s;
    auto reclaimed = ReclaimOrphans(taken);
    if (!reclaimed.ok() || !*reclaimed) return s;
  }
}

Status DynamoDbStateStore::CreateJobOnce(const JobRecord& job, const std::vector<TaskRecord>& tasks,
                                         std::string* taken) {
  SB_ASSIGN_OR_RETURN(std::optional<json> existing,
                      GetItem(ddb::Key(ddb::JobPk(job.id), ddb::kJobSk)));
  if (existing) return AlreadyExists("job " + job.id + " exists");
  SB_ASSIGN_OR_RETURN(json seq_out,
                      Call("UpdateItem", {{"TableName", table()},
                                          {"Key", ddb::Key("SEQ", "#S")},
                                          {"UpdateExpression", "ADD #n :one"},
                                          {"ExpressionAttributeNames", {{"#n", "n"}}},
                                          {"ExpressionAttributeValues", {{":one", N(1)}}},
                                          {"ReturnValues", "UPDATED_NEW"}}));
  int64_t seq = 0;
  if (auto a = seq_out.find("Attributes");
      a != seq_out.end() && a->is_object() && a->contains("n")) {
    seq = ddb::JobSeqOf({{"seq", (*a)["n"]}});
  }
  if (seq <= 0) return Internal("UpdateItem on SEQ: no new sequence number in the answer");

  // Job, job ref, counter, then (task, member, chunks...) per task.
  size_t actions = 3, bytes = 1000;
  for (const TaskRecord& t : tasks) {
    ddb::EncodedItem e = ddb::EncodeTask(t, options_.shards);
    actions += 2 + e.chunks.size();
    bytes += e.bytes + 200;
  }
  if (actions > static_cast<size_t>(options_.max_transaction_items) ||
      bytes > kMaxTransactionBytes) {
    return CreateJobInSteps(job, tasks, seq, taken);
  }
  std::vector<json> items;
  items.push_back({{"Put",
                    {{"TableName", table()},
                     {"Item", ddb::EncodeJob(job, seq, static_cast<int64_t>(tasks.size())).item},
                     {"ConditionExpression", "attribute_not_exists(pk)"}}}});
  json ref = ddb::Key("JOBS#" + std::to_string(seq % options_.shards), ddb::SeqSk(seq));
  ref["typ"] = S("jobref");
  ref["jid"] = S(job.id);
  items.push_back({{"Put", {{"TableName", table()}, {"Item", ref}}}});
  int64_t delta[6] = {0, 0, 0, 0, 0, 0};
  for (const TaskRecord& t : tasks) ++delta[static_cast<int>(t.state)];
  items.push_back(CounterUpdate(delta));
  std::vector<const TaskRecord*> task_of(items.size(), nullptr);
  for (const TaskRecord& t : tasks) {
    ddb::EncodedItem e = ddb::EncodeTask(t, options_.shards);
    task_of.push_back(&t);
    items.push_back({{"Put",
                      {{"TableName", table()},
                       {"Item", e.item},
                       {"ConditionExpression", "attribute_not_exists(pk)"}}}});
    TaskRecord member = t;
    member.job_id = job.id;
    items.push_back({{"Put", {{"TableName", table()}, {"Item", ddb::EncodeMember(member)}}}});
    task_of.push_back(nullptr);
    for (json& c : e.chunks) {
      items.push_back({{"Put", {{"TableName", table()}, {"Item", std::move(c)}}}});
      task_of.push_back(nullptr);
    }
  }
  TransactOutcome out = Transact(items, /*idempotent=*/true);
  if (out.status.code() == StatusCode::kAborted) {
    if (out.failed_condition > 0 && static_cast<size_t>(out.failed_condition) < task_of.size() &&
        task_of[out.failed_condition] != nullptr) {
      *taken = task_of[out.failed_condition]->id;
      return AlreadyExists("job " + job.id + ": task " + task_of[out.failed_condition]->id +
                           " exists");
    }
    return AlreadyExists("job " + job.id + " exists");
  }
  if (out.status.ok()) {
    for (const TaskRecord& t : tasks) Remember(t.id, t.version, t.state);
  }
  return out.status;
}

void DynamoDbStateStore::WriteBestEffort(const std::vector<json>& actions) {
  const size_t n = static_cast<size_t>(options_.max_transaction_items);
  for (size_t begin = 0; begin < actions.size(); begin += n) {
    const std::vector<json> batch(actions.begin() + begin,
                                  actions.begin() + std::min(actions.size(), begin + n));
    if (Transact(batch, /*idempotent=*/true).status.ok()) continue;
    for (const json& a : batch) (void)Transact({a}, /*idempotent=*/true);
  }
}

void DynamoDbStateStore::RollBack(const std::vector<json>& written_tasks,
                                  const std::vector<json>& members, const std::string& token) {
  // What stays behind (a failed delete) is pending under a token no job item has: invisible,
  // and reclaimed by a later creation of the same ids (ReclaimOrphans).
  std::vector<json> deletes;
  for (const json& key : written_tasks) {
    deletes.push_back({{"Delete",
                        {{"TableName", table()},
                         {"Key", key},
                         {"ConditionExpression", "#pend = :token"},
                         {"ExpressionAttributeNames", {{"#pend", "pend"}}},
                         {"ExpressionAttributeValues", {{":token", S(token)}}}}}});
  }
  for (const json& key : members) {
    deletes.push_back({{"Delete", {{"TableName", table()}, {"Key", key}}}});  // keyed by token
  }
  WriteBestEffort(deletes);
}

Result<bool> DynamoDbStateStore::ReclaimOrphans(const std::string& task_id) {
  SB_ASSIGN_OR_RETURN(std::optional<json> item,
                      GetItem(ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)));
  if (!item) return true;  // gone meanwhile: try again
  const std::string token = ddb::PendingOf(*item);
  int64_t since = 0;
  if (token.empty()) return false;
  if (auto a = item->find("pend_at");
      a != item->end() && a->is_object() && a->contains("N") && (*a)["N"].is_string()) {
    since = std::strtoll((*a)["N"].get<std::string>().c_str(), nullptr, 10);
  }
  // A creation commits within create_deadline_millis of its start; this one may be alive.
  if (since >= clock_.NowUnixMillis() - options_.pending_takeover_millis) return false;
  const std::string job_id = ddb::StringAttr(*item, "job");
  SB_ASSIGN_OR_RETURN(std::optional<json> job, GetItem(ddb::Key(ddb::JobPk(job_id), ddb::kJobSk)));
  if (job && ddb::JobTokenOf(*job) == token) {
    ClearPending(task_id, token);  // committed: the task is that job's
    return false;
  }
  std::vector<json> tasks = {ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)}, members;
  SB_ASSIGN_OR_RETURN(
      std::vector<json> items,
      Query({{"KeyConditionExpression", "pk = :pk AND begins_with(sk, :m)"},
             {"ExpressionAttributeValues", {{":pk", S(ddb::JobPk(job_id))}, {":m", S("M#")}}},
             {"ConsistentRead", true}}));
  for (const json& m : items) {
    if (ddb::TypeOf(m) != "member" || ddb::StringAttr(m, "ctok") != token) continue;
    members.push_back(ddb::Key(ddb::StringAttr(m, "pk"), ddb::StringAttr(m, "sk")));
    const std::string id = ddb::MemberTaskId(m);
    if (!id.empty() && id != task_id) tasks.push_back(ddb::Key(ddb::TaskPk(id), ddb::kTaskSk));
  }
  RollBack(tasks, members, token);
  return true;
}

Status DynamoDbStateStore::CreateJobInSteps(const JobRecord& job,
                                            const std::vector<TaskRecord>& tasks, int64_t seq,
                                            std::string* taken) {
  const std::string token = RandomHex(16);
  const int64_t started = clock_.NowUnixMillis();
  std::vector<json> written_tasks, members;
  std::vector<json> batch;
  std::vector<const TaskRecord*> task_of;
  size_t batch_bytes = 0;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    TransactOutcome out = Transact(batch, /*idempotent=*/true);
    if (!out.status.ok()) {
      if (out.status.code() == StatusCode::kAborted) {
        const TaskRecord* t =
            out.failed_condition >= 0 && static_cast<size_t>(out.failed_condition) < task_of.size()
                ? task_of[out.failed_condition]
                : nullptr;
        if (t != nullptr) *taken = t->id;
        return AlreadyExists("job " + job.id + ": task " + (t ? t->id : std::string("?")) +
                             " exists");
      }
      return out.status;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const json& put = batch[i]["Put"]["Item"];
      json key = ddb::Key(put["pk"]["S"].get<std::string>(), put["sk"]["S"].get<std::string>());
      if (task_of[i] != nullptr) {
        written_tasks.push_back(std::move(key));
      } else if (ddb::TypeOf(put) == "member") {
        members.push_back(std::move(key));
      }
    }
    batch.clear();
    task_of.clear();
    batch_bytes = 0;
    if (clock_.NowUnixMillis() - started > options_.create_deadline_millis) {
      return Unavailable("job " + job.id + ": creation took longer than " +
                         std::to_string(options_.create_deadline_millis) + " ms");
    }
    return Status::Ok();
  };
  Status s;
  for (const TaskRecord& t : tasks) {
    ddb::EncodedItem e = ddb::EncodeTask(t, options_.shards, token, started);
    const size_t n = 2 + e.chunks.size();
    if (n > static_cast<size_t>(options_.max_transaction_items) || e.bytes > kMaxTransactionBytes) {
      s = InvalidArgument("job " + job.id + ": task " + t.id + " is too large for DynamoDB");
      break;
    }
    if (batch.size() + n > static_cast<size_t>(options_.max_transaction_items) ||
        batch_bytes + e.bytes > kMaxTransactionBytes) {
      if (s = flush(); !s.ok()) break;
    }
    batch.push_back({{"Put",
                      {{"TableName", table()},
                       {"Item", e.item},
                       {"ConditionExpression", "attribute_not_exists(pk)"}}}});
    task_of.push_back(&t);
    TaskRecord member = t;
    member.job_id = job.id;
    batch.push_back(
        {{"Put", {{"TableName", table()}, {"Item", ddb::EncodeMember(member, token)}}}});
    task_of.push_back(nullptr);
    for (json& c : e.chunks) {
      batch.push_back({{"Put", {{"TableName", table()}, {"Item", std::move(c)}}}});
      task_of.push_back(nullptr);
    }
    batch_bytes += e.bytes + 200;
  }
  if (s.ok()) s = flush();
  if (!s.ok()) {
    RollBack(written_tasks, members, token);
    return s;
  }
  // The commit point: the job item with the token its tasks are pending under.
  std::vector<json> commit;
  commit.push_back(
      {{"Put",
        {{"TableName", table()},
         {"Item", ddb::EncodeJob(job, seq, static_cast<int64_t>(tasks.size()), token).item},
         {"ConditionExpression", "attribute_not_exists(pk)"}}}});
  json ref = ddb::Key("JOBS#" + std::to_string(seq % options_.shards), ddb::SeqSk(seq));
  ref["typ"] = S("jobref");
  ref["jid"] = S(job.id);
  commit.push_back({{"Put", {{"TableName", table()}, {"Item", ref}}}});
  int64_t delta[6] = {0, 0, 0, 0, 0, 0};
  for (const TaskRecord& t : tasks) ++delta[static_cast<int>(t.state)];
  commit.push_back(CounterUpdate(delta));
  TransactOutcome out = Transact(commit, /*idempotent=*/true);
  if (!out.status.ok()) {
    if (out.status.code() == StatusCode::kAborted) {
      RollBack(written_tasks, members, token);
      return AlreadyExists("job " + job.id + " exists");
    }
    // Did it land? Only a job item with our token says yes; roll back only on a clear no.
    auto read = GetItem(ddb::Key(ddb::JobPk(job.id), ddb::kJobSk));
    if (!read.ok()) return out.status;
    if (!*read || ddb::JobTokenOf(**read) != token) {
      RollBack(written_tasks, members, token);
      return out.status;
    }
  }
  // Committed. Clearing the marks is tidying (readers resolve them against the job item).
  std::vector<json> clears;
  for (const TaskRecord& t : tasks) {
    clears.push_back({{"Update",
                       {{"TableName", table()},
                        {"Key", ddb::Key(ddb::TaskPk(t.id), ddb::kTaskSk)},
                        {"UpdateExpression", "REMOVE #pend, #pend_at"},
                        {"ConditionExpression", "attribute_exists(pk)"},
                        {"ExpressionAttributeNames", PendNames()}}}});
    Remember(t.id, t.version, t.state);
  }
  WriteBestEffort(clears);
  return Status::Ok();
}

Result<std::vector<JobView>> DynamoDbStateStore::ReadJobs(const std::vector<std::string>& job_ids) {
  std::vector<JobView> views;
  std::vector<std::string> tokens;
  std::vector<json> keys;
  std::map<std::string, size_t> job_of_task;
  for (const std::string& id : job_ids) {
    SB_ASSIGN_OR_RETURN(std::vector<json> items,
                        Query({{"KeyConditionExpression", "pk = :pk"},
                               {"ExpressionAttributeValues", {{":pk", S(ddb::JobPk(id))}}},
                               {"ConsistentRead", true}}));
    const json* job_item = nullptr;
    for (const json& item : items) {
      if (ddb::TypeOf(item) == "job") job_item = &item;
    }
    if (job_item == nullptr) continue;
    SB_ASSIGN_OR_RETURN(JobRecord job, ddb::DecodeJob(*job_item));
    const std::string token = ddb::JobTokenOf(*job_item);
    for (const json& item : items) {
      if (ddb::TypeOf(item) != "member" || ddb::StringAttr(item, "ctok") != token) continue;
      const std::string task_id = ddb::MemberTaskId(item);
      if (task_id.empty() || job_of_task.count(task_id)) continue;
      job_of_task[task_id] = views.size();
      keys.push_back(ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk));
    }
    views.push_back(JobView{std::move(job), {}});
    tokens.push_back(token);
  }
  SB_ASSIGN_OR_RETURN(std::vector<json> task_items, BatchGet(keys));
  for (const json& item : task_items) {
    auto it = job_of_task.find(ddb::StringAttr(item, "tid"));
    if (it == job_of_task.end()) continue;
    const std::string pending = ddb::PendingOf(item);
    if (!pending.empty()) {
      if (pending != tokens[it->second]) continue;  // another creation's (cannot be ours)
      ClearPending(it->first, pending);
    }
    SB_ASSIGN_OR_RETURN(TaskRecord t, DecodeTaskItem(item));
    Remember(t.id, t.version, t.state);
    views[it->second].tasks.push_back(std::move(t));
  }
  for (JobView& v : views) {
    std::sort(v.tasks.begin(), v.tasks.end(), [](const TaskRecord& a, const TaskRecord& b) {
      return a.index != b.index ? a.index < b.index : a.id < b.id;
    });
  }
  return views;
}

Result<JobView> DynamoDbStateStore::GetJob(std::string_view job_id) {
  if (!Utf8Id(job_id)) return NotFound("no job " + std::string(job_id.substr(0, 200)));
  SB_ASSIGN_OR_RETURN(std::vector<JobView> views, ReadJobs({std::string(job_id)}));
  if (views.empty()) return NotFound("no job " + std::string(job_id));
  return std::move(views.front());
}

Result<TaskRecord> DynamoDbStateStore::GetTask(std::string_view task_id) {
  const std::string id(task_id.substr(0, 1024));
  if (!Utf8Id(task_id)) return NotFound("no task " + id.substr(0, 200));
  SB_ASSIGN_OR_RETURN(std::optional<json> item,
                      GetItem(ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)));
  if (!item) return NotFound("no task " + id);
  std::map<std::string, std::string> jobs;
  SB_ASSIGN_OR_RETURN(bool visible, Visible(*item, &jobs));
  if (!visible) return NotFound("no task " + id);
  SB_ASSIGN_OR_RETURN(TaskRecord t, DecodeTaskItem(*item));
  Remember(t.id, t.version, t.state);
  return t;
}

Status DynamoDbStateStore::CommitTask(const TaskRecord& next, int64_t expected_version,
                                      const std::vector<AttemptRecord>& attempts,
                                      CommitDurability /*durability: all durable*/) {
  if (next.version != expected_version + 1) {
    return InvalidArgument("task " + next.id + ": next version must be expected + 1");
  }
  if (!Utf8Id(next.id)) return InvalidArgument("task id is empty or not UTF-8");
  // One upsert per token: the first start, the last end (as sequential upserts would leave).
  std::vector<AttemptRecord> merged;
  for (const AttemptRecord& a : attempts) {
    if (!Utf8Id(a.token) || !Utf8Id(a.task_id)) {
      return InvalidArgument("task " + next.id +
                             ": an attempt token or task id is empty or not UTF-8");
    }
    auto same = std::find_if(merged.begin(), merged.end(), [&](const AttemptRecord& m) {
      return m.token == a.token && m.task_id == a.task_id;
    });
    if (same == merged.end()) {
      merged.push_back(a);
    } else {
      AttemptRecord end = a;
      end.number = same->number;
      end.worker = same->worker;
      end.started_unix_millis = same->started_unix_millis;
      end.pool = same->pool;
      *same = std::move(end);
    }
  }
  SB_ASSIGN_OR_RETURN(TaskState before, StateAt(next.id, expected_version));

  ddb::EncodedItem task = ddb::EncodeTask(next, options_.shards);
  std::vector<json> items;
  items.push_back({{"Put",
                    {{"TableName", table()},
                     {"Item", task.item},
                     {"ConditionExpression", "#ver = :ev AND attribute_not_exists(#pend)"},
                     {"ExpressionAttributeNames", {{"#ver", "ver"}, {"#pend", "pend"}}},
                     {"ExpressionAttributeValues", {{":ev", N(expected_version)}}}}}});
  size_t bytes = task.bytes;
  for (json& c : task.chunks)
    items.push_back({{"Put", {{"TableName", table()}, {"Item", std::move(c)}}}});
  for (const AttemptRecord& a : merged) {
    ddb::EncodedAttempt e = ddb::EncodeAttempt(a);
    std::string set, remove;
    json names = json::object(), values = json::object();
    int n = 0;
    for (const auto* fields : {&e.start, &e.end}) {
      for (const auto& [name, value] : *fields) {
        const std::string hn = "#a" + std::to_string(n), hv = ":v" + std::to_string(n);
        ++n;
        names[hn] = name;
        values[hv] = value;
        set += (set.empty() ? "" : ", ") + (fields == &e.start
                                                ? hn + " = if_not_exists(" + hn + ", " + hv + ")"
                                                : hn + " = " + hv);
      }
    }
    for (const std::string& name : e.remove) {
      const std::string hn = "#a" + std::to_string(n++);
      names[hn] = name;
      remove += (remove.empty() ? "" : ", ") + hn;
    }
    items.push_back(
        {{"Update",
          {{"TableName", table()},
           {"Key", e.key},
           {"UpdateExpression", "SET " + set + (remove.empty() ? "" : " REMOVE " + remove)},
           {"ExpressionAttributeNames", names},
           {"ExpressionAttributeValues", values}}}});
    for (json& c : e.chunks)
      items.push_back({{"Put", {{"TableName", table()}, {"Item", std::move(c)}}}});
    bytes += e.bytes;
  }
  if (before != next.state) {
    int64_t delta[6] = {0, 0, 0, 0, 0, 0};
    --delta[static_cast<int>(before)];
    ++delta[static_cast<int>(next.state)];
    items.push_back(CounterUpdate(delta));
  }
  if (items.size() > static_cast<size_t>(options_.max_transaction_items) ||
      bytes > kMaxTransactionBytes) {
    return InvalidArgument("task " + next.id + ": the commit is " + std::to_string(items.size()) +
                           " items of about " + std::to_string(bytes) +
                           " bytes, over one DynamoDB transaction");
  }
  TransactOutcome out = Transact(items, /*idempotent=*/true);
  // Only the task put has a condition; a cancellation that names none (-1) is read as its.
  if (out.status.code() == StatusCode::kAborted && out.failed_condition > 0) {
    return Internal("task " + next.id + ": an unconditional write failed its condition");
  }
  if (out.status.code() == StatusCode::kAborted) {
    // The version moved, the task is gone, or it still carries a pending mark that the job's
    // creator did not get to clear: clear it (StateAt checks the job) and go once more.
    {
      std::lock_guard<std::mutex> lock(mu_);
      states_.erase(next.id);
    }
    auto item = GetItem(ddb::Key(ddb::TaskPk(next.id), ddb::kTaskSk));
    if (item.ok() && *item && !ddb::PendingOf(**item).empty()) {
      std::map<std::string, std::string> jobs;
      auto visible = Visible(**item, &jobs);
      if (visible.ok() && *visible) {
        out = Transact(items, /*idempotent=*/true);
        if (out.status.ok()) Remember(next.id, next.version, next.state);
        return out.status.code() == StatusCode::kAborted
                   ? Aborted("task " + next.id + " changed since version " +
                             std::to_string(expected_version) + " (or does not exist)")
                   : out.status;
      }
    }
    return Aborted("task " + next.id + " changed since version " +
                   std::to_string(expected_version) + " (or does not exist)");
  }
  if (out.status.ok()) Remember(next.id, next.version, next.state);
  return out.status;
}

Status DynamoDbStateStore::MarkEnqueued(std::string_view task_id, int64_t expected_version) {
  const std::string id(task_id.substr(0, 1024));
  if (!Utf8Id(task_id)) return NotFound("no task " + id.substr(0, 200));
  const json update = {{"TableName", table()},
                       {"Key", ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)},
                       {"UpdateExpression", "SET #enq = :t, #ver = #ver + :one REMOVE #uq"},
                       {"ConditionExpression", "#ver = :ev AND attribute_not_exists(#pend)"},
                       {"ExpressionAttributeNames",
                        {{"#enq", "enq"}, {"#ver", "ver"}, {"#uq", "uq"}, {"#pend", "pend"}}},
                       {"ExpressionAttributeValues",
                        {{":t", {{"BOOL", true}}}, {":one", N(1)}, {":ev", N(expected_version)}}},
                       {"ReturnValues", "ALL_NEW"}};
  for (int round = 0; round < 2; ++round) {
    auto out = Call("UpdateItem", update);
    if (out.ok()) {
      if (auto a = out->find("Attributes"); a != out->end()) {
        std::string state = ddb::StringAttr(*a, "state");
        TaskState s;
        if (ParseTaskState(state, &s)) Remember(id, expected_version + 1, s);
      }
      return Status::Ok();
    }
    if (out.status().code() != StatusCode::kAborted) return out.status();
    SB_ASSIGN_OR_RETURN(std::optional<json> item,
                        GetItem(ddb::Key(ddb::TaskPk(task_id), ddb::kTaskSk)));
    if (!item) return NotFound("no task " + id);
    std::map<std::string, std::string> jobs;
    const bool pending = !ddb::PendingOf(*item).empty();
    SB_ASSIGN_OR_RETURN(bool visible, Visible(*item, &jobs));
    if (!visible) return NotFound("no task " + id);
    if (!pending) break;  // Visible() cleared a pending mark: try again
  }
  return Aborted("task " + id + " changed since version " + std::to_string(expected_version));
}

Result<TaskCounts> DynamoDbStateStore::CountTasks() {
  std::vector<json> keys;
  for (int k = 0; k < options_.shards; ++k)
    keys.push_back(ddb::Key("COUNT#" + std::to_string(k), "#C"));
  SB_ASSIGN_OR_RETURN(std::vector<json> items, BatchGet(keys));
  TaskCounts counts;
  for (const json& item : items) SB_RETURN_IF_ERROR(ddb::AddCounts(item, counts.by_state));
  return counts;
}

Result<std::vector<JobView>> DynamoDbStateStore::ListJobs() {
  std::vector<std::pair<int64_t, std::string>> refs;
  for (int k = 0; k < options_.shards; ++k) {
    SB_ASSIGN_OR_RETURN(
        std::vector<json> items,
        Query({{"KeyConditionExpression", "pk = :pk"},
               {"ExpressionAttributeValues", {{":pk", S("JOBS#" + std::to_string(k))}}},
               {"ConsistentRead", true}}));
    for (const json& item : items) {
      const std::string sk = ddb::StringAttr(item, "sk"), jid = ddb::StringAttr(item, "jid");
      if (jid.empty() || sk.size() != 20) continue;
      refs.emplace_back(std::strtoll(sk.c_str(), nullptr, 10), jid);
    }
  }
  std::sort(refs.begin(), refs.end());
  std::vector<std::string> ids;
  for (auto& [seq, id] : refs) ids.push_back(std::move(id));
  return ReadJobs(ids);
}

Result<std::vector<TaskRecord>> DynamoDbStateStore::ListUnenqueuedTasks() {
  std::vector<json> keys;
  std::set<std::string> seen;
  for (int k = 0; k < options_.shards; ++k) {
    SB_ASSIGN_OR_RETURN(
        std::vector<json> items,
        Query({{"IndexName", kIndex},
               {"KeyConditionExpression", "uq = :uq"},
               {"ExpressionAttributeValues", {{":uq", S("U#" + std::to_string(k))}}}}));
    for (const json& item : items) {
      const std::string pk = ddb::StringAttr(item, "pk"), sk = ddb::StringAttr(item, "sk");
      if (pk.empty() || sk != ddb::kTaskSk || !seen.insert(pk).second) continue;
      keys.push_back(ddb::Key(pk, sk));
    }
  }
  SB_ASSIGN_OR_RETURN(std::vector<json> items, BatchGet(keys));
  std::vector<TaskRecord> tasks;
  std::map<std::string, std::string> jobs;
  for (const json& item : items) {
    SB_ASSIGN_OR_RETURN(bool visible, Visible(item, &jobs));
    if (!visible) continue;
    SB_ASSIGN_OR_RETURN(TaskRecord t, DecodeTaskItem(item));
    Remember(t.id, t.version, t.state);
    // The index is eventually consistent; the consistent read is the truth.
    if (t.enqueued || IsTerminal(t.state)) continue;
    tasks.push_back(std::move(t));
  }
  std::sort(tasks.begin(), tasks.end(),
            [](const TaskRecord& a, const TaskRecord& b) { return a.id < b.id; });
  return tasks;
}

Result<std::vector<AttemptRecord>> DynamoDbStateStore::ListAttempts(std::string_view task_id) {
  if (!Utf8Id(task_id)) return std::vector<AttemptRecord>();
  SB_ASSIGN_OR_RETURN(
      std::vector<json> items,
      Query(
          {{"KeyConditionExpression", "pk = :pk AND sk > :after"},
           // Past the task item "#T": attempts "A#..." and chunks "C#..." (the task's too, unused).
           {"ExpressionAttributeValues", {{":pk", S(ddb::TaskPk(task_id))}, {":after", S("A")}}},
           {"ConsistentRead", true}}));
  ddb::Chunks chunks;
  for (const json& item : items) {
    std::string bytes;
    if (ddb::TypeOf(item) == "chunk" && ddb::ChunkBytes(item, &bytes)) {
      chunks[ddb::StringAttr(item, "sk")] = std::move(bytes);
    }
  }
  std::vector<AttemptRecord> out;
  for (const json& item : items) {
    if (ddb::TypeOf(item) != "attempt") continue;
    SB_ASSIGN_OR_RETURN(AttemptRecord a, ddb::DecodeAttempt(item, chunks));
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(), [](const AttemptRecord& a, const AttemptRecord& b) {
    return a.number != b.number ? a.number < b.number
                                : a.started_unix_millis < b.started_unix_millis;
  });
  return out;
}

}  // namespace

bool IsValidDynamoDbTableName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

AwsJsonServiceOptions DynamoDbServiceOptions(std::string endpoint, std::string region) {
  AwsJsonServiceOptions service{.endpoint = std::move(endpoint),
                                .region = std::move(region),
                                .signing_name = "dynamodb",
                                .target_prefix = "DynamoDB_20120810"};
  // A conflict with a transaction in flight applied nothing: send it again. (A cancelled
  // transaction stays kAborted here: its reasons are read by the store.)
  service.classify = [](const AwsServiceError& e) -> std::optional<StatusCode> {
    if (e.code == "TransactionConflictException") return StatusCode::kUnavailable;
    return std::nullopt;
  };
  return service;
}

Result<std::unique_ptr<StateStore>> NewDynamoDbStateStore(DynamoDbOptions options,
                                                          CredentialsProvider& credentials,
                                                          Clock& clock) {
  if (!IsValidDynamoDbTableName(options.table)) {
    return InvalidArgument("a DynamoDB table name is 3-255 characters of [A-Za-z0-9_.-]");
  }
  if (options.shards <= 0 || options.shards > 1000 || options.page_size < 0 ||
      options.page_size > 1000 || options.max_transaction_items < 4 ||
      options.max_transaction_items > 100 || options.max_conflict_retries < 0) {
    return InvalidArgument("DynamoDB options out of range (shards, page_size, transaction items)");
  }
  AwsJsonServiceOptions service = DynamoDbServiceOptions(options.endpoint, options.region);
  service.retry = options.retry;
  service.http = options.http;
  SB_ASSIGN_OR_RETURN(std::unique_ptr<AwsJsonClient> client,
                      AwsJsonClient::New(std::move(service), credentials, clock));
  auto store = std::make_unique<DynamoDbStateStore>(std::move(options), std::move(client), clock);
  SB_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace spotbatch
