// CheckpointSync: an attempt's checkpoint folder and its copies in the object store. It
// uploads the folder under a new prefix when it changed since the last upload or restore,
// restores a committed checkpoint into it, and deletes the copies nothing will read again.
// Which copy is current is the task's committed record; this class only moves files.
#pragma once

#include <cstdint>
#include <string>

#include "spotbatch/object_store.h"

namespace spotbatch {

class CheckpointSync {
 public:
  // `folder` is the attempt's scratch checkpoint folder.
  CheckpointSync(ObjectStore& store, std::string folder)
      : store_(store), folder_(std::move(folder)) {}

  // A new attempt: nothing of it is uploaded yet, and its prefixes count from 1 again.
  void BeginAttempt();
  struct Upload {
    std::string prefix;  // empty: the folder is empty or unchanged, nothing was uploaded
    int64_t written_unix_millis = 0;  // the newest file's time
  };
  // Uploads the folder under the next prefix of attempt `token` of `task_id` when it changed
  // since the last upload or restore. On failure deletes what it uploaded and returns the
  // store's status, naming the file.
  Result<Upload> UploadIfChanged(const std::string& task_id, const std::string& token);
  // Puts the checkpoint under `prefix` into the folder; what was restored counts as uploaded.
  // The store's status on failure (kNotFound when an object vanished); the folder may then
  // hold part of it.
  Status Restore(const std::string& prefix);
  // The commit that would have made `prefix` current failed: deletes it, and uploads the
  // folder again next time even if it did not change.
  void Abandon(const std::string& prefix);
  // Deletes every object under `prefix` (a replaced or finished checkpoint); "" does nothing.
  // Failures are skipped: what is left is garbage the janitor removes.
  void Drop(const std::string& prefix);

 private:
  ObjectStore& store_;
  const std::string folder_;
  std::string signature_;  // of the folder as last uploaded or restored
  int seq_ = 0;            // prefixes of this attempt so far
};

}  // namespace spotbatch
