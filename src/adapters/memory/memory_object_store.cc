#include "adapters/memory/memory_object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>

#include "common/file_io.h"
#include "common/ids.h"
#include "core/object_key.h"

namespace spotbatch {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("no such file: " + path);
    return IoError("open", path, errno);
  }
  std::string out;
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size > 0) out.reserve(static_cast<size_t>(size));
  ::lseek(fd.get(), 0, SEEK_SET);
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Status WriteWholeFile(const std::string& path, const std::string& data) {
  // Overwritten in place and cut to length, as the directory store does (a reader may see
  // the file change while this runs, as the port allows).
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return IoError("create", path, errno);
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t w = ::write(fd.get(), p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(data.size())) != 0) {
    return IoError("truncate", path, errno);
  }
  return Status::Ok();
}

std::string Md5Hex(std::string_view data) {
  Md5 md5;
  md5.Update(data.data(), data.size());
  return md5.FinishHex();
}

Status NoObject(std::string_view key) { return NotFound("no object " + std::string(key)); }

}  // namespace

struct MemoryObjectStore::Objects {
  explicit Objects(Clock& c) : clock(c) {}
  struct Object {
    std::shared_ptr<const std::string> content;  // immutable: shared by copies and readers
    std::string etag;
    int64_t modified_unix_millis = 0;
  };
  ObjectInfo InfoOf(const std::string& key, const Object& o) const {
    return ObjectInfo{key, o.content->size(), o.etag, o.modified_unix_millis};
  }
  // The content of `key`, or null. Call with `mu` held.
  std::shared_ptr<const std::string> ContentLocked(std::string_view key) const {
    auto it = by_key.find(key);
    return it == by_key.end() ? nullptr : it->second.content;
  }

  Clock& clock;
  std::mutex mu;
  std::map<std::string, Object, std::less<>> by_key;  // ordered: List is a range of it
};

MemoryObjectStore::MemoryObjectStore(Clock& clock) : objects_(std::make_shared<Objects>(clock)) {}
MemoryObjectStore::MemoryObjectStore(std::shared_ptr<Objects> objects)
    : objects_(std::move(objects)) {}
MemoryObjectStore::~MemoryObjectStore() = default;

std::unique_ptr<MemoryObjectStore> MemoryObjectStore::Connect() const {
  return std::unique_ptr<MemoryObjectStore>(new MemoryObjectStore(objects_));
}

ObjectInfo MemoryObjectStore::Store(std::string_view key,
                                    std::shared_ptr<const std::string> content, std::string etag) {
  std::shared_ptr<const std::string> replaced;  // freed after the lock is let go
  std::lock_guard<std::mutex> lock(objects_->mu);
  auto it = objects_->by_key.find(key);
  if (it == objects_->by_key.end())
    it = objects_->by_key.emplace(std::string(key), Objects::Object{}).first;
  Objects::Object& o = it->second;
  replaced = std::move(o.content);
  o.content = std::move(content);
  o.etag = std::move(etag);
  o.modified_unix_millis = objects_->clock.NowUnixMillis();
  return objects_->InfoOf(it->first, o);
}

Result<ObjectInfo> MemoryObjectStore::Put(std::string_view key, std::string_view data) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  // Copied and hashed before taking the lock: other handles keep working meanwhile.
  std::string etag = Md5Hex(data);
  return Store(key, std::make_shared<const std::string>(data), std::move(etag));
}

Result<ObjectInfo> MemoryObjectStore::PutFile(std::string_view key, const std::string& path) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  SB_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
  std::string etag = Md5Hex(data);
  return Store(key, std::make_shared<const std::string>(std::move(data)), std::move(etag));
}

Result<std::string> MemoryObjectStore::Get(std::string_view key) {
  return GetRange(key, 0, UINT64_MAX);
}

Result<std::string> MemoryObjectStore::GetRange(std::string_view key, uint64_t offset,
                                                uint64_t length) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  std::shared_ptr<const std::string> content;
  {
    std::lock_guard<std::mutex> lock(objects_->mu);
    content = objects_->ContentLocked(key);
  }
  if (content == nullptr) return NoObject(key);
  if (offset >= content->size()) return std::string();
  return content->substr(offset, std::min<uint64_t>(length, content->size() - offset));
}

Status MemoryObjectStore::GetToFile(std::string_view key, const std::string& path) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  std::shared_ptr<const std::string> content;
  {
    std::lock_guard<std::mutex> lock(objects_->mu);
    content = objects_->ContentLocked(key);
  }
  if (content == nullptr) return NoObject(key);
  return WriteWholeFile(path, *content);
}

Result<ObjectInfo> MemoryObjectStore::Stat(std::string_view key) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  std::lock_guard<std::mutex> lock(objects_->mu);
  auto it = objects_->by_key.find(key);
  if (it == objects_->by_key.end()) return NoObject(key);
  return objects_->InfoOf(it->first, it->second);
}

Result<std::vector<ObjectInfo>> MemoryObjectStore::List(std::string_view prefix) {
  SB_RETURN_IF_ERROR(ValidateKeyPrefix(prefix));
  std::vector<ObjectInfo> out;
  std::lock_guard<std::mutex> lock(objects_->mu);
  for (auto it = objects_->by_key.lower_bound(prefix);
       it != objects_->by_key.end() && it->first.starts_with(prefix); ++it) {
    out.push_back(objects_->InfoOf(it->first, it->second));
  }
  return out;
}

Status MemoryObjectStore::Copy(std::string_view src, std::string_view dst) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(src));
  SB_RETURN_IF_ERROR(ValidateInternalKey(dst));
  std::shared_ptr<const std::string> replaced;  // freed after the lock is let go
  std::lock_guard<std::mutex> lock(objects_->mu);
  auto from = objects_->by_key.find(src);
  if (from == objects_->by_key.end()) return NoObject(src);
  Objects::Object copy = from->second;  // shares the content: no bytes copied
  copy.modified_unix_millis = objects_->clock.NowUnixMillis();
  auto [to, inserted] = objects_->by_key.try_emplace(std::string(dst));
  replaced = std::move(to->second.content);
  to->second = std::move(copy);
  return Status::Ok();
}

Status MemoryObjectStore::Delete(std::string_view key) {
  SB_RETURN_IF_ERROR(ValidateInternalKey(key));
  std::shared_ptr<const std::string> removed;  // freed after the lock is let go
  std::lock_guard<std::mutex> lock(objects_->mu);
  auto it = objects_->by_key.find(key);
  if (it == objects_->by_key.end()) return Status::Ok();  // as S3 DeleteObject
  removed = std::move(it->second.content);
  objects_->by_key.erase(it);
  return Status::Ok();
}

}  // namespace spotbatch
