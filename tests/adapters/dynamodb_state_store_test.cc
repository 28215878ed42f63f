// The DynamoDB state store against moto: the StateStore contract (another connection is a
// second adapter instance on the same table), then what only this adapter does: the table made
// on first use, conditional writes racing from two instances, jobs larger than a transaction,
// paging, big fields, throttling and cancelled transactions (through a local proxy that answers
// some requests itself), and the AWS CLI reading what the adapter wrote.
#include "adapters/aws/dynamodb_state_store.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "adapters/aws/dynamodb_items.h"
#include "aws/aws_cli.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "contract/state_store_contract.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

using nlohmann::json;

// One moto for the whole binary; every test makes its own tables. It serves one request at a
// time: its DynamoDB takes no lock, and the race tests need conditional writes that are atomic
// as DynamoDB's are.
testing::MotoServer& Moto() {
  static testing::MotoServer* moto = new testing::MotoServer({.one_request_at_a_time = true});
  return *moto;
}
testing::StaticCredentials& Credentials() {
  static testing::StaticCredentials* c = new testing::StaticCredentials();
  return *c;
}

std::string FreshTable() {
  static std::atomic<int> n{0};
  return "sb-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

DynamoDbOptions Options(const std::string& table, std::string endpoint = "") {
  DynamoDbOptions o;
  o.endpoint = endpoint.empty() ? Moto().endpoint() : endpoint;
  o.region = "us-east-1";
  o.table = table;
  o.retry = {.max_attempts = 4, .base_delay_millis = 2, .max_delay_millis = 50};
  o.shards = 3;
  return o;
}

std::unique_ptr<StateStore> OpenOn(const DynamoDbOptions& o) {
  auto s = NewDynamoDbStateStore(o, Credentials(), SystemClock());
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// Runs the AWS CLI against moto; its stdout and whether it exited 0.
std::pair<std::string, bool> Aws(const std::string& args) {
  return testing::Aws(Moto().endpoint(), args);
}

// Writes `item` with the CLI, as another client (here: a creator that died midway) would.
bool PutWithCli(const std::string& table, const json& item) {
  testing::TempDir dir;
  testing::WriteFile(dir / "item.json", item.dump());
  auto [out, ok] =
      Aws("dynamodb put-item --table-name " + table + " --item file://" + (dir / "item.json"));
  EXPECT_TRUE(ok) << out;
  return ok;
}

// The contract: each store on a fresh table; "connect" opens another instance on it.
std::mutex tables_mu;
std::map<const StateStore*, DynamoDbOptions>& Tables() {
  static auto* m = new std::map<const StateStore*, DynamoDbOptions>();
  return *m;
}
contract::StateStoreAdapter Adapter(std::string name, int page_size) {
  return {std::move(name),
          [page_size](const std::string&) -> std::unique_ptr<StateStore> {
            if (Moto().endpoint().empty()) return nullptr;
            DynamoDbOptions o = Options(FreshTable());
            o.page_size = page_size;
            auto s = OpenOn(o);
            std::lock_guard<std::mutex> lock(tables_mu);
            if (s) Tables()[s.get()] = o;
            return s;
          },
          [](StateStore& first, const std::string&) -> std::unique_ptr<StateStore> {
            DynamoDbOptions o;
            {
              std::lock_guard<std::mutex> lock(tables_mu);
              o = Tables().at(&first);
            }
            return OpenOn(o);
          }};
}

using contract::StateStoreContract;
// Default pages, and pages of two items (every Query and BatchGetItem of the suite pages).
INSTANTIATE_TEST_SUITE_P(DynamoDb, StateStoreContract,
                         ::testing::Values(Adapter("default_pages", 0), Adapter("pages_of_2", 2)),
                         contract::AdapterName);

JobRecord Job(const std::string& id) { return {id, "in/" + id, "etag", 3, 100}; }
TaskRecord Task(const std::string& job, int index = 0) {
  TaskRecord t;
  t.id = job + "-" + std::to_string(index);
  t.job_id = job;
  t.index = index;
  t.input_key = "in/" + job;
  return t;
}
std::vector<TaskRecord> Tasks(const std::string& job, int n) {
  std::vector<TaskRecord> tasks;
  for (int i = 0; i < n; ++i) tasks.push_back(Task(job, i));
  return tasks;
}

class DynamoDbStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Moto().endpoint().empty()) << Moto().log();
    table_ = FreshTable();
    store_ = OpenOn(Options(table_));
    ASSERT_NE(store_, nullptr);
  }
  std::string table_;
  std::unique_ptr<StateStore> store_;
};

TEST(DynamoDbStateStoreOpen, CreatesTheTableOnFirstUseAndChecksItsLayout) {
  ASSERT_FALSE(Moto().endpoint().empty()) << Moto().log();
  const std::string table = FreshTable();
  EXPECT_FALSE(Aws("dynamodb describe-table --table-name " + table).second);
  auto first = OpenOn(Options(table));
  ASSERT_NE(first, nullptr);
  auto [described, ok] = Aws("dynamodb describe-table --table-name " + table);
  ASSERT_TRUE(ok) << described;
  const json t = json::parse(described)["Table"];
  EXPECT_EQ(t["TableStatus"], "ACTIVE");
  EXPECT_EQ(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
  EXPECT_EQ(t["GlobalSecondaryIndexes"][0]["IndexName"], "unenqueued");
  // Opening again finds it; a second instance sees the first one's writes.
  ASSERT_TRUE(first->CreateJob(Job("j"), {Task("j")}).ok());
  auto second = OpenOn(Options(table));
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->GetTask("j-0").ok());

  ASSERT_TRUE(Aws("dynamodb create-table --table-name other-" + table +
                  " --billing-mode PAY_PER_REQUEST --attribute-definitions "
                  "AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH")
                  .second);
  auto foreign = NewDynamoDbStateStore(Options("other-" + table), Credentials(), SystemClock());
  EXPECT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition)
      << foreign.status().ToString();
}

TEST(DynamoDbStateStoreOpen, RefusesBadTableNamesAndOptions) {
  for (const char* bad : {"", "ab", "has space", "sl/ash", "ü-table"}) {
    EXPECT_EQ(NewDynamoDbStateStore(Options(bad), Credentials(), SystemClock()).status().code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(IsValidDynamoDbTableName(std::string(256, 'a')));
  EXPECT_TRUE(IsValidDynamoDbTableName(std::string(255, 'a')));
  EXPECT_TRUE(IsValidDynamoDbTableName("a.b-c_D9"));
  DynamoDbOptions o = Options("fine-name");
  o.shards = 0;
  EXPECT_EQ(NewDynamoDbStateStore(o, Credentials(), SystemClock()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(DynamoDbStateStoreTest, TheAwsCliSeesWhatTheAdapterWrote) {
  ASSERT_TRUE(store_->CreateJob(Job("cli"), {Task("cli")}).ok());
  TaskRecord t = *store_->GetTask("cli-0");
  TaskRecord next = t;
  next.version = 1;
  next.state = TaskState::kRunning;
  next.attempt_token = "tok";
  AttemptRecord a{"tok", "cli-0", 1, "w", 10, 0, AttemptOutcome::kRunning, -1, "", "", "p", 0};
  ASSERT_TRUE(store_->CommitTask(next, 0, {a}).ok());
  auto [out, ok] = Aws("dynamodb get-item --consistent-read --table-name " + table_ +
                       " --key '{\"pk\":{\"S\":\"TASK#cli-0\"},\"sk\":{\"S\":\"#T\"}}'");
  ASSERT_TRUE(ok) << out;
  const json item = json::parse(out)["Item"];
  EXPECT_EQ(item["state"]["S"], "RUNNING");
  EXPECT_EQ(item["ver"]["N"], "1");
  EXPECT_EQ(item["job"]["S"], "cli");
  EXPECT_TRUE(item.contains("uq")) << "running without a message: in the unenqueued index";
  auto [scan, scanned] = Aws("dynamodb scan --table-name " + table_);
  ASSERT_TRUE(scanned) << scan;
  SCOPED_TRACE(scan.substr(0, 3000));
  std::map<std::string, int> types;
  const json scanned_doc = json::parse(scan);
  for (const json& i : scanned_doc["Items"]) {
    ++types[i.contains("typ") ? i["typ"].value("S", "?") : i["pk"].value("S", "?").substr(0, 4)];
  }
  EXPECT_EQ(types["job"], 1);
  EXPECT_EQ(types["member"], 1);
  EXPECT_EQ(types["task"], 1);
  EXPECT_EQ(types["attempt"], 1);
  EXPECT_EQ(types["jobref"], 1);
  EXPECT_GE(types["COUN"], 1);  // counter shards: +1 QUEUED at creation, -1/+1 at the start
  EXPECT_EQ(types["SEQ"], 1);
}

// Two instances commit the same task from their own reads, as fast as they can: a commit
// computed from a version that another one moved past never lands.
TEST_F(DynamoDbStateStoreTest, AStaleVersionNeverOverwritesANewerState) {
  ASSERT_TRUE(store_->CreateJob(Job("race"), {Task("race")}).ok());
  auto a = OpenOn(Options(table_)), b = OpenOn(Options(table_));
  std::atomic<int> wins{0}, aborted{0}, other{0};
  auto run = [&](StateStore* s, int who) {
    for (int i = 0; i < 15; ++i) {
      const TaskRecord t = *s->GetTask("race-0");
      TaskRecord next = t;
      next.version = t.version + 1;
      next.attempts = t.attempts + 1;  // a counter: a lost update would show
      next.updated_unix_millis = who * 1000 + i;
      next.state = next.state == TaskState::kQueued ? TaskState::kRunning : TaskState::kQueued;
      const Status st = s->CommitTask(next, t.version, {});
      if (st.ok())
        ++wins;
      else if (st.code() == StatusCode::kAborted)
        ++aborted;
      else
        ++other;
    }
  };
  std::thread ta(run, a.get(), 1), tb(run, b.get(), 2);
  ta.join();
  tb.join();
  EXPECT_EQ(other.load(), 0);
  const TaskRecord end = *store_->GetTask("race-0");
  EXPECT_EQ(end.version, wins.load());
  EXPECT_EQ(end.attempts, wins.load()) << "every win built on the one before";
  const TaskCounts counts = *store_->CountTasks();
  EXPECT_EQ(counts.of(TaskState::kQueued) + counts.of(TaskState::kRunning), 1);
  EXPECT_EQ(counts.of(end.state), 1);
  // And an explicitly stale one.
  TaskRecord stale = end;
  stale.version = 1;
  stale.last_error = "stale";
  EXPECT_EQ(a->CommitTask(stale, 0, {}).code(), StatusCode::kAborted);
  EXPECT_EQ(*store_->GetTask("race-0"), end);
}

// 150 tasks do not fit a transaction (two items each): the job goes in steps, and a task id
// that exists at the end refuses it whole.
TEST_F(DynamoDbStateStoreTest, AJobLargerThanATransactionIsAllOrNothing) {
  ASSERT_TRUE(store_->CreateJob(Job("other"), {Task("other")}).ok());
  std::vector<TaskRecord> tasks = Tasks("big", 150);
  tasks.back().id = "other-0";  // taken
  EXPECT_EQ(store_->CreateJob(Job("big"), tasks).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetJob("big").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTask("big-0").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTask("big-148").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTask("other-0")->job_id, "other");
  EXPECT_EQ(store_->CountTasks()->of(TaskState::kQueued), 1);
  EXPECT_EQ(store_->ListUnenqueuedTasks()->size(), 1u);
  EXPECT_EQ(store_->ListJobs()->size(), 1u);
  auto [scan, ok] = Aws("dynamodb scan --table-name " + table_ + " --select COUNT");
  ASSERT_TRUE(ok) << scan;
  EXPECT_EQ(json::parse(scan)["Count"], 6)
      << "job, member, ref, task, counter, seq: the rollback deleted what the steps wrote";

  // The same job without the taken id: created whole, its tasks usable at once.
  tasks.back().id = "big-149";
  ASSERT_TRUE(store_->CreateJob(Job("big"), tasks).ok());
  auto view = store_->GetJob("big");
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->tasks.size(), 150u);
  for (int i = 0; i < 150; ++i) EXPECT_EQ(view->tasks[i], tasks[i]);
  EXPECT_EQ(store_->CountTasks()->of(TaskState::kQueued), 151);
  EXPECT_EQ(store_->ListUnenqueuedTasks()->size(), 151u);
  EXPECT_TRUE(store_->MarkEnqueued("big-7", 0).ok());
  EXPECT_EQ(store_->CreateJob(Job("big"), {Task("big", 200)}).code(), StatusCode::kAlreadyExists);
  const auto jobs = *store_->ListJobs();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[1].job.id, "big");
}

// What a creator that died midway leaves: a task pending under a token no job item has. It
// is invisible to every read and write, and a new creation takes it over once it is old.
TEST_F(DynamoDbStateStoreTest, TasksOfAnUncommittedCreationAreInvisible) {
  for (auto [id, since] : {std::pair<std::string, int64_t>{"old-0", 1}, {"new-0", 0}}) {
    TaskRecord t = Task(id.substr(0, 3));
    since = since == 1 ? 1 : SystemClock().NowUnixMillis();
    ASSERT_TRUE(PutWithCli(table_, ddb::EncodeTask(t, 3, "deadbeef", since).item));
  }
  EXPECT_EQ(store_->GetTask("old-0").status().code(), StatusCode::kNotFound);
  TaskRecord next = Task("old");
  next.version = 1;
  EXPECT_EQ(store_->CommitTask(next, 0, {}).code(), StatusCode::kAborted);
  EXPECT_EQ(store_->MarkEnqueued("old-0", 0).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListUnenqueuedTasks()->empty());
  EXPECT_EQ(store_->CountTasks()->of(TaskState::kQueued), 0);
  // Old enough to take over; a recent one is still someone's creation in progress.
  EXPECT_TRUE(store_->CreateJob(Job("old"), {Task("old")}).ok());
  EXPECT_TRUE(store_->GetTask("old-0").ok());
  EXPECT_EQ(store_->CreateJob(Job("new"), {Task("new")}).code(), StatusCode::kAlreadyExists);
}

// Pages of two: every listing crosses pages (LastEvaluatedKey) and batches.
TEST(DynamoDbStateStorePaging, ListsWholeAcrossPages) {
  ASSERT_FALSE(Moto().endpoint().empty()) << Moto().log();
  DynamoDbOptions o = Options(FreshTable());
  o.page_size = 2;
  auto store = OpenOn(o);
  ASSERT_NE(store, nullptr);
  for (int j = 0; j < 5; ++j) {
    ASSERT_TRUE(
        store->CreateJob(Job("p" + std::to_string(j)), Tasks("p" + std::to_string(j), 5)).ok());
  }
  TaskRecord t = *store->GetTask("p0-0");
  TaskRecord next = t;
  next.version = 1;
  std::vector<AttemptRecord> attempts;
  for (int n = 1; n <= 7; ++n) {
    attempts.push_back({"tok" + std::to_string(n), "p0-0", n, "w", n, n, AttemptOutcome::kFailed, 1,
                        "m", "l", "", 0});
  }
  ASSERT_TRUE(store->CommitTask(next, 0, attempts).ok());
  EXPECT_EQ(store->ListAttempts("p0-0")->size(), 7u);
  const auto jobs = *store->ListJobs();
  ASSERT_EQ(jobs.size(), 5u);
  for (int j = 0; j < 5; ++j) {
    EXPECT_EQ(jobs[j].job.id, "p" + std::to_string(j));
    EXPECT_EQ(jobs[j].tasks.size(), 5u);
  }
  EXPECT_EQ(store->GetJob("p3")->tasks.size(), 5u);
  EXPECT_EQ(store->ListUnenqueuedTasks()->size(), 25u);
  EXPECT_EQ(store->CountTasks()->of(TaskState::kQueued), 25);
}

// Fields past one item's 400 KB: outputs, errors, messages and log tails in chunks, any bytes,
// a long history; all read back whole, and a shrunken field does not pick up old chunks.
TEST_F(DynamoDbStateStoreTest, BigFieldsAndALongHistoryReadBackWhole) {
  ASSERT_TRUE(store_->CreateJob(Job("h"), {Task("h")}).ok());
  TaskRecord t = *store_->GetTask("h-0");
  std::string binary;
  for (int64_t i = 0; i < 500'000; ++i) binary += static_cast<char>((i * 7919 + i / 251) & 0xFF);
  std::vector<AttemptRecord> all;
  for (int n = 1; n <= 6; ++n) {
    TaskRecord next = t;
    next.version = t.version + 1;
    next.attempts = n;
    next.last_error = std::string(450'000, 'e') + std::to_string(n);
    next.outputs.clear();
    for (int k = 0; k < 1500; ++k) {
      next.outputs.push_back({"_spotbatch/staging/h-0/" + std::string(200, 's') + std::to_string(k),
                              "out/" + std::string(200, 'f') + std::to_string(k)});
    }
    AttemptRecord a{"tok" + std::to_string(n),
                    "h-0",
                    n,
                    "w",
                    n,
                    n + 1,
                    AttemptOutcome::kFailed,
                    n,
                    std::string(50'000, 'm'),
                    binary.substr(n * 1000),
                    "pool",
                    0};
    ASSERT_TRUE(store_->CommitTask(next, t.version, {a}).ok()) << n;
    all.push_back(a);
    t = next;
  }
  EXPECT_EQ(*store_->GetTask("h-0"), t);
  EXPECT_EQ(store_->GetJob("h")->tasks.at(0), t);
  const auto attempts = *store_->ListAttempts("h-0");
  ASSERT_EQ(attempts.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_TRUE(attempts[i] == all[i]) << i;
  // Smaller again: the stale chunks stay behind but are not read.
  TaskRecord small = t;
  small.version = t.version + 1;
  small.outputs = {{"_spotbatch/staging/x", "out/x"}};
  small.last_error = "short";
  AttemptRecord end = all.back();
  end.log_tail = "tail";
  ASSERT_TRUE(store_->CommitTask(small, t.version, {end}).ok());
  EXPECT_EQ(*store_->GetTask("h-0"), small);
  EXPECT_EQ(store_->ListAttempts("h-0")->back().log_tail, "tail");
  // Over one transaction's 4 MB: refused, nothing written.
  TaskRecord huge = small;
  huge.version = small.version + 1;
  AttemptRecord big = end;
  big.token = "huge";
  big.log_tail = std::string(4'500'000, 'x');
  EXPECT_EQ(store_->CommitTask(huge, small.version, {big}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->GetTask("h-0"), small);
}

// A proxy in front of moto that answers some requests itself: `answer` sees the target and
// the body and returns a response to send instead of forwarding (status 0: forward).
class Proxy {
 public:
  using Answer = std::function<std::pair<int, std::string>(const std::string& target,
                                                           const std::string& body)>;
  explicit Proxy(Answer answer) : answer_(std::move(answer)) {
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string target = req.get_header_value("X-Amz-Target");
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++seen_[target.substr(target.find('.') + 1)];
      }
      auto [status, body] = answer_(target, req.body);
      if (status != 0) {
        res.status = status;
        res.set_content(body, "application/x-amz-json-1.0");
        return;
      }
      httplib::Client moto(Moto().endpoint());
      httplib::Headers headers;
      for (const auto& [k, v] : req.headers) {
        if (k != "Host" && k != "Content-Length" && k != "REMOTE_ADDR" && k != "REMOTE_PORT" &&
            k != "LOCAL_ADDR" && k != "LOCAL_PORT") {
          headers.emplace(k, v);
        }
      }
      auto r = moto.Post("/", headers, req.body, req.get_header_value("Content-Type"));
      if (!r) {
        res.status = 502;
        return;
      }
      res.status = r->status;
      res.set_content(r->body, r->get_header_value("Content-Type"));
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    testing::WaitFor([&] { return server_.is_running(); }, std::chrono::seconds(10));
  }
  ~Proxy() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int seen(const std::string& action) {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_[action];
  }

 private:
  Answer answer_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> seen_;
};

std::pair<int, std::string> Throttled() {
  return {
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",)"
      R"("message":"The level of configured provisioned throughput for the table was exceeded."})"};
}

TEST_F(DynamoDbStateStoreTest, ThrottlingIsRetried) {
  ASSERT_TRUE(store_->CreateJob(Job("th"), {Task("th")}).ok());
  std::atomic<int> throttle_left{2};
  Proxy proxy([&](const std::string& target, const std::string&) -> std::pair<int, std::string> {
    if (target.ends_with(".GetItem") && throttle_left.fetch_sub(1) > 0) return Throttled();
    return {0, ""};
  });
  auto via = OpenOn(Options(table_, proxy.endpoint()));
  ASSERT_NE(via, nullptr);
  auto t = via->GetTask("th-0");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(proxy.seen("GetItem"), 3) << "two throttled, the third answered";
  // Throttled every time: kUnavailable after the policy's attempts.
  throttle_left = 1000;
  EXPECT_EQ(via->GetTask("th-0").status().code(), StatusCode::kUnavailable);
}

// A transaction cancelled by a conflict (nothing applied) is sent again; one cancelled by a
// failed condition is kAborted at once.
TEST_F(DynamoDbStateStoreTest, CancelledTransactionsAreReadByTheirReasons) {
  ASSERT_TRUE(store_->CreateJob(Job("tx"), {Task("tx")}).ok());
  std::atomic<int> conflicts_left{2};
  Proxy proxy([&](const std::string& target, const std::string&) -> std::pair<int, std::string> {
    if (target.ends_with(".TransactWriteItems") && conflicts_left.fetch_sub(1) > 0) {
      return {400, R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
                   R"("Message":"Transaction cancelled [None, TransactionConflict]",)"
                   R"("CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict"}]})"};
    }
    return {0, ""};
  });
  auto via = OpenOn(Options(table_, proxy.endpoint()));
  ASSERT_NE(via, nullptr);
  const TaskRecord t = *via->GetTask("tx-0");
  TaskRecord next = t;
  next.version = 1;
  next.state = TaskState::kRunning;
  ASSERT_TRUE(via->CommitTask(next, 0, {}).ok());
  EXPECT_EQ(proxy.seen("TransactWriteItems"), 3);
  EXPECT_EQ(*store_->GetTask("tx-0"), next);
  EXPECT_EQ(store_->CountTasks()->of(TaskState::kRunning), 1);
  conflicts_left = 1000;
  TaskRecord again = next;
  again.version = 2;
  EXPECT_EQ(via->CommitTask(again, 1, {}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->GetTask("tx-0")->version, 1);
}

// A reply lost after the commit landed (FaultyStateStore carries the call out, then reports
// it failed): the caller's retry of the same commit is kAborted, and the re-read shows the
// commit applied once, counters included.
TEST_F(DynamoDbStateStoreTest, ARetriedCommitAfterALostReplyIsAbortedAndCountedOnce) {
  ASSERT_TRUE(store_->CreateJob(Job("f"), {Task("f")}).ok());
  FaultInjector faults;
  faults.Add(
      {.method = "CommitTask", .nth = 1, .status = InjectedUnavailable(), .after_effect = true});
  FaultyStateStore faulty(*store_, faults);
  const TaskRecord t = *faulty.GetTask("f-0");
  TaskRecord next = t;
  next.version = 1;
  next.state = TaskState::kRunning;
  next.attempt_token = "a";
  AttemptRecord a{"a", "f-0", 1, "w", 5, 0, AttemptOutcome::kRunning, -1, "", "", "", 0};
  EXPECT_EQ(faulty.CommitTask(next, 0, {a}, CommitDurability::kDurable).code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(faulty.CommitTask(next, 0, {a}, CommitDurability::kDurable).code(),
            StatusCode::kAborted);
  EXPECT_EQ(*faulty.GetTask("f-0"), next);
  const TaskCounts c = *faulty.CountTasks();
  EXPECT_EQ(c.of(TaskState::kRunning), 1);
  EXPECT_EQ(c.of(TaskState::kQueued), 0);
  EXPECT_EQ(faulty.ListAttempts("f-0")->size(), 1u);
}

}  // namespace
}  // namespace spotbatch

namespace spotbatch {
namespace {

// What each port call costs in requests (docs/adapters.md quotes these), counted by a proxy
// that forwards everything.
TEST_F(DynamoDbStateStoreTest, RequestsPerOperation) {
  Proxy proxy([](const std::string&, const std::string&) {
    return std::pair<int, std::string>{0, ""};
  });
  auto via = OpenOn(Options(table_, proxy.endpoint()));
  ASSERT_NE(via, nullptr);
  std::map<std::string, int> before;
  const std::vector<std::string> actions = {"GetItem", "UpdateItem",   "TransactWriteItems",
                                            "Query",   "BatchGetItem", "DescribeTable"};
  auto delta = [&]() {
    std::map<std::string, int> d;
    for (const std::string& a : actions) {
      const int now = proxy.seen(a);
      if (now != before[a]) d[a] = now - before[a];
      before[a] = now;
    }
    return d;
  };
  using M = std::map<std::string, int>;
  EXPECT_EQ(delta(), (M{{"DescribeTable", 1}}));
  ASSERT_TRUE(via->CreateJob(Job("r"), {Task("r")}).ok());
  EXPECT_EQ(delta(), (M{{"GetItem", 1}, {"UpdateItem", 1}, {"TransactWriteItems", 1}}));
  ASSERT_TRUE(via->MarkEnqueued("r-0", 0).ok());
  EXPECT_EQ(delta(), (M{{"UpdateItem", 1}}));
  const TaskRecord t = *via->GetTask("r-0");
  EXPECT_EQ(delta(), (M{{"GetItem", 1}}));
  TaskRecord next = t;
  next.version = t.version + 1;
  next.state = TaskState::kRunning;
  AttemptRecord a{"tok", "r-0", 1, "w", 1, 0, AttemptOutcome::kRunning, -1, "", "", "", 0};
  ASSERT_TRUE(via->CommitTask(next, t.version, {a}).ok());
  EXPECT_EQ(delta(), (M{{"TransactWriteItems", 1}})) << "the state before is known from the read";
  // From another instance, which has not read the task: one GetItem for the state before.
  auto other = OpenOn(Options(table_, proxy.endpoint()));
  delta();
  TaskRecord done = next;
  done.version = next.version + 1;
  done.state = TaskState::kSucceeded;
  ASSERT_TRUE(other->CommitTask(done, next.version, {}).ok());
  EXPECT_EQ(delta(), (M{{"GetItem", 1}, {"TransactWriteItems", 1}}));
  ASSERT_TRUE(via->CountTasks().ok());
  EXPECT_EQ(delta(), (M{{"BatchGetItem", 1}}));
  ASSERT_TRUE(via->GetJob("r").ok());
  EXPECT_EQ(delta(), (M{{"Query", 1}, {"BatchGetItem", 1}}));
  ASSERT_TRUE(via->ListAttempts("r-0").ok());
  EXPECT_EQ(delta(), (M{{"Query", 1}}));
  ASSERT_TRUE(via->ListUnenqueuedTasks().ok());
  EXPECT_EQ(delta(), (M{{"Query", 3}})) << "one Query per shard; nothing found, nothing read";
  ASSERT_TRUE(via->ListJobs().ok());
  EXPECT_EQ(delta(), (M{{"Query", 3 + 1}, {"BatchGetItem", 1}})) << "shards, then each job";
  EXPECT_TRUE(via->Sync().ok());
  EXPECT_EQ(delta(), M{});
}

}  // namespace
}  // namespace spotbatch
