#include "agent/checkpoint_sync.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_object_store.h"
#include "test_util.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

using testing::ReadFile;
using testing::WriteFile;

class CheckpointSyncTest : public ::testing::Test {
 protected:
  std::vector<std::string> Keys(const std::string& prefix) {
    std::vector<std::string> keys;
    for (const ObjectInfo& o : *store_->List(prefix)) keys.push_back(o.key);
    return keys;
  }
  testing::TempDir dir_;
  std::unique_ptr<ObjectStore> store_ = std::make_unique<MemoryObjectStore>(SystemClock());
  std::string folder_ = dir_ / "checkpoint";
  CheckpointSync sync_{*store_, folder_};
};

TEST_F(CheckpointSyncTest, UploadsOnlyWhatChangedUnderANewPrefix) {
  sync_.BeginAttempt();
  std::filesystem::create_directories(folder_);
  EXPECT_TRUE(sync_.UploadIfChanged("t-0", "tok")->prefix.empty()) << "an empty folder";
  WriteFile(folder_ + "/state", "1");
  auto first = sync_.UploadIfChanged("t-0", "tok");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->prefix.empty());
  EXPECT_GT(first->written_unix_millis, 0);
  EXPECT_EQ(Keys(first->prefix), std::vector<std::string>{first->prefix + "state"});
  EXPECT_TRUE(sync_.UploadIfChanged("t-0", "tok")->prefix.empty()) << "unchanged";
  WriteFile(folder_ + "/state", "22");
  auto second = sync_.UploadIfChanged("t-0", "tok");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->prefix, first->prefix);
  EXPECT_EQ(*store_->Get(second->prefix + "state"), "22");
}

TEST_F(CheckpointSyncTest, RestoredFolderIsNotUploadedAgain) {
  ASSERT_TRUE(store_->Put("_spotbatch/checkpoints/t-0/old.1/a/b", "saved").ok());
  sync_.BeginAttempt();
  ASSERT_TRUE(sync_.Restore("_spotbatch/checkpoints/t-0/old.1/").ok());
  EXPECT_EQ(ReadFile(folder_ + "/a/b"), "saved");
  EXPECT_TRUE(sync_.UploadIfChanged("t-0", "new")->prefix.empty());
}

TEST_F(CheckpointSyncTest, FailedUploadLeavesNothingAndAbandonUploadsAgain) {
  FaultInjector faults;
  faults.Add({.method = "PutFile", .subject_part = "/b", .nth = 1});
  FaultyObjectStore flaky(*store_, faults);
  CheckpointSync sync(flaky, folder_);
  sync.BeginAttempt();
  WriteFile(folder_ + "/a", "1");
  WriteFile(folder_ + "/b", "2");
  auto failed = sync.UploadIfChanged("t-0", "tok");
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("checkpoint file b"), std::string::npos);
  EXPECT_TRUE(Keys("_spotbatch/").empty()) << "the half-uploaded prefix is deleted";
  auto uploaded = sync.UploadIfChanged("t-0", "tok");
  ASSERT_TRUE(uploaded.ok());
  EXPECT_EQ(Keys(uploaded->prefix).size(), 2u);
  sync.Abandon(uploaded->prefix);  // its commit failed
  EXPECT_TRUE(Keys("_spotbatch/").empty());
  EXPECT_FALSE(sync.UploadIfChanged("t-0", "tok")->prefix.empty()) << "uploaded again";
}

}  // namespace
}  // namespace spotbatch
