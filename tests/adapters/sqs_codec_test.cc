#include "adapters/aws/sqs_codec.h"

#include <gtest/gtest.h>

#include <set>

#include "core/task_order.h"

namespace spotbatch {
namespace {

int Level(int pipeline, uint64_t bytes) {
  return SqsPriorityLevel(QueuePriority(pipeline, TaskOrder::kLargestFirst, bytes),
                          kSqsDefaultPipelineLevels);
}

TEST(SqsPriorityLevel, KeepsPipelineOrderExactlyAndSizesInFourBands) {
  EXPECT_EQ(Level(0, 0), 0);
  EXPECT_EQ(Level(0, 1023), 0);
  EXPECT_EQ(Level(0, 1024), 1);
  EXPECT_EQ(Level(0, (1 << 20) - 1), 1);
  EXPECT_EQ(Level(0, 1 << 20), 2);
  EXPECT_EQ(Level(0, uint64_t{1} << 30), 3);
  EXPECT_EQ(Level(0, ~uint64_t{0}), 3);
  EXPECT_EQ(Level(1, 0), 4);
  EXPECT_EQ(Level(7, uint64_t{1} << 40), 31);
  EXPECT_EQ(Level(100, 0), 31) << "above the exact range: the top level";
  EXPECT_EQ(Level(-5, uint64_t{1} << 40), 0) << "negative pipeline priorities: level 0";
  // Monotone over the whole range, and never more than 32 levels.
  std::set<int> levels;
  int last = -1;
  for (int p = -3 * 257; p < 12 * 257; ++p) {
    const int l = SqsPriorityLevel(p, kSqsDefaultPipelineLevels);
    EXPECT_GE(l, last) << p;
    last = l;
    levels.insert(l);
  }
  EXPECT_EQ(levels.size(), 32u);
  EXPECT_EQ(SqsPriorityLevel(INT32_MIN, 8), 0);
  EXPECT_EQ(SqsPriorityLevel(INT32_MAX, 8), 31);
  EXPECT_EQ(SqsPriorityLevel(12345, 1), 3);  // one group: pipeline priority 48 is above it
}

TEST(SqsLevelNames, RoundTripAndRefuseLookalikes) {
  EXPECT_EQ(SqsLevelQueueName("t-q", 0), "t-q");
  EXPECT_EQ(SqsLevelQueueName("t-q", 12), "t-q-p12");
  EXPECT_EQ(SqsLevelOfQueueName("t-q", "t-q", 32), 0);
  EXPECT_EQ(SqsLevelOfQueueName("t-q", "t-q-p12", 32), 12);
  for (const char* other : {"t-q-dlq", "t-q2", "t-q-p0", "t-q-p012", "t-q-p32", "t-q-p", "t-"}) {
    EXPECT_EQ(SqsLevelOfQueueName("t-q", other, 32), std::nullopt) << other;
  }
}

TEST(ValidateSqsQueueName, NamesTheProblem) {
  EXPECT_TRUE(ValidateSqsQueueName("", "jobs_1-a", 32).ok());
  auto empty = ValidateSqsQueueName("", "", 32);
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  auto bad = ValidateSqsQueueName("", "jobs.fifo", 32);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("A-Z"), std::string::npos) << bad.message();
  EXPECT_TRUE(ValidateSqsQueueName("", std::string(74, 'a'), 32).ok());  // + "-later"
  auto long_name = ValidateSqsQueueName("", std::string(75, 'a'), 32);
  EXPECT_NE(long_name.message().find("too long"), std::string::npos) << long_name.message();
  EXPECT_EQ(ValidateSqsQueueName("pre-", std::string(71, 'a'), 32).code(),
            StatusCode::kInvalidArgument);
  auto suffix = ValidateSqsQueueName("", "jobs-p3", 32);
  EXPECT_NE(suffix.message().find("-p<digits>"), std::string::npos) << suffix.message();
  EXPECT_TRUE(ValidateSqsQueueName("", "jobs-prod", 32).ok());
  EXPECT_NE(ValidateSqsQueueName("", "jobs-later", 32).message().find("-later"), std::string::npos);
}

TEST(SqsReceipt, RoundTripsAndRefusesWhatItCannotHaveWritten) {
  const SqsReceipt r{.queue = "jobs",
                     .level = 7,
                     .deadline_unix_millis = 1700000000123,
                     .handle = "AQEB+/x=abc.def"};
  auto back = DecodeSqsReceipt(EncodeSqsReceipt(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->queue, "jobs");
  EXPECT_EQ(back->level, 7);
  EXPECT_EQ(back->deadline_unix_millis, 1700000000123);
  EXPECT_EQ(back->handle, "AQEB+/x=abc.def");
  for (const std::string bad :
       {std::string(""), std::string("no such"), std::string("sqs1.jobs.7.1"),
        std::string("sqs1..7.1.h"), std::string("sqs1.jo bs.7.1.h"), std::string("sqs1.j.07.1.h"),
        std::string("sqs1.j.9999.1.h"), std::string("sqs1.j.1.-5.h"), std::string("sqs1.j.1.5."),
        std::string("sqs1.j.1.5.h h"), std::string("sqs1.j.1.5.") + std::string(1025, 'h'),
        std::string("sqs1.j.1.5.h\n"), std::string("sqs2.j.1.5.h"),
        std::string("sqs1.j.1.99999999999999999999.h")}) {
    auto d = DecodeSqsReceipt(bad);
    EXPECT_EQ(d.status().code(), StatusCode::kFailedPrecondition) << bad;
    EXPECT_LE(d.status().message().size(), 160u);
  }
}

TEST(ParseSqsMessage, ReadsSqsAndAdapterAttributesAndRefusesMalformedOnes) {
  const auto doc = nlohmann::json::parse(R"({
    "MessageId":"m-1","ReceiptHandle":"RH","Body":"b",
    "Attributes":{"ApproximateReceiveCount":"3","SentTimestamp":"1700000000000"},
    "MessageAttributes":{"sb-id":{"DataType":"String","StringValue":"first"},
                         "sb-sent":{"DataType":"String","StringValue":"1600000000000"},
                         "sb-receives":{"DataType":"String","StringValue":"2"},
                         "sb-not-before":{"DataType":"String","StringValue":"x"}}})");
  auto m = ParseSqsMessage(doc, 100);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->message_id, "m-1");
  EXPECT_EQ(m->approximate_receive_count, 3);
  EXPECT_EQ(m->sent_timestamp, 1700000000000);
  EXPECT_EQ(m->first_id, "first");
  EXPECT_EQ(m->first_sent_unix_millis, 1600000000000);
  EXPECT_EQ(m->earlier_receives, 2);
  EXPECT_EQ(m->not_before_unix_millis, std::nullopt) << "a malformed attribute is ignored";
  for (
      const char* bad :
      {R"({"ReceiptHandle":"RH","Body":"b","Attributes":{"ApproximateReceiveCount":"1"}})",
       R"({"MessageId":"m","Body":"b","Attributes":{"ApproximateReceiveCount":"1"}})",
       R"({"MessageId":"m","ReceiptHandle":"R H","Body":"b","Attributes":{"ApproximateReceiveCount":"1"}})",
       R"({"MessageId":"m","ReceiptHandle":"RH","Body":7,"Attributes":{"ApproximateReceiveCount":"1"}})",
       R"({"MessageId":"m","ReceiptHandle":"RH","Body":"b","Attributes":{"ApproximateReceiveCount":"0"}})",
       R"({"MessageId":"m","ReceiptHandle":"RH","Body":"b"})", R"([1])"}) {
    EXPECT_EQ(ParseSqsMessage(nlohmann::json::parse(bad), 100).status().code(),
              StatusCode::kInternal)
        << bad;
  }
  auto big = nlohmann::json::parse(
      R"({"MessageId":"m","ReceiptHandle":"RH","Body":"0123456789","Attributes":{"ApproximateReceiveCount":"1"}})");
  EXPECT_FALSE(ParseSqsMessage(big, 9).ok());
}

TEST(ParseSqsRedrivePolicy, ReadsTheDeadLetterQueueAndCount) {
  auto p = ParseSqsRedrivePolicy(
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:t-q-dead","maxReceiveCount":"4"})");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->dead_letter_queue, "t-q-dead");
  EXPECT_EQ(p->max_receive_count, 4);
  EXPECT_EQ(ParseSqsRedrivePolicy(R"({"deadLetterTargetArn":"arn:x:q","maxReceiveCount":1000})")
                ->max_receive_count,
            1000);
  for (const char* bad : {"", "{}", R"({"deadLetterTargetArn":"arn:x:","maxReceiveCount":1})",
                          R"({"deadLetterTargetArn":"arn:x:q","maxReceiveCount":0})",
                          R"({"deadLetterTargetArn":"arn:x:q.fifo","maxReceiveCount":1})",
                          R"({"deadLetterTargetArn":"arn:x:q","maxReceiveCount":"1001"})"}) {
    EXPECT_FALSE(ParseSqsRedrivePolicy(bad).has_value()) << bad;
  }
}

TEST(ValidateSqsBody, AllowsWhatSqsAllows) {
  EXPECT_TRUE(ValidateSqsBody("{\"task\":\"a\\tb\"}\n\xC3\xA9\xF0\x9F\x98\x80", 100).ok());
  EXPECT_EQ(ValidateSqsBody(std::string(101, 'a'), 100).code(), StatusCode::kInvalidArgument);
  for (const std::string bad :
       {std::string("a\0b", 3), std::string("\x01"), std::string("\xC3"), std::string("\xFF"),
        std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("\xEF\xBF\xBE")}) {
    EXPECT_EQ(ValidateSqsBody(bad, 100).code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace spotbatch
