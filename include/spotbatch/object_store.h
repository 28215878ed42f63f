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
};

}  // namespace spotbatch
