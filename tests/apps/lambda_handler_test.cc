// The handler of `spotbatch lambda` on the embedded store and state, fed the two kinds of
// event Lambda delivers: an S3 notification, and an SQS batch of them.
#include "apps/lambda_handler.h"

#include <nlohmann/json.hpp>

#include "agent/agent_fixture.h"
#include "apps/s3_notifications.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

nlohmann::json S3Event(const std::string& key, const std::string& bucket = "in") {
  return {{"Records",
           {{{"eventVersion", "2.1"},
             {"eventSource", "aws:s3"},
             {"eventName", "ObjectCreated:Put"},
             {"s3", {{"bucket", {{"name", bucket}}}, {"object", {{"key", key}}}}}}}}};
}

// What an SQS trigger delivers: each message's body a notification, as text.
std::string SqsEvent(const std::vector<std::pair<std::string, std::string>>& id_and_body) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& [id, body] : id_and_body) {
    records.push_back({{"messageId", id},
                       {"receiptHandle", "r-" + id},
                       {"body", body},
                       {"eventSource", "aws:sqs"},
                       {"eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:events"}});
  }
  return nlohmann::json{{"Records", records}}.dump();
}

class LambdaHandlerTest : public testing::AgentFixture {
 protected:
  LambdaOutcome Invoke(const std::string& event, ObjectStore* store = nullptr) {
    ObjectStore& s = store ? *store : *store_;
    Ingest ingest(pipeline_, s, *queue_, *state_, SystemClock());
    EventIngest events(ingest, pipeline_, s, *queue_, "", DecodeS3Notification);
    return HandleIngestInvocation(events, event);
  }
  size_t Jobs() { return state_->ListJobs()->size(); }
};

TEST_F(LambdaHandlerTest, AnS3EventStartsTheJobAndItsDuplicateNothingMore) {
  ASSERT_TRUE(store_->Put("in/scans/claim 7.pdf", "pdf").ok());
  const std::string event = S3Event("scans/claim+7.pdf").dump();
  LambdaOutcome first = Invoke(event);
  ASSERT_TRUE(first.ok) << first.error_message;
  const nlohmann::json summary = nlohmann::json::parse(first.body);
  EXPECT_EQ(summary["created_jobs"], 1);
  EXPECT_EQ(summary["objects"], 1);
  EXPECT_FALSE(summary.contains("batchItemFailures")) << "only SQS batches report items";
  ASSERT_EQ(Jobs(), 1u);
  EXPECT_EQ(state_->ListJobs()->front().job.input_key, "in/scans/claim 7.pdf");
  LambdaOutcome again = Invoke(event);  // Lambda delivers at least once
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(nlohmann::json::parse(again.body)["created_jobs"], 0);
  EXPECT_EQ(Jobs(), 1u);
}

TEST_F(LambdaHandlerTest, WhatIsNoNotificationIsAnErrorOfItsOwnType) {
  LambdaOutcome o = Invoke(R"({"hello": "world"})");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error_type, "spotbatch.NotANotification");
  EXPECT_EQ(Jobs(), 0u);
}

TEST_F(LambdaHandlerTest, ARetryableFailureAsksLambdaToInvokeAgain) {
  ASSERT_TRUE(store_->Put("in/a", "x").ok());
  FaultInjector faults;
  faults.Add({.method = "Stat", .status = InjectedUnavailable()});
  FaultyObjectStore failing(*store_, faults);
  LambdaOutcome o = Invoke(S3Event("a").dump(), &failing);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error_type, "spotbatch.Unavailable");
  EXPECT_EQ(Jobs(), 0u);
  faults.Clear();
  EXPECT_TRUE(Invoke(S3Event("a").dump(), &failing).ok);  // the retry
  EXPECT_EQ(Jobs(), 1u);
}

TEST_F(LambdaHandlerTest, AnSqsBatchReportsOnlyTheMessagesToRetry) {
  ASSERT_TRUE(store_->Put("in/good", "1").ok());
  ASSERT_TRUE(store_->Put("in/flaky", "2").ok());
  FaultInjector faults;
  faults.Add({.method = "Stat", .subject_part = "in/flaky", .status = InjectedUnavailable()});
  FaultyObjectStore failing(*store_, faults);
  LambdaOutcome o = Invoke(SqsEvent({{"m1", S3Event("good").dump()},
                                     {"m2", S3Event("flaky").dump()},
                                     {"m3", "not json at all"},
                                     {"m4", S3Event("elsewhere", "other-bucket").dump()}}),
                           &failing);
  ASSERT_TRUE(o.ok) << o.error_message;
  const nlohmann::json r = nlohmann::json::parse(o.body);
  EXPECT_EQ(r["batchItemFailures"],
            nlohmann::json::parse(R"([{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}])"))
      << o.body;
  EXPECT_EQ(r["created_jobs"], 1);
  EXPECT_EQ(r["skipped"], 1) << "outside the input prefix: nothing to do, not a failure";
  ASSERT_EQ(Jobs(), 1u);
  EXPECT_EQ(state_->ListJobs()->front().job.input_key, "in/good");
}

}  // namespace
}  // namespace spotbatch
