#include "agent/checkpoint_sync.h"

#include <filesystem>

#include "agent/scratch.h"
#include "core/pipeline_keys.h"

namespace spotbatch {

void CheckpointSync::BeginAttempt() {
  signature_.clear();
  seq_ = 0;
}

Result<CheckpointSync::Upload> CheckpointSync::UploadIfChanged(const std::string& task_id,
                                                               const std::string& token) {
  SB_ASSIGN_OR_RETURN(FolderState now, ScanFolder(folder_));
  if (now.files.empty() || now.signature == signature_) return Upload{};
  Upload out{CheckpointPrefix(task_id, token, ++seq_), now.newest_unix_millis};
  for (const std::string& file : now.files) {
    auto key = CheckpointFileKey(out.prefix, file);
    Status s = key.ok() ? store_.PutFile(*key, folder_ + "/" + file).status() : key.status();
    if (!s.ok()) {
      Drop(out.prefix);
      return Status(s.code(), "checkpoint file " + file + ": " + s.message());
    }
  }
  signature_ = std::move(now.signature);
  return out;
}

Status CheckpointSync::Restore(const std::string& prefix) {
  SB_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_.List(prefix));
  for (const ObjectInfo& o : objects) {
    const std::string path = folder_ + "/" + o.key.substr(prefix.size());
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    SB_RETURN_IF_ERROR(store_.GetToFile(o.key, path));
  }
  // What was restored need not be uploaded again.
  SB_ASSIGN_OR_RETURN(FolderState restored, ScanFolder(folder_));
  signature_ = std::move(restored.signature);
  return Status::Ok();
}

void CheckpointSync::Abandon(const std::string& prefix) {
  Drop(prefix);
  signature_.clear();
}

void CheckpointSync::Drop(const std::string& prefix) {
  if (prefix.empty()) return;
  auto objects = store_.List(prefix);
  if (!objects.ok()) return;  // garbage only: never worth failing a task over
  for (const ObjectInfo& o : *objects) (void)store_.Delete(o.key);
}

}  // namespace spotbatch
