#include "adapters/local/dir_object_store.h"

#include <sys/stat.h>

#include <thread>

#include "contract/object_store_contract.h"

namespace spotbatch {
namespace {

std::unique_ptr<ObjectStore> Open(const std::string& dir) {
  auto store = OpenDirObjectStore(dir + "/root");
  return store.ok() ? std::move(*store) : nullptr;
}

using contract::ObjectStoreContract;
INSTANTIATE_TEST_SUITE_P(Dir, ObjectStoreContract, ::testing::Values(Open),
                         [](const auto&) { return std::string("adapter"); });

TEST(DirObjectStore, FilesCopiedInDirectlyAreObjectsWithCorrectEtag) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  testing::WriteFile(dir / "root/in/dropped.txt", "hello");
  auto list = store->List("in/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "in/dropped.txt");
  EXPECT_EQ((*list)[0].etag, "5d41402abc4b2a76b9719d911017c592");
  // Rewritten in place by another program: the cached ETag must not be reused.
  testing::WriteFile(dir / "root/in/dropped.txt", "hello, world");
  EXPECT_EQ(store->Stat("in/dropped.txt")->etag, "e4d7f1b4ed2e42d15898f4b27b019da4");
}

TEST(DirObjectStore, InternalDirectoriesAreNotListed) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  ASSERT_TRUE(store->Put("in/a", "x").ok());
  auto all = store->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "in/a");
}

TEST(DirObjectStore, KeyThatIsAlsoAPrefixIsRefusedClearly) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  ASSERT_TRUE(store->Put("b/a/c", "x").ok());
  auto put = store->Put("b/a", "y");
  EXPECT_EQ(put.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->Put("b/f", "x").ok());
  EXPECT_EQ(store->Put("b/f/g", "y").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store->Get("b/f"), "x");
}

TEST(DirObjectStore, FailedWriteLeavesNoTempFiles) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  ASSERT_TRUE(store->Put("b/f", "x").ok());
  (void)store->Put("b/f/g", "y");
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "root/.tmp")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 0);
}

// Found by the simulated power loss: a copy is a hard link renamed into place, and renaming
// onto another name of the same file does nothing, so a repeated copy kept its temporary link.
TEST(DirObjectStore, CopyMadeAgainLeavesNoTempFiles) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  ASSERT_TRUE(store->Put("_spotbatch/staging/t/a", "x").ok());
  ASSERT_TRUE(store->Copy("_spotbatch/staging/t/a", "out/a").ok());
  ASSERT_TRUE(store->Copy("_spotbatch/staging/t/a", "out/a").ok()) << "a publish repeated";
  EXPECT_EQ(*store->Get("out/a"), "x");
  EXPECT_TRUE(std::filesystem::is_empty(dir / "root/.tmp"));
}

TEST(DirObjectStore, ReopeningRemovesOnlyAbandonedTempFiles) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  testing::WriteFile(dir / "root/.tmp/abandoned", "half an object");
  testing::WriteFile(dir / "root/.tmp/in-progress", "being written");
  std::filesystem::last_write_time(
      dir / "root/.tmp/abandoned",
      std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
  store = Open(dir.path());
  EXPECT_FALSE(std::filesystem::exists(dir / "root/.tmp/abandoned"));
  EXPECT_TRUE(std::filesystem::exists(dir / "root/.tmp/in-progress"));
}

// Regression: a Delete pruning an emptied parent directory raced a Put creating it, and the
// Put failed with ENOENT ("cannot create .../staging/<token>").
TEST(DirObjectStore, ConcurrentPutAndDeleteUnderSharedPrefixNeverFail) {
  testing::TempDir dir;
  auto store = Open(dir.path());
  std::atomic<int> failures{0};
  auto churn = [&](int id) {
    for (int i = 0; i < 300; ++i) {
      const std::string key = "b/staging/" + std::to_string(id) + "-" + std::to_string(i) + "/f";
      if (!store->Put(key, "x").ok()) ++failures;
      if (!store->Delete(key).ok()) ++failures;
    }
  };
  std::thread a(churn, 1), b(churn, 2);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace spotbatch
