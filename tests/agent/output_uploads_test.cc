// Resumable output uploads: the worker on the S3 object store (moto, multipart with small
// parts) and the embedded SQLite queue and state. An upload cut short by an interruption
// notice, or by a worker that vanished, is continued by the next attempt: the parts already
// sent are not sent again, and the object published is exactly the file. The attempt
// heartbeats while it uploads, and an upload the task no longer needs is abandoned.
#include "agent/output_uploads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "adapters/aws/imds_client.h"
#include "adapters/aws/s3_object_store.h"
#include "adapters/local/local_imds_server.h"
#include "agent/agent_fixture.h"
#include "aws/moto_server.h"
#include "aws/static_credentials.h"
#include "common/ids.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

constexpr uint64_t kPart = 256 << 10;     // moto's minimum here (S3_UPLOAD_PART_MIN_SIZE)
constexpr size_t kOutputBytes = 3 << 20;  // 12 parts

testing::MotoServer& Moto() {
  static testing::MotoServer* moto = [] {
    ::setenv("S3_UPLOAD_PART_MIN_SIZE", std::to_string(kPart).c_str(), 1);
    return new testing::MotoServer({.one_request_at_a_time = true});
  }();
  return *moto;
}

testing::StaticCredentials& MotoKeys() {
  static testing::StaticCredentials keys;
  return keys;
}

// The S3 store seen through the worker's port, with a hook between parts (to inject a
// notice, a pause or a vanishing worker at a chosen part) and a tally of every upload.
class HookedStore final : public ObjectStore {
 public:
  explicit HookedStore(S3ObjectStore& s3) : s3_(s3) {}
  Result<ObjectInfo> Put(std::string_view key, std::string_view data) override {
    return s3_.Put(key, data);
  }
  Result<ObjectInfo> PutFile(std::string_view key, const std::string& path) override {
    return s3_.PutFile(key, path);
  }
  Result<std::string> Get(std::string_view key) override { return s3_.Get(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return s3_.GetRange(key, offset, length);
  }
  Status GetToFile(std::string_view key, const std::string& path) override {
    return s3_.GetToFile(key, path);
  }
  Result<ObjectInfo> Stat(std::string_view key) override { return s3_.Stat(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return s3_.List(prefix);
  }
  Status Copy(std::string_view src, std::string_view dst) override { return s3_.Copy(src, dst); }
  Status Delete(std::string_view key) override { return s3_.Delete(key); }
  Status AbandonUpload(std::string_view key, const std::string& upload_id) override {
    return s3_.AbandonUpload(key, upload_id);
  }
  Result<ObjectInfo> PutFileResumable(std::string_view key, const std::string& path,
                                      ResumableUpload& upload) override {
    std::function<bool()> worker_keep_going = upload.keep_going;
    int sent = 0;
    upload.keep_going = [&] {
      ++sent;
      if (between_parts && !between_parts(sent)) return false;
      return worker_keep_going ? worker_keep_going() : true;
    };
    auto put = s3_.PutFileResumable(key, path, upload);
    std::lock_guard<std::mutex> lock(mu_);
    uploads_.push_back(upload);
    return put;
  }
  std::vector<ResumableUpload> uploads() {
    std::lock_guard<std::mutex> lock(mu_);
    return uploads_;
  }
  // Called after part `sent` of an upload (1-based, in this call): false stops the upload
  // as if the worker had gone (the worker's own keep_going is not asked).
  std::function<bool(int sent)> between_parts;

 private:
  S3ObjectStore& s3_;
  std::mutex mu_;
  std::vector<ResumableUpload> uploads_;
};

class OutputUploadsTest : public testing::AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    ASSERT_FALSE(Moto().endpoint().empty()) << Moto().log();
    const std::string tag = RandomHex(6);
    in_ = "sb-in-" + tag;
    out_ = "sb-out-" + tag;
    work_ = "sb-work-" + tag;
    S3Options o;
    o.endpoint = Moto().endpoint();
    o.addressing = S3Addressing::kPathStyle;
    o.work_bucket = work_;
    o.multipart_threshold = kPart;
    o.part_size = kPart;
    o.min_part_size = kPart;
    o.parallelism = 1;  // parts in order: "after part N" means parts 1..N are there
    auto s3 = S3ObjectStore::New(o, MotoKeys(), SystemClock());
    ASSERT_TRUE(s3.ok()) << s3.status().ToString();
    s3_ = std::move(*s3);
    for (const std::string& b : {in_, out_, work_}) ASSERT_TRUE(s3_->CreateBucket(b).ok());
    hooked_ = std::make_unique<HookedStore>(*s3_);
    store_ = std::make_unique<FaultyObjectStore>(*hooked_, store_faults_);
    pipeline_.input_prefix = in_ + "/";
    pipeline_.output_prefix = out_ + "/";
    // A big output, the same bytes every time: its parts can be reused.
    pipeline_.command = {"sh", "-c",
                         "yes 'spotbatch resumes uploads' | head -c " +
                             std::to_string(kOutputBytes) + " > \"$1/big.bin\"",
                         "_", "{output_dir}"};
    std::string expected;
    while (expected.size() < kOutputBytes) expected += "spotbatch resumes uploads\n";
    expected_ = expected.substr(0, kOutputBytes);
  }

  std::string AddInput() {
    auto info = store_->Put(in_ + "/video.mov", "input");
    EXPECT_TRUE(info.ok());
    bool created = false;
    Ingest ingest(pipeline_, *store_, *queue_, *state_, SystemClock());
    auto id = ingest.IngestObject(*info, &created);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  std::string OutputKey() const { return out_ + "/video.mov/big.bin"; }
  // Parts S3 holds for the task's one recorded upload.
  size_t PartsOfRecordedUpload(const std::string& job) {
    const TaskRecord t = TaskOf(job);
    if (t.uploads.size() != 1) return 0;
    auto parts = s3_->ListParts(t.uploads[0].staging_key, t.uploads[0].upload_id);
    return parts.ok() ? parts->size() : 0;
  }
  void ExpectPublishedWhole(const std::string& job) {
    const TaskRecord t = TaskOf(job);
    EXPECT_EQ(t.state, TaskState::kSucceeded) << t.last_error;
    EXPECT_TRUE(t.uploads.empty());
    auto out = s3_->Get(OutputKey());
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(*out == expected_) << "the published object is not the file";
    EXPECT_TRUE(Keys("_spotbatch/staging/").empty()) << "staging left behind";
    for (const OutputFile& f : t.outputs) {
      EXPECT_TRUE(s3_->ListUploads(f.staging_key)->empty()) << "an upload left in progress";
    }
    EXPECT_EQ(Depth().visible + Depth().in_flight + Depth().delayed, 0);
  }

  FaultInjector store_faults_;
  std::unique_ptr<S3ObjectStore> s3_;
  std::unique_ptr<HookedStore> hooked_;
  std::string in_, out_, work_, expected_;
};

TEST_F(OutputUploadsTest, AnInterruptionDuringTheUploadHandsItToTheNextAttempt) {
  auto imds = LocalImdsServer::Start(SystemClock());
  ASSERT_TRUE(imds.ok());
  auto metadata = NewImdsClient({(*imds)->endpoint(), 21600, 500}, SystemClock());
  ASSERT_TRUE(metadata.ok());
  const std::string job = AddInput();
  WorkerOptions spot = options_;
  spot.on_spot = true;
  spot.pool = "spot-a";
  spot.metadata_poll_millis = 20;
  // After the third part the notice comes; the upload goes on until the worker has seen it.
  hooked_->between_parts = [&](int sent) {
    if (sent == 3) {
      const int64_t now = SystemClock().NowUnixMillis();
      const int64_t polls_before = (*imds)->requests();
      (*imds)->ScheduleInterruption(now, now + 120'000);
      // Two polls after the notice: the worker's watcher has read it.
      EXPECT_TRUE(testing::WaitFor([&] { return (*imds)->requests() >= polls_before + 8; }));
    }
    return true;
  };
  auto first = NewWorker(spot);
  first->set_instance_metadata(metadata->get());
  ASSERT_TRUE(first->Run().ok());
  EXPECT_EQ(first->exit_reason(), "interrupted");
  auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kInterrupted) << attempts[0].message;
  EXPECT_NE(attempts[0].message.find("during the upload of output big.bin"), std::string::npos)
      << attempts[0].message;
  const TaskRecord interrupted = TaskOf(job);
  ASSERT_EQ(interrupted.uploads.size(), 1u);
  EXPECT_EQ(interrupted.uploads[0].final_key, OutputKey());
  EXPECT_EQ(interrupted.uploads[0].part_size, kPart);
  // The parts sent before the worker saw the notice (three, or one more in flight) stay.
  const size_t kept = PartsOfRecordedUpload(job);
  EXPECT_GE(kept, 3u);
  EXPECT_LT(kept, 12u);

  hooked_->between_parts = nullptr;
  WorkerOptions od = options_;
  od.worker_id = "w2";
  od.work_dir = dir_ / "work2";
  auto second = NewWorker(od);
  ASSERT_TRUE(*second->RunOnce());
  ExpectPublishedWhole(job);
  const ResumableUpload resumed = hooked_->uploads().back();
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.id, interrupted.uploads[0].upload_id);
  EXPECT_EQ(resumed.parts_reused, static_cast<int>(kept));
  EXPECT_EQ(resumed.parts_uploaded, 12 - static_cast<int>(kept)) << "only the rest was sent";
}

TEST_F(OutputUploadsTest, AWorkerThatVanishesMidUploadLeavesItToTheNextAttempt) {
  const std::string job = AddInput();
  FaultInjector state_faults;
  FaultyStateStore vanishing(*state_, state_faults);
  WorkerOptions short_lease = options_;
  short_lease.lease_millis = 1'000;
  short_lease.heartbeat_millis = 200;
  // After five parts the worker is gone: nothing it does reaches the state or the queue.
  hooked_->between_parts = [&](int sent) {
    if (sent < 5) return true;
    state_faults.Add({.status = InjectedUnavailable()});
    return false;
  };
  Worker first(pipeline_, short_lease, *store_, *queue_, vanishing, SystemClock(),
               [] { return 0.5; });
  EXPECT_FALSE(first.RunOnce().ok());
  const TaskRecord left = TaskOf(job);
  ASSERT_EQ(left.state, TaskState::kRunning);
  ASSERT_EQ(left.uploads.size(), 1u) << "recorded before the first part";
  EXPECT_EQ(PartsOfRecordedUpload(job), 5u);

  hooked_->between_parts = nullptr;
  WorkerOptions next = options_;
  next.worker_id = "w2";
  next.work_dir = dir_ / "work2";
  auto second = NewWorker(next);
  // The message comes back once its lease (a second) has run out; a delivery before the
  // task's own lease has run out is only put off.
  ASSERT_TRUE(testing::WaitFor([&] {
    EXPECT_TRUE(second->RunOnce().ok());
    return TaskOf(job).state == TaskState::kSucceeded;
  }));
  ExpectPublishedWhole(job);
  auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kLost);
  EXPECT_EQ(attempts[1].outcome, AttemptOutcome::kSucceeded);
  const ResumableUpload resumed = hooked_->uploads().back();
  EXPECT_EQ(resumed.parts_reused, 5);
  EXPECT_EQ(resumed.parts_uploaded, 7);
}

// Uploading takes longer than the lease: the attempt heartbeats between parts, so a second
// worker polling all along never gets the task.
TEST_F(OutputUploadsTest, TheAttemptHeartbeatsWhileItUploads) {
  const std::string job = AddInput();
  options_.lease_millis = 1'000;
  options_.heartbeat_millis = 200;
  hooked_->between_parts = [&](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a slow link: 2.4 s in all
    return true;
  };
  WorkerOptions other = options_;
  other.worker_id = "w2";
  other.work_dir = dir_ / "work2";
  auto rival = NewWorker(other);
  std::atomic<bool> done{false};
  std::atomic<int> rival_got{0};
  std::thread poller([&] {
    while (!done.load()) {
      auto got = rival->RunOnce();
      if (got.ok() && *got) ++rival_got;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto worker = NewWorker();
  auto ran = worker->RunOnce();
  done = true;
  poller.join();
  ASSERT_TRUE(ran.ok()) << ran.status().ToString();
  EXPECT_EQ(rival_got.load(), 0);
  ExpectPublishedWhole(job);
  auto attempts = AttemptsOf(job);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].worker, "w1");
}

// The task recorded an upload for an output the command no longer writes: once the task
// succeeds, that upload is aborted rather than left to cost storage.
TEST_F(OutputUploadsTest, AnUploadNoOutputContinuesIsAbandonedOnSuccess) {
  const std::string job = AddInput();
  testing::TempDir local;
  testing::WriteFile(local / "old", std::string(kOutputBytes, 'x'));
  const std::string stale_key = "_spotbatch/staging/gone/0";
  ResumableUpload stale;
  stale.keep_going = [] { return false; };  // one part, then left
  ASSERT_EQ(s3_->PutFileMultipart(stale_key, local / "old", stale).status().code(),
            StatusCode::kUnavailable);
  ASSERT_EQ(s3_->ListUploads(stale_key)->size(), 1u);
  {
    const TaskRecord t = TaskOf(job);
    TaskRecord with = t;
    with.uploads = {{out_ + "/video.mov/old.bin", stale_key, stale.id, kPart}};
    with.version = t.version + 1;
    ASSERT_TRUE(state_->CommitTask(with, t.version, {}).ok());
  }
  auto worker = NewWorker();
  ASSERT_TRUE(*worker->RunOnce());
  ExpectPublishedWhole(job);
  EXPECT_TRUE(s3_->ListUploads(stale_key)->empty()) << "the stale upload was not abandoned";
}

// A store that puts a file in one step (the embedded directory) has nothing to resume: the
// worker records nothing, whatever the size.
TEST(OutputUploads, AStoreThatPutsInOneStepRecordsNothing) {
  testing::TempDir dir;
  auto store = OpenDirObjectStore(dir / "store");
  ASSERT_TRUE(store.ok());
  testing::WriteFile(dir / "f", std::string(kOutputBytes, 'y'));
  int records = 0;
  OutputUploads uploads(
      **store, {}, {[&](const std::vector<PendingUpload>&) { ++records; }, [] { return true; }});
  OutputFile out{"_spotbatch/staging/t/0", "out/a/f"};
  ASSERT_TRUE(uploads.Put(out, dir / "f").ok());
  EXPECT_EQ(records, 0);
  EXPECT_TRUE(uploads.pending().empty());
  EXPECT_EQ((*store)->Get("_spotbatch/staging/t/0")->size(), kOutputBytes);
}

}  // namespace
}  // namespace spotbatch
