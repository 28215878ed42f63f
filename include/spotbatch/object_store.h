// ObjectStore: S3-like storage of immutable objects addressed by key.
//
// A key's first segment is the bucket ("in/photos/a.jpg" is object "photos/a.jpg" of bucket
// "in"). Keys are untrusted input: every method validates them (see core/object_key.h) and
// refuses a bad key with kInvalidArgument before touching anything.
//
// Writes are atomic: a reader sees the previous object or the new one, never a mix, and a
// crash during a write leaves the previous object (or none) in place.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "spotbatch/status.h"

namespace spotbatch {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // hex MD5 of the content, as S3 reports for single-part objects
  int64_t modified_unix_millis = 0;
};

// An upload that one process may stop and another continue (S3's multipart uploads): what
// PutFileResumable is given and reports. The caller records `id` and `part_size` once
// on_started has reported them (with its task, say) and gives them to a later call for the
// same key, from any process, to continue that upload.
struct ResumableUpload {
  // In: the upload to continue ("": none recorded). An upload the store no longer knows
  // (completed, aborted) is started anew. Out: the upload used.
  std::string id;
  // In: that upload's part size (0: unknown). Out: the part size used.
  uint64_t part_size = 0;
  // Called once, from the calling thread, when the upload is known and before any part is
  // sent (not called when the store puts the file in one step).
  std::function<void(const ResumableUpload&)> on_started;
  // Called after each part is sent, from the thread that sent it, one call at a time: false
  // stops the upload, which then fails with kUnavailable and can be continued.
  std::function<bool()> keep_going;

  // Out: what happened.
  bool resumed = false;    // continued an upload that existed before the call
  int parts_total = 0;     // parts of the object
  int parts_reused = 0;    // already uploaded with the right bytes: not sent again
  int parts_uploaded = 0;  // sent by this call
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `data` under `key`, replacing any object there. Returns the stored object's info.
  virtual Result<ObjectInfo> Put(std::string_view key, std::string_view data) = 0;
  // Stores the content of the local file `path` under `key` (large files stream; the AWS
  // adapter uses multipart upload).
  virtual Result<ObjectInfo> PutFile(std::string_view key, const std::string& path) = 0;
  // The whole object, or kNotFound.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Up to `length` bytes from `offset`; shorter at the end of the object.
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;
  // Writes the object to the local file `path`: created, or overwritten and cut to the
  // object's length (a reader may see the file change while this runs).
  virtual Status GetToFile(std::string_view key, const std::string& path) = 0;
  // Size, ETag and time of one object, or kNotFound.
  virtual Result<ObjectInfo> Stat(std::string_view key) = 0;
  // Every object whose key starts with `prefix`, in lexicographic key order.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;
  // Atomically makes `dst` a copy of `src` (S3 CopyObject). kNotFound if `src` is missing.
  virtual Status Copy(std::string_view src, std::string_view dst) = 0;
  // Removes the object. Removing a missing object succeeds (as S3 DeleteObject does).
  virtual Status Delete(std::string_view key) = 0;

  // PutFile, continuing `upload` where the store uploads in steps; fails as PutFile does. On
  // a retryable failure `upload.id` (when not empty) names what a later call can continue.
  // Stores that put a file in one step have nothing to continue: PutFile, `upload.id` empty.
  virtual Result<ObjectInfo> PutFileResumable(std::string_view key, const std::string& path,
                                              ResumableUpload& upload) {
    (void)upload;
    return PutFile(key, path);
  }
  // Gives up an unfinished upload of `key` (its parts are freed). One the store no longer
  // knows succeeds; a failure costs only storage until the store expires the upload.
  virtual Status AbandonUpload(std::string_view key, const std::string& upload_id) {
    (void)key;
    (void)upload_id;
    return Status::Ok();
  }
};

}  // namespace spotbatch
