// EventIngest on the embedded queue and store, reading notifications as S3 writes them
// (apps/s3_notifications.h), with the fault-injecting store for the failures.
#include "agent/event_ingest.h"

#include <nlohmann/json.hpp>

#include "agent/agent_fixture.h"
#include "apps/s3_notifications.h"
#include "test_util.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

constexpr const char* kEvents = "events";

// An S3 event naming `keys` of bucket "in" (the embedded input prefix's first segment),
// each form-URL-encoded as S3 writes it.
std::string S3Event(const std::vector<std::string>& encoded_keys,
                    const std::string& bucket = "in") {
  nlohmann::json records = nlohmann::json::array();
  for (const std::string& key : encoded_keys) {
    records.push_back({{"eventVersion", "2.1"},
                       {"eventSource", "aws:s3"},
                       {"eventName", "ObjectCreated:Put"},
                       {"eventTime", "2026-12-01T10:20:30.456Z"},
                       {"s3", {{"bucket", {{"name", bucket}}}, {"object", {{"key", key}}}}}});
  }
  return nlohmann::json{{"Records", records}}.dump();
}

class EventIngestTest : public testing::AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    ASSERT_TRUE(queue_->Configure(kEvents, {.max_receives = 5}).ok());
  }
  void Notify(const std::string& body) { ASSERT_TRUE(queue_->Send(kEvents, body, 0, 0).ok()); }
  Result<EventIngestReport> PollThrough(TaskQueue& queue, int max_messages) {
    Ingest ingest(pipeline_, *store_, queue, *state_, SystemClock());
    EventIngest events(ingest, pipeline_, *store_, queue, kEvents, DecodeS3Notification);
    return events.Poll(max_messages, 30'000);
  }
  EventIngestReport Poll(ObjectStore& store) {
    Ingest ingest(pipeline_, store, *queue_, *state_, SystemClock());
    EventIngest events(ingest, pipeline_, store, *queue_, kEvents, DecodeS3Notification);
    auto report = events.Poll(10, 30'000);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : EventIngestReport{};
  }
  EventIngestReport Poll() { return Poll(*store_); }
  int64_t Left(const std::string& queue) {
    const QueueDepth d = *queue_->Depth(queue);
    return d.visible + d.in_flight + d.delayed;
  }
  std::vector<std::string> JobInputs() {
    std::vector<std::string> out;
    for (const JobView& j : *state_->ListJobs()) out.push_back(j.job.input_key);
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(EventIngestTest, AnUploadStartsItsJobAsPutDoes) {
  ASSERT_TRUE(store_->Put("in/holiday/my photo(1).jpg", "jpeg").ok());
  Notify(S3Event({"holiday/my+photo%281%29.jpg"}));
  const EventIngestReport r = Poll();
  EXPECT_EQ(r.messages, 1);
  EXPECT_EQ(r.created_jobs, 1);
  EXPECT_EQ(JobInputs(), std::vector<std::string>{"in/holiday/my photo(1).jpg"});
  EXPECT_EQ(Left(kEvents), 0) << "the notification is deleted once handled";
  EXPECT_EQ(Left(pipeline_.queue), 1) << "the job's task is queued";
}

TEST_F(EventIngestTest, DuplicateStaleAndLateNotificationsStartNothingMore) {
  ASSERT_TRUE(store_->Put("in/a", "one").ok());
  Notify(S3Event({"a"}));
  Notify(S3Event({"a"}));  // a duplicate
  EXPECT_EQ(Poll().created_jobs, 1);
  // Replaced, and the new version's notification arrives before the old one's duplicate:
  // both name the key, and the current version is the one ingested.
  ASSERT_TRUE(store_->Put("in/a", "two").ok());
  Notify(S3Event({"a"}));
  Notify(S3Event({"a"}));
  const EventIngestReport r = Poll();
  EXPECT_EQ(r.created_jobs, 1);
  EXPECT_EQ(state_->ListJobs()->size(), 2u) << "one job per version";
  // Deleted before its notification is read: nothing to start.
  ASSERT_TRUE(store_->Put("in/b", "b").ok());
  ASSERT_TRUE(store_->Delete("in/b").ok());
  Notify(S3Event({"b"}));
  const EventIngestReport gone = Poll();
  EXPECT_EQ(gone.created_jobs, 0);
  EXPECT_EQ(gone.skipped, 1);
  EXPECT_EQ(Left(kEvents), 0);
}

TEST_F(EventIngestTest, OtherBucketsTestEventsAndBadRecordsHarmNothingElse) {
  ASSERT_TRUE(store_->Put("in/good", "g").ok());
  ASSERT_TRUE(store_->Put("elsewhere/x", "x").ok());
  Notify(S3Event({"x"}, "elsewhere"));  // not under the input prefix
  Notify(R"({"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"in"})");
  Notify(S3Event({"bad%4", "good", "x/../y"}));  // two broken records beside a good one
  Notify("this is no notification");
  const EventIngestReport r = Poll();
  EXPECT_EQ(r.messages, 4);
  EXPECT_EQ(r.created_jobs, 1);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(r.dead_lettered, 1);
  EXPECT_EQ(JobInputs(), std::vector<std::string>{"in/good"});
  EXPECT_EQ(Left(kEvents), 0);
  EXPECT_EQ(Left(std::string(kEvents) + "-dlq"), 1) << "the body that is no event, to inspect";
  int dropped = 0;
  for (const std::string& note : r.notes) dropped += note.starts_with("dropped: ");
  EXPECT_EQ(dropped, 2);
}

TEST_F(EventIngestTest, AStoreThatFailsLosesNoNotification) {
  ASSERT_TRUE(store_->Put("in/a", "a").ok());
  ASSERT_TRUE(store_->Put("in/b", "b").ok());
  Notify(S3Event({"a", "b"}));
  FaultInjector faults;
  faults.Add({.method = "Stat", .subject_part = "in/b", .status = InjectedUnavailable()});
  FaultyObjectStore failing(*store_, faults);
  const EventIngestReport r = Poll(failing);
  EXPECT_EQ(r.released, 1);
  EXPECT_EQ(r.created_jobs, 1) << "a's job is made; b's waits for the retry";
  EXPECT_EQ(Left(kEvents), 1) << "the notification comes back";
  // Once its delay has passed, the store answers again: b's job, and a's is not made twice.
  faults.Clear();
  ASSERT_TRUE(
      testing::WaitFor([&] { return Poll(failing).messages == 1; }, std::chrono::seconds(20)));
  EXPECT_EQ(JobInputs(), (std::vector<std::string>{"in/a", "in/b"}));
  EXPECT_EQ(Left(kEvents), 0);
}

// A burst of uploads costs a lease per ten notifications, not one each; when a lease fails
// partway, what was handled before it is still deleted, and the rest waits on the queue.
TEST_F(EventIngestTest, NotificationsAreLeasedTenAtATime) {
  constexpr int kUploads = 23;
  for (int i = 0; i < kUploads; ++i) {
    const std::string name = "f" + std::to_string(i);
    ASSERT_TRUE(store_->Put("in/" + name, name).ok());
    Notify(S3Event({name}));
  }
  FaultInjector faults;
  faults.Add({.method = "Lease", .nth = 3, .status = InjectedUnavailable()});
  FaultyTaskQueue counted(*queue_, faults);
  auto cut_short = PollThrough(counted, 100);
  EXPECT_EQ(cut_short.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(faults.calls("Lease"), 3);
  EXPECT_EQ(Left(kEvents), kUploads - 20) << "the 20 handled before the failure are deleted";
  EXPECT_EQ(state_->ListJobs()->size(), 20u);

  faults.Clear();
  auto rest = PollThrough(counted, 100);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->messages, kUploads - 20);
  EXPECT_EQ(faults.calls("Lease"), 3 + 2) << "one lease for the last three, one finding none";
  EXPECT_EQ(state_->ListJobs()->size(), size_t{kUploads});
  EXPECT_EQ(Left(kEvents), 0);
}

}  // namespace
}  // namespace spotbatch
