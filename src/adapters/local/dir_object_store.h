// ObjectStore in a directory tree: object "bucket/a/b" is the file <root>/bucket/a/b.
//
// Writes go to <root>/.tmp, are fsynced and renamed into place, and the parent directory is
// fsynced: a reader never sees half an object and a crash keeps the old one or the new one.
// ETags (MD5) are computed while writing and cached under <root>/.meta, keyed by size and
// modification time, so files copied into the tree by other programs get correct ETags too.
// Limitation of a file tree: "a/b" and "a/b/c" cannot both exist (kFailedPrecondition).
#pragma once

#include <memory>
#include <string>

#include "common/file_system.h"
#include "spotbatch/object_store.h"

namespace spotbatch {

// Opens (creating if needed) a store rooted at `root`, changing files through `fs` (tests
// pass one that simulates power loss).
Result<std::unique_ptr<ObjectStore>> OpenDirObjectStore(const std::string& root,
                                                        FileSystem& fs = PosixFileSystem());

}  // namespace spotbatch
