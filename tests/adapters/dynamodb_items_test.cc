// The item encoding of the DynamoDB state store: round trips (chunks, any bytes), the sparse
// index attribute, and refusals of malformed items as kDataLoss.
#include "adapters/aws/dynamodb_items.h"

#include <gtest/gtest.h>

namespace spotbatch::ddb {
namespace {

using nlohmann::json;

Chunks ChunksOf(const std::vector<json>& items) {
  Chunks chunks;
  for (const json& c : items) {
    std::string bytes;
    EXPECT_TRUE(ChunkBytes(c, &bytes));
    chunks[StringAttr(c, "sk")] = bytes;
  }
  return chunks;
}

TaskRecord FullTask() {
  TaskRecord t;
  t.id = "job-0";
  t.job_id = "job";
  t.index = 3;
  t.input_key = "in/ü.txt";
  t.state = TaskState::kPublishing;
  t.version = 42;
  t.attempt_token = "tok";
  t.attempts = 2;
  t.app_failures = 1;
  t.interruptions = 4;
  t.lost = 5;
  t.releases = 6;
  t.not_before_unix_millis = -7;
  t.lease_expires_unix_millis = int64_t{1} << 60;
  t.enqueued = true;
  t.outputs = {{"_spotbatch/staging/a", "out/a"}, {"_spotbatch/staging/b", "out/b"}};
  t.last_error = std::string("bad \xff\xfe bytes", 13);
  t.updated_unix_millis = 9;
  t.started_unix_millis = 10;
  t.checkpoint = "_spotbatch/checkpoints/job-0/tok.1/";
  t.checkpoint_unix_millis = 11;
  return t;
}

TEST(DynamoDbItems, TaskRoundTripsInlineAndInChunks) {
  TaskRecord t = FullTask();
  EncodedItem e = EncodeTask(t, 8);
  EXPECT_TRUE(e.chunks.empty());
  EXPECT_EQ(e.item["err"].begin().key(), "B") << "not UTF-8: binary";
  EXPECT_FALSE(e.item.contains("uq")) << "enqueued";
  EXPECT_EQ(DecodeTask(json::parse(e.item.dump()), {}).value(), t);

  t.last_error = std::string(1'000'000, 'x');
  t.enqueued = false;
  e = EncodeTask(t, 8);
  EXPECT_EQ(e.chunks.size(), 4u);  // 300 KB each
  EXPECT_EQ(e.item["uq"]["S"], "U#" + std::to_string(ShardOf(t.id, 8)));
  EXPECT_EQ(DecodeTask(e.item, ChunksOf(e.chunks)).value(), t);
  // A missing chunk is data loss, not a short field.
  Chunks some = ChunksOf(e.chunks);
  some.erase(some.begin());
  EXPECT_EQ(DecodeTask(e.item, some).status().code(), StatusCode::kDataLoss);
}

TEST(DynamoDbItems, TerminalTasksAreNotInTheUnenqueuedIndex) {
  TaskRecord t = FullTask();
  t.enqueued = false;
  t.state = TaskState::kCancelled;
  EXPECT_FALSE(EncodeTask(t, 4).item.contains("uq"));
  EXPECT_EQ(PendingOf(EncodeTask(t, 4, "tok", 5).item), "tok");
}

TEST(DynamoDbItems, AttemptRoundTripsAsAnUpsert) {
  AttemptRecord a{"tok",
                  "job-0",
                  2,
                  "worker",
                  100,
                  200,
                  AttemptOutcome::kInterrupted,
                  137,
                  "message",
                  std::string(700'000, '\x01'),
                  "pool",
                  55};
  EncodedAttempt e = EncodeAttempt(a);
  EXPECT_TRUE(e.start.count("worker") && e.end.count("fin") && e.end.count("log_parts"));
  EXPECT_EQ(std::count(e.remove.begin(), e.remove.end(), "log"), 1);
  EXPECT_EQ(DecodeAttempt(AttemptItemOf(e), ChunksOf(e.chunks)).value(), a);
}

TEST(DynamoDbItems, JobRoundTrips) {
  JobRecord j{"j", "in/j", "etag", uint64_t{1} << 40, 77};
  EncodedItem e = EncodeJob(j, 12, 3, "ctok");
  EXPECT_EQ(DecodeJob(e.item).value(), j);
  EXPECT_EQ(JobSeqOf(e.item), 12);
  EXPECT_EQ(JobTokenOf(e.item), "ctok");
}

TEST(DynamoDbItems, MalformedItemsAreDataLoss) {
  const json good = EncodeTask(FullTask(), 2).item;
  for (const auto& [attr, value] :
       std::vector<std::pair<std::string, json>>{{"ver", {{"N", "1.5"}}},
                                                 {"ver", {{"N", "99999999999999999999"}}},
                                                 {"idx", {{"N", "4294967296"}}},
                                                 {"state", {{"S", "BORED"}}},
                                                 {"tid", {{"N", "1"}}},
                                                 {"enq", {{"S", "yes"}}},
                                                 {"err", {{"B", "not base64!"}}},
                                                 {"out", {{"S", "no tab\n"}}},
                                                 {"out_parts", {{"N", "100000"}}},
                                                 {"input", {{"S", "x"}, {"N", "1"}}},
                                                 {"ckpt", json::array()}}) {
    json bad = good;
    bad[attr] = value;
    auto t = DecodeTask(bad, {});
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << attr << " " << value.dump();
  }
  EXPECT_EQ(DecodeTask(json("text"), {}).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeAttempt(json::object(), {}).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeJob(json::array()).status().code(), StatusCode::kDataLoss);
}

// An id is part of an item's key, which DynamoDB holds as text: an id given as the base64 of
// other bytes (as free text may be) is refused, not decoded into a key that cannot be written
// (dynamodb_item_fuzzer found a job so).
TEST(DynamoDbItems, IdsThatAreNoTextAreDataLoss) {
  const json not_text = {{"B", Base64Encode("bad \xff bytes")}};
  json job = EncodeJob(JobRecord{"j", "in/j", "etag", 1, 77}, 1, 1).item;
  job["jid"] = not_text;
  EXPECT_EQ(DecodeJob(job).status().code(), StatusCode::kDataLoss);
  for (const char* attr : {"tid", "job"}) {
    json task = EncodeTask(FullTask(), 2).item;
    task[attr] = not_text;
    EXPECT_EQ(DecodeTask(task, {}).status().code(), StatusCode::kDataLoss) << attr;
  }
  json text_is_fine = EncodeTask(FullTask(), 2).item;
  text_is_fine["tid"] = {{"B", Base64Encode("plain-id")}};
  EXPECT_TRUE(DecodeTask(text_is_fine, {}).ok()) << "base64 of text still reads";
}

TEST(DynamoDbItems, Base64AndUtf8) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < 6; ++n) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(all.substr(0, n)), &back));
    EXPECT_EQ(back, all.substr(0, n));
  }
  std::string back;
  EXPECT_TRUE(Base64Decode(Base64Encode(all), &back));
  EXPECT_EQ(back, all);
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  for (const char* bad : {"Zm9vYg=", "Zm9vYh==", "Zm=vYg==", "Zm9v\nYg=="}) {
    EXPECT_FALSE(Base64Decode(bad, &back)) << bad;
  }
  EXPECT_TRUE(IsUtf8("plain ü € 𝄞"));
  for (std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    EXPECT_FALSE(IsUtf8(bad));
  }
}

TEST(DynamoDbItems, ChunkKeysOfDifferentOwnersNeverMeet) {
  EXPECT_NE(ChunkSk(AttemptSk("x"), "log", 1), ChunkSk(AttemptSk("x#log#0001"), "log", 0));
  EXPECT_LT(MemberSk(-1, "a"), MemberSk(0, "a"));
  EXPECT_LT(MemberSk(9, "a"), MemberSk(10, "a"));
  EXPECT_LT(SeqSk(9), SeqSk(10));
}

}  // namespace
}  // namespace spotbatch::ddb
