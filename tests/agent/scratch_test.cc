#include "agent/scratch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "test_util.h"

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

}  // namespace
}  // namespace spotbatch
