#include "adapters/aws/s3_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace spotbatch {
namespace {

// A record as S3 writes it (the example of the S3 user guide, "Event message structure"),
// without the identity fields spotbatch does not read.
nlohmann::json Created(const std::string& encoded_key) {
  nlohmann::json r = nlohmann::json::parse(R"({
    "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
    "eventTime": "2026-12-01T10:20:30.456Z", "eventName": "ObjectCreated:Put",
    "s3": {"s3SchemaVersion": "1.0", "configurationId": "testConfigRule",
           "bucket": {"name": "photos-in", "arn": "arn:aws:s3:::photos-in"},
           "object": {"size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                      "sequencer": "0055AED6DCD90281E5"}}})");
  r["s3"]["object"]["key"] = encoded_key;
  return r;
}

std::string Event(std::vector<nlohmann::json> records) {
  return nlohmann::json{{"Records", records}}.dump();
}

TEST(S3Event, ACreatedObjectAsS3SendsIt) {
  auto e = ParseS3Event(Event({Created("HappyFace.jpg")}));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->created.size(), 1u);
  const S3CreatedObject& o = e->created[0];
  EXPECT_EQ(o.bucket, "photos-in");
  EXPECT_EQ(o.key, "HappyFace.jpg");
  EXPECT_EQ(o.size, 1024u);
  EXPECT_EQ(o.etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(o.sequencer, "0055AED6DCD90281E5");
  EXPECT_EQ(o.event_unix_millis, 1796120430456);
  EXPECT_FALSE(e->test_event);
  EXPECT_EQ(e->ignored, 0);
  EXPECT_TRUE(e->malformed.empty());
}

TEST(S3Event, KeysAreFormUrlDecoded) {
  auto e = ParseS3Event(Event({Created("holiday/my+photo%281%29.jpg"),
                               Created("raw%2F2026%2Fimg.png"),  // moto encodes '/' too
                               Created("caf%C3%A9/%E2%82%AC+5.txt"), Created("a%2Bb%25c")}));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->created.size(), 4u);
  EXPECT_EQ(e->created[0].key, "holiday/my photo(1).jpg");
  EXPECT_EQ(e->created[1].key, "raw/2026/img.png");
  EXPECT_EQ(e->created[2].key, "caf\u00e9/\u20ac 5.txt");
  EXPECT_EQ(e->created[3].key, "a+b%c") << "an escaped '+' and '%' are literal";
}

TEST(S3Event, TheTestEventStartsNothing) {
  auto e = ParseS3Event(
      R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-01T10:00:00.000Z",)"
      R"("Bucket":"photos-in","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"})");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->test_event);
  EXPECT_TRUE(e->created.empty());
}

TEST(S3Event, ThroughAnSnsTopic) {
  const std::string inner = Event({Created("a.txt")});
  auto e = ParseS3Event(nlohmann::json{
      {"Type", "Notification"},
      {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
      {"TopicArn", "arn:aws:sns:us-west-2:123456789012:uploads"},
      {"Message", inner}}.dump());
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->created.size(), 1u);
  EXPECT_EQ(e->created[0].key, "a.txt");
}

TEST(S3Event, OtherEventsAreIgnoredAndBadRecordsDroppedAlone) {
  nlohmann::json removed = Created("gone.txt");
  removed["eventName"] = "ObjectRemoved:Delete";
  nlohmann::json broken_escape = Created("bad%4");
  nlohmann::json dot_dot = Created("x/../y");
  nlohmann::json no_key = Created("k");
  no_key["s3"]["object"].erase("key");
  nlohmann::json negative_size = Created("n");
  negative_size["s3"]["object"]["size"] = -1;
  nlohmann::json other_source = Created("o");
  other_source["eventSource"] = "aws:sqs";
  auto e = ParseS3Event(Event({Created("first.txt"), removed, broken_escape, dot_dot, no_key,
                               negative_size, other_source, "not an object", Created("last.txt")}));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->created.size(), 2u);
  EXPECT_EQ(e->created[0].key, "first.txt");
  EXPECT_EQ(e->created[1].key, "last.txt");
  EXPECT_EQ(e->ignored, 1);
  ASSERT_EQ(e->malformed.size(), 6u);
  EXPECT_NE(e->malformed[0].find("%-escape"), std::string::npos) << e->malformed[0];
  EXPECT_NE(e->malformed[1].find(".."), std::string::npos) << e->malformed[1];
  for (const std::string& why : e->malformed) EXPECT_LE(why.size(), 203u) << why;
}

TEST(S3Event, AnEventTimeWithoutZoneCostsOnlyTheTime) {
  nlohmann::json moto_style = Created("m.txt");
  moto_style["eventTime"] = "2026-12-02T00:04:34.470462";  // as moto writes it
  auto e = ParseS3Event(Event({moto_style}));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->created.size(), 1u);
  EXPECT_EQ(e->created[0].key, "m.txt");
  EXPECT_EQ(e->created[0].event_unix_millis, 0) << "unknown, not a guess";
  EXPECT_TRUE(e->malformed.empty());
}

TEST(S3Event, WhatIsNoEventIsRefused) {
  for (const char* body : {"", "[]", "{", "{\"Records\": 3}", "{\"Type\": \"Notification\"}",
                           "{\"Type\": \"Notification\", \"Message\": \"[1]\"}", "\"Records\""}) {
    auto e = ParseS3Event(body);
    ASSERT_FALSE(e.ok()) << body;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << body;
  }
  const std::string huge(kMaxS3EventBytes + 1, ' ');
  EXPECT_FALSE(ParseS3Event(huge).ok());
}

TEST(S3EventKey, BrokenEscapesAndSizesAreRefused) {
  for (const char* key : {"%", "%4", "%G0", "a%2", ""}) {
    EXPECT_FALSE(DecodeS3EventKey(key).ok()) << key;
  }
  EXPECT_TRUE(DecodeS3EventKey(std::string(1024, 'k')).ok());
  EXPECT_FALSE(DecodeS3EventKey(std::string(1025, 'k')).ok());
  std::string escaped;
  for (int i = 0; i < 1024; ++i) escaped += "%41";
  EXPECT_EQ(DecodeS3EventKey(escaped).value(), std::string(1024, 'A'));
}

}  // namespace
}  // namespace spotbatch
