#include "agent/scratch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace spotbatch {
namespace {
namespace fs = std::filesystem;
}  // namespace

Status StageInput(ObjectStore& store, const std::string& key, const std::string& input,
                  const std::string& spare) {
  const bool reused = std::rename(spare.c_str(), input.c_str()) == 0;
  Status staged = store.GetToFile(key, input);
  if (!staged.ok() && reused) {
    ::unlink(input.c_str());
    staged = store.GetToFile(key, input);
  }
  return staged;
}

void KeepAsSpare(const std::string& input, const std::string& spare) {
  struct stat st;
  if (::lstat(input.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    (void)std::rename(input.c_str(), spare.c_str());
  }
}

Result<std::vector<std::string>> ListOutputFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    // Not followed: a link to a file elsewhere would publish that file (found by
    // ScratchTest.OutputsAreSortedFilesAndASymlinkIsRefused; only dangling links were refused).
    if (it->is_symlink(ec)) {
      return InvalidArgument("output " + it->path().string() +
                             " is a symbolic link (symlinks are not published)");
    }
    if (it->is_regular_file(ec)) {
      files.push_back(fs::relative(it->path(), dir, ec).generic_string());
    } else if (!it->is_directory(ec)) {
      return InvalidArgument("output " + it->path().string() +
                             " is neither a file nor a directory (symlinks are not published)");
    }
  }
  if (ec) return Internal("cannot list outputs in " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<FolderState> ScanFolder(const std::string& dir) {
  FolderState out;
  SB_ASSIGN_OR_RETURN(out.files, ListOutputFiles(dir));
  for (const std::string& f : out.files) {
    struct stat st;
    if (::stat((dir + "/" + f).c_str(), &st) != 0) continue;  // removed meanwhile
    const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    out.signature += f + "\t" + std::to_string(st.st_size) + "\t" + std::to_string(mtime_ns) + "\n";
    out.newest_unix_millis = std::max(out.newest_unix_millis, mtime_ns / 1'000'000);
  }
  return out;
}

void EmptyFolder(const std::string& dir) {
  std::error_code ec;
  for (auto& child : fs::directory_iterator(dir, ec)) fs::remove_all(child.path(), ec);
}

void EmptyScratch(const std::string& dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename();
    std::error_code e2;
    if (name == kSpareInput) continue;
    if ((name == "input" || name == "output" || name == "checkpoint") && it->is_directory(e2)) {
      EmptyFolder(it->path().string());
    } else {
      fs::remove_all(it->path(), e2);
    }
  }
}

}  // namespace spotbatch
