#include "agent/output_uploads.h"

#include <algorithm>

#include "core/task_codec.h"

namespace spotbatch {

OutputUploads::OutputUploads(ObjectStore& store, std::vector<PendingUpload> pending, Hooks hooks)
    : store_(store), pending_(std::move(pending)), hooks_(std::move(hooks)) {}

std::vector<PendingUpload>::iterator OutputUploads::Find(const std::string& final_key) {
  return std::find_if(pending_.begin(), pending_.end(),
                      [&](const PendingUpload& p) { return p.final_key == final_key; });
}

Result<ObjectInfo> OutputUploads::Put(OutputFile& out, const std::string& path) {
  ResumableUpload upload;
  if (auto it = Find(out.final_key); it != pending_.end()) {
    out.staging_key = it->staging_key;
    upload.id = it->upload_id;
    upload.part_size = it->part_size;
  }
  upload.on_started = [&](const ResumableUpload& started) {
    PendingUpload record{out.final_key, out.staging_key, started.id, started.part_size};
    // An id that cannot be recorded (a control byte in it) leaves the upload to the store's
    // own lookup by key, or to a new start.
    if (!IsRecordable(record)) return;
    if (auto it = Find(out.final_key); it != pending_.end()) {
      if (*it == record) return;  // continued as recorded: nothing new to say
      *it = std::move(record);
    } else {
      pending_.push_back(std::move(record));
    }
    if (hooks_.record) hooks_.record(pending_);
  };
  upload.keep_going = hooks_.keep_going;
  Result<ObjectInfo> put = store_.PutFileResumable(out.staging_key, path, upload);
  if (put.ok()) {
    if (auto it = Find(out.final_key); it != pending_.end()) pending_.erase(it);
  }
  return put;
}

void OutputUploads::AbandonUnused() {
  // Every output was put, and its record dropped: what is left, no output continued.
  for (const PendingUpload& p : pending_) {
    (void)store_.AbandonUpload(p.staging_key, p.upload_id);  // else the store expires it
  }
  pending_.clear();
}

}  // namespace spotbatch
