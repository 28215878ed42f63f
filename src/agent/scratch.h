// A worker's scratch space: the folders an attempt's command reads and writes, emptied
// between attempts, and the listings the worker takes of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spotbatch/object_store.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The input copy of the last attempt, kept to be overwritten by the next one: on the ext4
// these machines run, allocating an inode for every short task (and freeing it) cost more
// kernel time than the rest of the worker's file handling together.
inline constexpr const char* kSpareInput = ".spare-input";

// Copies object `key` of `store` to the file `input`, into the spare input file `spare` when
// there is one (renamed to `input` and overwritten in place, no new inode); should that fail
// (the last command left the spare unwritable), into a new file. The store's error otherwise.
Status StageInput(ObjectStore& store, const std::string& key, const std::string& input,
                  const std::string& spare);

// Keeps the staged input `input`, if it is still a regular file, as the spare for the next
// attempt.
void KeepAsSpare(const std::string& input, const std::string& spare);

// Regular files under `dir`, as sorted relative paths with '/' separators. kInvalidArgument
// for anything else (a symlink, a device): outputs are files only.
Result<std::vector<std::string>> ListOutputFiles(const std::string& dir);

// The regular files under `dir`, a signature of them ("path\tsize\tmtime_ns" lines, sorted)
// that changes when any of them does, and the newest file's time.
struct FolderState {
  std::vector<std::string> files;  // relative paths, sorted
  std::string signature;
  int64_t newest_unix_millis = 0;
};
Result<FolderState> ScanFolder(const std::string& dir);

// Removes everything inside `dir`, keeping `dir` itself.
void EmptyFolder(const std::string& dir);

// Removes everything in the scratch folder `dir` but its input/, output/ and checkpoint/
// folders (emptied) and the spare input file.
void EmptyScratch(const std::string& dir);

}  // namespace spotbatch
