// The SQS task queue against moto (one per test binary, started through moto_timewarp.py so
// that its SQS clock follows each test's FakeClock), with the AWS CLI as an independent
// client; and against a tiny local server for throttling.
#include "adapters/aws/sqs_task_queue.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/aws_cli.h"
#include "aws/moto_clock.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "contract/task_queue_contract.h"
#include "core/task_order.h"

namespace spotbatch {
namespace {

testing::MotoServer& Moto() {
  static testing::MotoServer* moto =
      new testing::MotoServer({.clock = testing::MotoClock::kWarpable});
  return *moto;
}

testing::StaticCredentials& Credentials() {
  static testing::StaticCredentials* c = new testing::StaticCredentials();
  return *c;
}

// Every test gets SQS names of its own on the one moto.
std::string FreshPrefix() {
  static std::atomic<int> next{0};
  return "t" + std::to_string(next++) + "-";
}

SqsQueueOptions OptionsFor(const std::string& prefix) {
  return {.endpoint = Moto().endpoint(),
          .region = "us-east-1",
          .queue_name_prefix = prefix,
          .retry = {.max_attempts = 3, .base_delay_millis = 1}};
}

// The SQS queue, with moto's clock brought up to the test's before every call.
class SyncedQueue final : public TaskQueue {
 public:
  struct Shared {
    std::string prefix;
    std::unique_ptr<testing::MotoClockSync> sync;
  };
  SyncedQueue(std::shared_ptr<Shared> shared, std::unique_ptr<TaskQueue> base)
      : shared_(std::move(shared)), base_(std::move(base)) {}
  static std::unique_ptr<TaskQueue> Open(std::shared_ptr<Shared> shared, Clock& clock) {
    auto q = NewSqsTaskQueue(OptionsFor(shared->prefix), Credentials(), clock);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    if (!q.ok()) return nullptr;
    return std::make_unique<SyncedQueue>(std::move(shared), std::move(*q));
  }
  const std::shared_ptr<Shared>& shared() const { return shared_; }

  Status Configure(std::string_view q, const QueueOptions& o) override {
    Sync();
    return base_->Configure(q, o);
  }
  Result<std::string> Send(std::string_view q, std::string_view b, int p, int64_t d) override {
    Sync();
    return base_->Send(q, b, p, d);
  }
  Result<std::optional<QueueMessage>> Lease(std::string_view q, int64_t v) override {
    Sync();
    return base_->Lease(q, v);
  }
  Result<std::optional<QueueMessage>> LeaseWaiting(std::string_view q, int64_t v,
                                                   int64_t wait) override {
    Sync();
    return base_->LeaseWaiting(q, v, wait);
  }
  Result<std::vector<QueueMessage>> LeaseBatch(std::string_view q, int n, int64_t v) override {
    Sync();
    return base_->LeaseBatch(q, n, v);
  }
  Status Extend(std::string_view r, int64_t v) override {
    Sync();
    return base_->Extend(r, v);
  }
  Status Release(std::string_view r, int64_t d) override {
    Sync();
    return base_->Release(r, d);
  }
  Status Delete(std::string_view r) override {
    Sync();
    return base_->Delete(r);
  }
  Status DeleteBatch(const std::vector<std::string>& r) override {
    Sync();
    return base_->DeleteBatch(r);
  }
  Status DeadLetter(std::string_view r) override {
    Sync();
    return base_->DeadLetter(r);
  }
  Result<QueueDepth> Depth(std::string_view q) override {
    Sync();
    return base_->Depth(q);
  }

 private:
  void Sync() {
    Status s = shared_->sync->Sync();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<TaskQueue> base_;
};

using contract::TaskQueueContract;

std::unique_ptr<TaskQueue> OpenSynced(Clock& clock, std::string prefix = FreshPrefix()) {
  auto* fake = dynamic_cast<FakeClock*>(&clock);
  EXPECT_NE(fake, nullptr) << "the SQS contract runs on a FakeClock";
  if (fake == nullptr || Moto().endpoint().empty()) return nullptr;
  auto shared = std::make_shared<SyncedQueue::Shared>();
  shared->prefix = std::move(prefix);
  shared->sync = std::make_unique<testing::MotoClockSync>(Moto().endpoint(), *fake);
  return SyncedQueue::Open(std::move(shared), clock);
}

INSTANTIATE_TEST_SUITE_P(
    Sqs, TaskQueueContract,
    ::testing::Values(contract::TaskQueueAdapter{
        .name = "SqsOnMoto",
        .open = [](const std::string&, Clock& clock) { return OpenSynced(clock); },
        .connect = [](TaskQueue& first, const std::string&,
                      Clock& clock) -> std::unique_ptr<TaskQueue> {
          auto* synced = dynamic_cast<SyncedQueue*>(&first);
          if (synced == nullptr) return nullptr;
          return SyncedQueue::Open(synced->shared(), clock);
        },
        // SQS counts whole seconds; priorities are coarsened to one level per pipeline
        // priority (and four size bands), so the suite's priorities are pipeline priorities.
        .millis_per_unit = 1000,
        .priority_step = kSizeRanks}),
    contract::AdapterName);

// Runs the AWS CLI against moto; its stdout, and whether it exited 0.
std::pair<std::string, bool> Aws(const std::string& args) {
  return testing::Aws(Moto().endpoint(), args);
}

nlohmann::json AwsJson(const std::string& args) {
  auto [out, ok] = Aws(args);
  EXPECT_TRUE(ok) << args << ": " << out;
  return nlohmann::json::parse(out, nullptr, false);
}

std::string QueueUrl(const std::string& name) {
  return Moto().endpoint() + "/123456789012/" + name;
}

class SqsTaskQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Moto().endpoint().empty()) << Moto().log();
    queue_ = OpenSynced(clock_, prefix_);
    ASSERT_NE(queue_, nullptr);
  }
  std::optional<QueueMessage> Lease(const std::string& q, int64_t vis = 60'000) {
    auto m = queue_->Lease(q, vis);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : std::nullopt;
  }
  std::set<std::string> SqsQueues() {
    auto listed = AwsJson("sqs list-queues --queue-name-prefix " + prefix_);
    std::set<std::string> names;
    if (listed.is_object() && listed.contains("QueueUrls")) {
      for (const auto& u : listed["QueueUrls"]) {
        const std::string url = u.get<std::string>();
        names.insert(url.substr(url.rfind('/') + 1));
      }
    }
    return names;
  }
  FakeClock clock_;
  const std::string prefix_ = FreshPrefix();
  std::unique_ptr<TaskQueue> queue_;
};

TEST_F(SqsTaskQueueTest, PrioritiesAreCoarsenedIntoFewQueuesAndDeliveredHighFirst) {
  auto send = [&](const std::string& body, int pipeline, uint64_t bytes) {
    ASSERT_TRUE(
        queue_->Send("jobs", body, QueuePriority(pipeline, TaskOrder::kLargestFirst, bytes), 0)
            .ok());
  };
  send("p0-small", 0, 100);
  send("p0-huge", 0, uint64_t{5} << 30);
  send("p1-empty", 1, 0);
  send("p0-small-too", 0, 900);  // the same band as p0-small: the same SQS queue
  send("p9-mid", 9, 5 << 20);    // above the exact range: the top group
  for (int i = 0; i < 20; ++i) send("p0-many-" + std::to_string(i), 0, 100 + i * 20);
  EXPECT_EQ(SqsQueues(), (std::set<std::string>{prefix_ + "jobs", prefix_ + "jobs-p3",
                                                prefix_ + "jobs-p4", prefix_ + "jobs-p31"}));
  EXPECT_EQ(Lease("jobs")->body, "p9-mid");
  EXPECT_EQ(Lease("jobs")->body, "p1-empty");
  EXPECT_EQ(Lease("jobs")->body, "p0-huge");
  std::set<std::string> rest;
  while (auto m = Lease("jobs")) rest.insert(m->body);
  EXPECT_EQ(rest.size(), 22u);
  EXPECT_TRUE(rest.count("p0-small") && rest.count("p0-small-too"));
}

TEST_F(SqsTaskQueueTest, ALevelMadeByAnotherProcessIsFoundAfterTheRefresh) {
  ASSERT_TRUE(queue_->Send("jobs", "low", 0, 0).ok());
  ASSERT_TRUE(Lease("jobs", 1000).has_value());  // lists the levels: only level 0
  clock_.Advance(1000);
  auto other = OpenSynced(clock_, prefix_);
  ASSERT_TRUE(other->Send("jobs", "high", 5 * kSizeRanks, 0).ok());
  EXPECT_EQ(Lease("jobs", 1000)->body, "low") << "level list cached";
  clock_.Advance(60'000);
  EXPECT_EQ(Lease("jobs", 1000)->body, "high");
}

TEST_F(SqsTaskQueueTest, ADelayBeyondFifteenMinutesIsHonoured) {
  constexpr int64_t kTwoHours = 2 * 3600 * 1000;
  const int64_t sent_at = clock_.NowUnixMillis();
  auto id = queue_->Send("jobs", "later", 0, kTwoHours);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_FALSE(Lease("jobs").has_value());
  EXPECT_EQ(queue_->Depth("jobs")->delayed, 1);
  for (int hop = 1; hop <= 7; ++hop) {  // SQS's delay ends every 15 minutes: sent on, unseen
    clock_.Advance(15 * 60 * 1000 + 1000);
    EXPECT_FALSE(Lease("jobs").has_value()) << hop;
    const QueueDepth d = *queue_->Depth("jobs");
    EXPECT_EQ(d.delayed, 1) << hop;
    EXPECT_EQ(d.visible + d.in_flight, 0) << hop;
  }
  clock_.Advance(kTwoHours - 7 * (15 * 60 * 1000 + 1000));
  auto m = Lease("jobs");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body, "later");
  EXPECT_EQ(m->id, *id);
  EXPECT_EQ(m->sent_unix_millis, sent_at);
  EXPECT_EQ(m->receive_count, 1) << "the hidden deliveries do not count";
}

TEST_F(SqsTaskQueueTest, RedrivesToTheDeadLetterQueueAfterMaxReceives) {
  ASSERT_TRUE(queue_->Configure("jobs", QueueOptions{3, "graves"}).ok());
  auto attributes =
      AwsJson("sqs get-queue-attributes --attribute-names RedrivePolicy --queue-url " +
              QueueUrl(prefix_ + "jobs"));
  const auto policy =
      nlohmann::json::parse(attributes["Attributes"]["RedrivePolicy"].get<std::string>());
  EXPECT_EQ(policy["maxReceiveCount"], 4) << "max_receives + 1: SQS's redrive is the backstop";
  EXPECT_NE(policy["deadLetterTargetArn"].get<std::string>().find(prefix_ + "graves"),
            std::string::npos);
  ASSERT_TRUE(queue_->Send("jobs", "poison", 2 * kSizeRanks, 0).ok());  // a level of its own
  for (int i = 1; i <= 3; ++i) {
    auto m = Lease("jobs", 1000);
    ASSERT_TRUE(m.has_value()) << i;
    EXPECT_EQ(m->receive_count, i);
    clock_.Advance(1001);
  }
  EXPECT_FALSE(Lease("jobs", 1000).has_value());
  auto dead = Lease("graves");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, "poison");
  EXPECT_EQ(dead->receive_count, 1);
  // The level queue made after Configure got the policy too.
  auto level = AwsJson("sqs get-queue-attributes --attribute-names RedrivePolicy --queue-url " +
                       QueueUrl(prefix_ + "jobs-p8"));
  EXPECT_TRUE(level["Attributes"].contains("RedrivePolicy")) << level.dump();
}

TEST_F(SqsTaskQueueTest, DeleteBatchOfMoreThanTenDeletesThemAll) {
  std::vector<std::string> receipts;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(queue_->Send("jobs", std::to_string(i), 0, 0).ok());
  for (int i = 0; i < 25; ++i) receipts.push_back(Lease("jobs", 60'000)->receipt);
  receipts.push_back("garbage");
  receipts.push_back(receipts[0]);  // twice
  ASSERT_TRUE(queue_->DeleteBatch(receipts).ok());
  const QueueDepth d = *queue_->Depth("jobs");
  EXPECT_EQ(d.visible + d.in_flight + d.delayed, 0);
  EXPECT_EQ(queue_->Delete(receipts[3]).code(), StatusCode::kFailedPrecondition);
}

// Long polling: an empty queue is asked once more, waiting, rather than polled again and
// again; a message another client sends during the wait comes back as soon as it is there.
TEST_F(SqsTaskQueueTest, LeaseWaitingWaitsForAMessageSentMeanwhile) {
  ASSERT_TRUE(queue_->Configure("idle", QueueOptions{}).ok());
  auto started = std::chrono::steady_clock::now();
  auto none = queue_->LeaseWaiting("idle", 60'000, 1'000);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900))
      << "did not wait";

  std::thread sender([&] {
    AwsJson("sqs send-message --queue-url " + QueueUrl(prefix_ + "idle") + " --message-body late");
  });
  started = std::chrono::steady_clock::now();
  auto got = queue_->LeaseWaiting("idle", 60'000, 20'000);
  const auto waited = std::chrono::steady_clock::now() - started;
  sender.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value()) << "the message sent during the wait did not come";
  EXPECT_EQ((*got)->body, "late");
  EXPECT_LT(waited, std::chrono::seconds(15)) << "the wait ran out before the message came";
  EXPECT_TRUE(queue_->Delete((*got)->receipt).ok());
}

TEST_F(SqsTaskQueueTest, LeasesAMessageThatTheAwsCliSent) {
  ASSERT_TRUE(queue_->Configure("events", QueueOptions{}).ok());
  const std::string body = R"({"Records":[{"s3":{"object":{"key":"in/a b.txt"}}}]})";
  auto sent = AwsJson("sqs send-message --queue-url " + QueueUrl(prefix_ + "events") +
                      " --message-body '" + body + "'");
  ASSERT_TRUE(sent.is_object()) << sent.dump();
  auto m = Lease("events");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body, body);
  EXPECT_EQ(m->id, sent["MessageId"].get<std::string>());
  EXPECT_EQ(m->receive_count, 1);
  EXPECT_GT(m->sent_unix_millis, 0);
  EXPECT_TRUE(queue_->Delete(m->receipt).ok());
}

TEST_F(SqsTaskQueueTest, DepthAgreesWithTheAwsCli) {
  ASSERT_TRUE(queue_->Send("jobs", "a", 0, 0).ok());
  ASSERT_TRUE(queue_->Send("jobs", "b", 0, 0).ok());
  ASSERT_TRUE(queue_->Send("jobs", "c", 0, 30'000).ok());
  ASSERT_TRUE(Lease("jobs").has_value());
  const QueueDepth d = *queue_->Depth("jobs");
  auto cli = AwsJson("sqs get-queue-attributes --attribute-names All --queue-url " +
                     QueueUrl(prefix_ + "jobs"))["Attributes"];
  EXPECT_EQ(std::to_string(d.visible), cli["ApproximateNumberOfMessages"].get<std::string>());
  EXPECT_EQ(std::to_string(d.in_flight),
            cli["ApproximateNumberOfMessagesNotVisible"].get<std::string>());
  EXPECT_EQ(std::to_string(d.delayed),
            cli["ApproximateNumberOfMessagesDelayed"].get<std::string>());
  EXPECT_EQ(d.visible, 1);
  EXPECT_EQ(d.in_flight, 1);
  EXPECT_EQ(d.delayed, 1);
}

TEST_F(SqsTaskQueueTest, RefusesWhatSqsWouldRefuse) {
  EXPECT_EQ(queue_->Send("jobs", std::string(256 * 1024, 'x'), 0, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->Send("jobs", "\xFF\xFE", 0, 0).status().code(), StatusCode::kInvalidArgument);
  auto bad_name = queue_->Send("jobs.fifo", "x", 0, 0);
  EXPECT_EQ(bad_name.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_name.status().message().find("jobs.fifo"), std::string::npos);
  EXPECT_EQ(queue_->Configure(std::string(80, 'q'), QueueOptions{}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->Configure("jobs-p2", QueueOptions{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_->Configure("jobs", QueueOptions{3, "bad name"}).code(),
            StatusCode::kInvalidArgument);
  // Receipts come back from callers: anything this queue did not write is a lost lease.
  ASSERT_TRUE(queue_->Send("jobs", "x", 0, 0).ok());
  auto m = Lease("jobs");
  ASSERT_TRUE(m.has_value());
  const std::string forged_level = "sqs1.jobs.9." +
                                   std::to_string(clock_.NowUnixMillis() + 60'000) + "." +
                                   m->receipt.substr(m->receipt.rfind('.') + 1);
  for (const std::string& r : {std::string(5000, 'a'), std::string("sqs1.jobs.0.1.h"), forged_level,
                               m->receipt + std::string(2000, 'x')}) {
    EXPECT_EQ(queue_->Delete(r).code(), StatusCode::kFailedPrecondition) << r.substr(0, 60);
    EXPECT_EQ(queue_->Extend(r, 1000).code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_TRUE(queue_->Delete(m->receipt).ok());
}

TEST_F(SqsTaskQueueTest, ReleaseThroughAnotherInstanceHidesTheMessageAndDeadLetterNeedsTheLeaser) {
  ASSERT_TRUE(queue_->Send("jobs", "x", 0, 0).ok());
  auto m = Lease("jobs");
  auto other = OpenSynced(clock_, prefix_);
  EXPECT_EQ(other->DeadLetter(m->receipt).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(other->Release(m->receipt, 5000).ok());
  EXPECT_EQ(queue_->Depth("jobs")->in_flight, 1) << "hidden, not a delayed copy";
  clock_.Advance(5000);
  EXPECT_TRUE(Lease("jobs").has_value());
}

// A tiny SQS that throttles the first answers: the adapter's calls are retried through it.
TEST(SqsTaskQueueFaults, ThrottlingIsRetriedAndAccessDeniedIsNot) {
  httplib::Server server;
  std::atomic<int> requests{0};
  std::atomic<int> throttle{2};
  std::atomic<bool> deny{false};
  server.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    ++requests;
    if (deny) {
      res.status = 400;
      res.set_header("x-amzn-query-error", "AccessDenied;Sender");
      res.set_content(R"({"__type":"com.amazonaws.sqs#AccessDenied","message":"no"})",
                      "application/x-amz-json-1.0");
      return;
    }
    if (throttle > 0) {
      --throttle;
      res.status = 400;
      res.set_header("x-amzn-query-error", "ThrottlingException;Sender");
      res.set_content(R"({"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow"})",
                      "application/x-amz-json-1.0");
      return;
    }
    const std::string target = req.get_header_value("X-Amz-Target");
    if (target == "AmazonSQS.CreateQueue") {
      res.set_content(R"({"QueueUrl":"http://127.0.0.1/1/q"})", "application/x-amz-json-1.0");
    } else if (target == "AmazonSQS.SendMessage") {
      res.set_content(R"({"MessageId":"m-1"})", "application/x-amz-json-1.0");
    } else {
      res.status = 400;
    }
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(server.is_running());
  testing::StaticCredentials credentials;
  Clock& clock = SystemClock();
  auto queue = NewSqsTaskQueue({.endpoint = "http://127.0.0.1:" + std::to_string(port),
                                .region = "us-east-1",
                                .retry = {.max_attempts = 4, .base_delay_millis = 1}},
                               credentials, clock);
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  auto id = (*queue)->Send("q", "x", 0, 0);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(requests.load(), 4) << "two throttled, then CreateQueue and SendMessage";
  deny = true;
  requests = 0;
  auto denied = (*queue)->Send("q", "x", 0, 0);
  EXPECT_EQ(denied.status().code(), StatusCode::kFailedPrecondition) << denied.status().ToString();
  EXPECT_EQ(requests.load(), 1) << "access denied is not retried";
  deny = false;
  throttle = 100;
  requests = 0;
  auto throttled = (*queue)->Send("q", "x", 0, 0);
  EXPECT_EQ(throttled.status().code(), StatusCode::kUnavailable) << "retryable once they run out";
  EXPECT_EQ(requests.load(), 4);
  server.stop();
  t.join();
}

// A scripted SQS whose DeleteMessage fails: a release with a delay (a copy, then the delete of
// the leased original) reports the failure, and the copy is already sent, so the message is
// delivered again rather than lost (at-least-once).
TEST(SqsTaskQueueFaults, AFailedDeleteAfterTheCopyLeavesBothCopiesNotNone) {
  httplib::Server server;
  std::atomic<int> sends{0}, deletes{0};
  server.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string target = req.get_header_value("X-Amz-Target");
    const char* type = "application/x-amz-json-1.0";
    if (target == "AmazonSQS.ListQueues") {
      res.set_content(R"({"QueueUrls":["http://127.0.0.1/1/q"]})", type);
    } else if (target == "AmazonSQS.ReceiveMessage") {
      res.set_content(R"({"Messages":[{"MessageId":"m-1","ReceiptHandle":"RH1","Body":"work",)"
                      R"("Attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"5"}}]})",
                      type);
    } else if (target == "AmazonSQS.GetQueueUrl") {
      res.status = 400;
      res.set_header("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender");
      res.set_content(R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})", type);
    } else if (target == "AmazonSQS.SendMessage") {
      ++sends;
      res.set_content(R"({"MessageId":"m-2"})", type);
    } else if (target == "AmazonSQS.DeleteMessage") {
      ++deletes;
      res.status = 500;
      res.set_content(R"({"__type":"com.amazonaws.sqs#InternalError"})", type);
    } else {
      res.status = 400;
    }
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(server.is_running());
  testing::StaticCredentials credentials;
  auto queue = NewSqsTaskQueue({.endpoint = "http://127.0.0.1:" + std::to_string(port),
                                .region = "us-east-1",
                                .retry = {.max_attempts = 2, .base_delay_millis = 1}},
                               credentials, SystemClock());
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  auto m = (*queue)->Lease("q", 60'000);
  ASSERT_TRUE(m.ok() && m->has_value()) << m.status().ToString();
  EXPECT_EQ((*m)->body, "work");
  const Status released = (*queue)->Release((*m)->receipt, 30'000);
  EXPECT_EQ(released.code(), StatusCode::kUnavailable) << released.ToString();
  EXPECT_EQ(sends.load(), 1) << "the delayed copy was sent";
  EXPECT_EQ(deletes.load(), 2) << "the delete was retried, then reported";
  server.stop();
  t.join();
}

TEST(SqsTaskQueueOptions, AreChecked) {
  testing::StaticCredentials credentials;
  auto bad = [&](SqsQueueOptions o) {
    return NewSqsTaskQueue(std::move(o), credentials, SystemClock()).status().code();
  };
  const SqsQueueOptions good{.endpoint = "http://127.0.0.1:1", .region = "us-east-1"};
  EXPECT_TRUE(NewSqsTaskQueue(good, credentials, SystemClock()).ok());
  SqsQueueOptions o = good;
  o.pipeline_levels = 0;
  EXPECT_EQ(bad(o), StatusCode::kInvalidArgument);
  o = good;
  o.queue_name_prefix = "a.b";
  EXPECT_EQ(bad(o), StatusCode::kInvalidArgument);
  o = good;
  o.region = "";
  EXPECT_EQ(bad(o), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spotbatch
