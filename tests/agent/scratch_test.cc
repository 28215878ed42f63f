#include "agent/scratch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/memory/memory_object_store.h"
#include "common/fake_clock.h"
#include "test_util.h"
#include "testing/fault_injector.h"
#include "testing/faulty_ports.h"

namespace spotbatch {
namespace {

namespace fs = std::filesystem;
using testing::WriteFile;

TEST(ScratchTest, EmptyScratchKeepsItsFoldersAndTheSpareInput) {
  testing::TempDir dir;
  for (const char* f :
       {"input/a", "output/sub/b", "checkpoint/c", ".spare-input", "deadline", "stray/d"}) {
    WriteFile(dir / f, "x");
  }
  EmptyScratch(dir.path());
  for (const char* kept : {"input", "output", "checkpoint"}) {
    EXPECT_TRUE(fs::is_directory(dir / kept)) << kept;
    EXPECT_TRUE(fs::is_empty(dir / kept)) << kept;
  }
  EXPECT_TRUE(fs::exists(dir / kSpareInput)) << "reused by the next attempt";
  EXPECT_FALSE(fs::exists(dir / "deadline"));
  EXPECT_FALSE(fs::exists(dir / "stray"));
}

TEST(ScratchTest, OutputsAreSortedFilesAndASymlinkIsRefused) {
  testing::TempDir dir;
  WriteFile(dir / "b/2", "x");
  WriteFile(dir / "a", "x");
  WriteFile(dir / "b/1", "x");
  auto files = ListOutputFiles(dir.path());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"a", "b/1", "b/2"}));
  ASSERT_EQ(::symlink("/etc/passwd", (dir / "link").c_str()), 0);
  auto refused = ListOutputFiles(dir.path());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("symlinks are not published"), std::string::npos);
}

TEST(ScratchTest, FolderSignatureChangesWithAnyFile) {
  testing::TempDir dir;
  WriteFile(dir / "a", "1");
  WriteFile(dir / "sub/b", "2");
  const FolderState before = *ScanFolder(dir.path());
  EXPECT_EQ(before.files, (std::vector<std::string>{"a", "sub/b"}));
  EXPECT_EQ(ScanFolder(dir.path())->signature, before.signature) << "nothing changed";
  WriteFile(dir / "sub/b", "22");
  EXPECT_NE(ScanFolder(dir.path())->signature, before.signature);
  EXPECT_GT(before.newest_unix_millis, 0);
}

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(ScratchTest, StagingOverwritesTheSpareInputInPlace) {
  testing::TempDir dir;
  FakeClock clock;
  MemoryObjectStore store(clock);
  ASSERT_TRUE(store.Put("in/a.txt", "new input").ok());
  WriteFile(dir / "input/.keep", "");
  WriteFile(dir / kSpareInput, "the last attempt's much longer input");
  const ino_t spare = InodeOf(dir / kSpareInput);
  ASSERT_TRUE(StageInput(store, "in/a.txt", dir / "input/a.txt", dir / kSpareInput).ok());
  EXPECT_EQ(testing::ReadFile(dir / "input/a.txt"), "new input") << "truncated, not appended";
  EXPECT_EQ(InodeOf(dir / "input/a.txt"), spare) << "no new inode";
  EXPECT_FALSE(fs::exists(dir / kSpareInput));
  KeepAsSpare(dir / "input/a.txt", dir / kSpareInput);
  EXPECT_EQ(InodeOf(dir / kSpareInput), spare);
  EXPECT_FALSE(fs::exists(dir / "input/a.txt"));
}

// A store whose first GetToFile fails, as when the last command left the spare unwritable
// (which root, running these tests here, would write anyway).
class StagingFaultTest : public ::testing::Test {
 protected:
  StagingFaultTest() {
    EXPECT_TRUE(base_.Put("in/a.txt", "data").ok());
    faults_.Add({.method = "GetToFile", .nth = 1, .status = InjectedUnavailable()});
    WriteFile(dir_ / "input/.keep", "");
  }
  Status Stage() {
    return StageInput(store_, "in/a.txt", dir_ / "input/a.txt", dir_ / kSpareInput);
  }
  testing::TempDir dir_;
  FakeClock clock_;
  MemoryObjectStore base_{clock_};
  FaultInjector faults_;
  FaultyObjectStore store_{base_, faults_};
};

TEST_F(StagingFaultTest, StagingStartsANewFileWhenWritingTheSpareFails) {
  WriteFile(dir_ / kSpareInput, "old");
  // A second name keeps the spare's inode alive (so it is not reused) and shows what it holds.
  ASSERT_EQ(::link((dir_ / kSpareInput).c_str(), (dir_ / "witness").c_str()), 0);
  ASSERT_TRUE(Stage().ok());
  EXPECT_EQ(testing::ReadFile(dir_ / "input/a.txt"), "data");
  EXPECT_NE(InodeOf(dir_ / "input/a.txt"), InodeOf(dir_ / "witness")) << "a new file";
  EXPECT_EQ(testing::ReadFile(dir_ / "witness"), "old");
  EXPECT_EQ(faults_.calls("GetToFile"), 2);
}

TEST_F(StagingFaultTest, StagingWithoutASpareTriesOnce) {
  EXPECT_EQ(Stage().code(), StatusCode::kUnavailable)
      << "a store fault is the caller's to judge, not retried here";
  EXPECT_EQ(faults_.calls("GetToFile"), 1);
}

TEST(ScratchTest, StagingAMissingObjectSaysNotFound) {
  testing::TempDir dir;
  FakeClock clock;
  MemoryObjectStore store(clock);
  WriteFile(dir / "input/.keep", "");
  EXPECT_EQ(StageInput(store, "in/gone", dir / "input/gone", dir / kSpareInput).code(),
            StatusCode::kNotFound);
}

TEST(ScratchTest, OnlyARegularFileIsKeptAsTheSpare) {
  testing::TempDir dir;
  fs::create_directories(dir / "input/a-dir");
  KeepAsSpare(dir / "input/a-dir", dir / kSpareInput);
  EXPECT_FALSE(fs::exists(dir / kSpareInput)) << "a command replaced its input by a folder";
  KeepAsSpare(dir / "input/never-staged", dir / kSpareInput);
  EXPECT_FALSE(fs::exists(dir / kSpareInput));
}

}  // namespace
}  // namespace spotbatch
