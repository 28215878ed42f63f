#include "adapters/local/dir_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "common/file_system.h"
#include "common/ids.h"
#include "core/object_key.h"

namespace spotbatch {
namespace {

namespace fs = std::filesystem;
constexpr size_t kChunk = 1 << 20;

// A per-thread copy buffer: allocating (and zeroing) a megabyte per call showed in profiles.
char* ChunkBuffer() {
  thread_local std::unique_ptr<char[]> buf(new char[kChunk]);
  return buf.get();
}

std::string ErrnoText(int err) { return std::strerror(err); }

Status IoError(const std::string& what, const std::string& path, int err) {
  const std::string msg = what + " " + path + ": " + ErrnoText(err);
  // A full disk stays full until something is freed: never a free retry.
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(msg);
  // Out of descriptors, interrupted: may pass. Anything else is a fault of this machine.
  if (err == EMFILE || err == ENFILE || err == EINTR || err == EAGAIN) return Unavailable(msg);
  return Internal(msg);
}

// A descriptor closed through the file system that opened it.
class Fd {
 public:
  Fd(FileSystem& fs, int fd) : fs_(fs), fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) fs_.Close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  FileSystem& fs_;
  int fd_;
};

Status WriteAll(FileSystem& fs, int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = fs.Write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Calls fn(data, size) on each chunk read from `fd` until its end.
template <typename Fn>
Status ReadChunks(int fd, const std::string& path, Fn&& fn) {
  char* buf = ChunkBuffer();
  while (true) {
    const ssize_t n = ::read(fd, buf, kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) return Status::Ok();
    SB_RETURN_IF_ERROR(fn(buf, static_cast<size_t>(n)));
  }
}

int64_t MtimeNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

class DirObjectStore final : public ObjectStore {
 public:
  DirObjectStore(std::string root, FileSystem& fs)
      : root_(std::move(root)), tmp_(root_ + "/.tmp"), meta_(root_ + "/.meta"), fs_(fs) {}

  Result<ObjectInfo> Put(std::string_view key, std::string_view data) override {
    return WriteObject(key, [&](int fd, const std::string& path, Md5& md5) {
      md5.Update(data.data(), data.size());
      return WriteAll(fs_, fd, data.data(), data.size(), path);
    });
  }

  Result<ObjectInfo> PutFile(std::string_view key, const std::string& src) override {
    Fd in(fs_, fs_.Open(src.c_str(), O_RDONLY | O_CLOEXEC, 0));
    if (!in.valid()) {
      if (errno == ENOENT) return NotFound("no such file: " + src);
      return IoError("open", src, errno);
    }
    return WriteObject(key, [&](int fd, const std::string& path, Md5& md5) {
      return ReadChunks(in.get(), src, [&](const char* buf, size_t n) {
        md5.Update(buf, n);
        return WriteAll(fs_, fd, buf, n, path);
      });
    });
  }

  Result<std::string> Get(std::string_view key) override { return GetRange(key, 0, UINT64_MAX); }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    SB_RETURN_IF_ERROR(ValidateInternalKey(key));
    const std::string path = PathOf(key);
    Fd fd(fs_, fs_.Open(path.c_str(), O_RDONLY | O_CLOEXEC, 0));
    if (!fd.valid()) return OpenError(key, path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return IoError("stat", path, errno);
    if (!S_ISREG(st.st_mode)) return NotFound("no object " + std::string(key));
    const auto size = static_cast<uint64_t>(st.st_size);
    if (offset >= size) return std::string();
    const uint64_t n = std::min<uint64_t>(length, size - offset);
    std::string out(n, '\0');
    uint64_t got = 0;
    while (got < n) {
      const ssize_t r =
          ::pread(fd.get(), out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return IoError("read", path, errno);
      }
      if (r == 0) break;
      got += static_cast<uint64_t>(r);
    }
    out.resize(got);
    return out;
  }

  Status GetToFile(std::string_view key, const std::string& dest) override {
    SB_RETURN_IF_ERROR(ValidateInternalKey(key));
    const std::string path = PathOf(key);
    Fd in(fs_, fs_.Open(path.c_str(), O_RDONLY | O_CLOEXEC, 0));
    if (!in.valid()) return OpenError(key, path);
    // An existing file is overwritten in place and then cut to length, not truncated first:
    // ext4 flushes a file truncated to zero when it is closed (auto_da_alloc), which made
    // reusing a scratch file cost more than creating a new one.
    Fd out(fs_, fs_.Open(dest.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!out.valid()) return IoError("create", dest, errno);
    off_t written = 0;
    SB_RETURN_IF_ERROR(ReadChunks(in.get(), path, [&](const char* buf, size_t n) {
      written += static_cast<off_t>(n);
      return WriteAll(fs_, out.get(), buf, n, dest);
    }));
    if (fs_.Ftruncate(out.get(), written) != 0) return IoError("truncate", dest, errno);
    return Status::Ok();
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    SB_RETURN_IF_ERROR(ValidateInternalKey(key));
    const std::string path = PathOf(key);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return NotFound("no object " + std::string(key));
    }
    return InfoOf(std::string(key), path, st);
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    SB_RETURN_IF_ERROR(ValidateKeyPrefix(prefix));
    // Walk only the deepest directory the prefix names completely.
    const size_t slash = prefix.rfind('/');
    const std::string dir_key =
        slash == std::string_view::npos ? "" : std::string(prefix.substr(0, slash));
    std::vector<ObjectInfo> out;
    Status status = Status::Ok();
    std::function<void(const std::string&, const std::string&)> walk =
        [&](const std::string& dir_path, const std::string& key_prefix) {
          DIR* d = ::opendir(dir_path.c_str());
          if (d == nullptr) return;  // missing directory: no objects
          while (struct dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            if (key_prefix.empty() && name[0] == '.') continue;  // .tmp, .meta
            const std::string key = key_prefix.empty() ? name : key_prefix + "/" + name;
            const std::string path = dir_path + "/" + name;
            struct stat st;
            if (::lstat(path.c_str(), &st) != 0) continue;  // vanished meanwhile
            if (S_ISDIR(st.st_mode)) {
              // Descend only where keys can still match the prefix.
              const std::string as_dir = key + "/";
              const size_t n = std::min(as_dir.size(), prefix.size());
              if (as_dir.compare(0, n, prefix.substr(0, n)) == 0) walk(path, key);
            } else if (S_ISREG(st.st_mode) && key.compare(0, prefix.size(), prefix) == 0 &&
                       ValidateInternalKey(key).ok()) {
              auto info = InfoOf(key, path, st);
              if (info.ok()) {
                out.push_back(std::move(*info));
              } else if (status.ok()) {
                status = info.status();
              }
            }
          }
          ::closedir(d);
        };
    walk(dir_key.empty() ? root_ : root_ + "/" + dir_key, dir_key);
    if (!status.ok()) return status;
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Copy(std::string_view src, std::string_view dst) override {
    SB_RETURN_IF_ERROR(ValidateInternalKey(src));
    SB_RETURN_IF_ERROR(ValidateInternalKey(dst));
    const std::string src_path = PathOf(src);
    const std::string tmp = tmp_ + "/" + RandomHex(12);
    // Objects are immutable (a Put replaces the inode), so a hard link is a full copy.
    if (fs_.Link(src_path.c_str(), tmp.c_str()) != 0) {
      if (errno == ENOENT) return NotFound("no object " + std::string(src));
      auto data = Get(src);
      if (!data.ok()) return data.status();
      return Put(dst, *data).status();
    }
    const std::string dst_path = PathOf(dst);
    Status s = RenameIntoPlace(tmp, dst, dst_path);
    // A rename onto another name of the same file does nothing and succeeds (POSIX): a copy
    // made again (a publish repeated after a crash) would leave its temporary link behind.
    fs_.Unlink(tmp.c_str());
    return s;
  }

  Status Delete(std::string_view key) override {
    SB_RETURN_IF_ERROR(ValidateInternalKey(key));
    const std::string path = PathOf(key);
    if (fs_.Unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      if (errno == EISDIR || errno == EPERM) return Status::Ok();  // a prefix, not an object
      return IoError("delete", path, errno);
    }
    fs_.Unlink(MetaPath(key).c_str());
    // Emptied parent folders stay (removing and recreating folders is slow); a later Put of
    // a key where an empty folder stands removes it then.
    return Status::Ok();
  }

  Status Init() {
    std::vector<std::string> created;
    for (const std::string& dir : {root_, tmp_, meta_}) {
      const int err = MakeDirs(dir, &created);
      if (err != 0) return Internal("cannot create " + dir + ": " + ErrnoText(err));
    }
    SB_RETURN_IF_ERROR(SyncNewDirs(created));
    RemoveAbandonedTempFiles();
    return Status::Ok();
  }

 private:
  // Temporary files of writers that were killed mid-write. A live writer's file is fresh, so
  // only files untouched for an hour go.
  void RemoveAbandonedTempFiles() {
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (auto it = fs::directory_iterator(tmp_, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::error_code e2;
      if (it->last_write_time(e2) < cutoff && !e2) fs_.Unlink(it->path().c_str());
    }
  }

  std::string PathOf(std::string_view key) const { return root_ + "/" + std::string(key); }
  // The ETag cache entry of a key: .meta/<2 hex>/<sha256 of key>. Flat, because creating a
  // directory costs more than an fsync on the disks this runs on.
  std::string MetaPath(std::string_view key) const {
    const std::string h = Sha256Hex(key);
    return meta_ + "/" + h.substr(0, 2) + "/" + h;
  }

  Status OpenError(std::string_view key, const std::string& path) {
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) {
      return NotFound("no object " + std::string(key));
    }
    return IoError("open", path, errno);
  }

  // Removes `dir` if it holds no files at any depth (folders left by deleted objects).
  bool RemoveEmptyTree(const std::string& dir) {
    std::vector<std::string> dirs;  // parents before children
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_directory(ec)) return false;
      dirs.push_back(it->path().string());
    }
    if (ec) return false;
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) fs_.Rmdir(it->c_str());
    return fs_.Rmdir(dir.c_str()) == 0;
  }

  // Creates `dir` and its missing parents; 0 or the errno of the first failure. Fills
  // `created` (when given) with the directories made, outermost first.
  int MakeDirs(const std::string& dir, std::vector<std::string>* created = nullptr) {
    size_t pos = root_.size() < dir.size() && dir.compare(0, root_.size(), root_) == 0
                     ? root_.size() + 1
                     : 1;
    while (true) {
      const size_t slash = dir.find('/', pos);
      const std::string part = dir.substr(0, slash);
      struct stat st;
      if (::stat(part.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return ENOTDIR;
      } else if (fs_.Mkdir(part.c_str(), 0755) == 0) {
        if (created != nullptr) created->push_back(part);
      } else if (errno != EEXIST) {
        return errno;
      }
      if (slash == std::string::npos) return 0;
      pos = slash + 1;
    }
  }

  // A new directory's entry is durable only once its parent is fsynced; without that a power
  // loss takes the directory, and every object renamed into it, away (found by the
  // simulated power loss of tests/testing/power_loss_test.cc).
  Status SyncNewDirs(const std::vector<std::string>& created) {
    for (const std::string& dir : created) {
      SB_RETURN_IF_ERROR(FsyncDir(dir.substr(0, dir.rfind('/'))));
    }
    return Status::Ok();
  }

  Status FsyncDir(const std::string& dir) {
    Fd fd(fs_, fs_.Open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
    if (!fd.valid()) return IoError("open directory", dir, errno);
    if (fs_.Fsync(fd.get()) != 0) return IoError("fsync directory", dir, errno);
    return Status::Ok();
  }

  // Creates the parent directories of `path`, refusing when an object sits where a directory
  // must go.
  Status MakeParents(std::string_view key, const std::string& path) {
    const std::string parent = path.substr(0, path.rfind('/'));
    struct stat st;
    if (::stat(parent.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
    std::vector<std::string> created;
    const int err = MakeDirs(parent, &created);
    if (err == ENOTDIR || err == EEXIST) {
      return FailedPrecondition("key " + std::string(key) +
                                " cannot be stored: an object exists at one of its prefixes");
    }
    if (err != 0) return IoError("cannot create", parent, err);
    return SyncNewDirs(created);
  }

  Status RenameIntoPlace(const std::string& tmp, std::string_view key, const std::string& path) {
    // A concurrent Delete may remove an emptied parent directory between our mkdir and our
    // rename (or during the mkdir): then make the parents again.
    for (int attempt = 0;; ++attempt) {
      Status made = MakeParents(key, path);
      if (!made.ok() && (made.code() != StatusCode::kInternal || attempt >= 100)) return made;
      if (!made.ok()) continue;
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && !RemoveEmptyTree(path)) {
        return FailedPrecondition("key " + std::string(key) +
                                  " cannot be stored: other objects use it as a prefix");
      }
      if (fs_.Rename(tmp.c_str(), path.c_str()) == 0) break;
      if (errno != ENOENT || attempt >= 100) return IoError("rename to", path, errno);
    }
    return FsyncDir(path.substr(0, path.rfind('/')));
  }

  template <typename Writer>
  Result<ObjectInfo> WriteObject(std::string_view key, Writer&& write) {
    SB_RETURN_IF_ERROR(ValidateInternalKey(key));
    const std::string path = PathOf(key);
    const std::string tmp = tmp_ + "/" + RandomHex(12);
    Fd fd(fs_, fs_.Open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return IoError("create", tmp, errno);
    Md5 md5;
    Status s = write(fd.get(), tmp, md5);
    if (s.ok() && fs_.Fsync(fd.get()) != 0) s = IoError("fsync", tmp, errno);
    if (s.ok()) s = RenameIntoPlace(tmp, key, path);
    if (!s.ok()) {
      fs_.Unlink(tmp.c_str());
      return s;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
    ObjectInfo info{std::string(key), static_cast<uint64_t>(st.st_size), md5.FinishHex(),
                    MtimeNanos(st) / 1'000'000};
    // spotbatch's own objects (staging) are never listed for their ETag: skip the cache file.
    if (key.front() != '_') WriteMeta(info.key, st, info.etag);
    return info;
  }

  // The ETag cache: "<size> <mtime_ns> <etag>". Losing it costs a re-hash, nothing else, so it
  // is written without fsync.
  void WriteMeta(const std::string& key, const struct stat& st, const std::string& etag) {
    const std::string path = MetaPath(key);
    const std::string tmp = tmp_ + "/" + RandomHex(12);
    const std::string line =
        std::to_string(st.st_size) + " " + std::to_string(MtimeNanos(st)) + " " + etag + "\n";
    Fd fd(fs_, fs_.Open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid() || !WriteAll(fs_, fd.get(), line.data(), line.size(), tmp).ok()) {
      fs_.Unlink(tmp.c_str());
      return;
    }
    if (fs_.Rename(tmp.c_str(), path.c_str()) != 0) {
      const std::string dir = path.substr(0, path.rfind('/'));
      if (errno != ENOENT || (fs_.Mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) ||
          fs_.Rename(tmp.c_str(), path.c_str()) != 0) {
        fs_.Unlink(tmp.c_str());
      }
    }
  }

  Result<ObjectInfo> InfoOf(const std::string& key, const std::string& path,
                            const struct stat& st) {
    ObjectInfo info{key, static_cast<uint64_t>(st.st_size), "", MtimeNanos(st) / 1'000'000};
    char buf[160];
    Fd meta(fs_, fs_.Open(MetaPath(key).c_str(), O_RDONLY | O_CLOEXEC, 0));
    if (meta.valid()) {
      const ssize_t n = ::read(meta.get(), buf, sizeof(buf) - 1);
      if (n > 0) {
        buf[n] = '\0';
        long long size = -1, mtime = -1;
        char etag[64];
        if (std::sscanf(buf, "%lld %lld %63s", &size, &mtime, etag) == 3 &&
            size == static_cast<long long>(st.st_size) && mtime == MtimeNanos(st)) {
          info.etag = etag;
          return info;
        }
      }
    }
    Fd in(fs_, fs_.Open(path.c_str(), O_RDONLY | O_CLOEXEC, 0));
    if (!in.valid()) return OpenError(key, path);
    Md5 md5;
    SB_RETURN_IF_ERROR(ReadChunks(in.get(), path, [&](const char* buf, size_t n) {
      md5.Update(buf, n);
      return Status::Ok();
    }));
    info.etag = md5.FinishHex();
    WriteMeta(key, st, info.etag);
    return info;
  }

  std::string root_;
  std::string tmp_;
  std::string meta_;
  FileSystem& fs_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenDirObjectStore(const std::string& root, FileSystem& fs) {
  std::error_code ec;
  const std::string abs = fs::absolute(root, ec).lexically_normal().string();
  auto store = std::make_unique<DirObjectStore>(
      abs.size() > 1 && abs.back() == '/' ? abs.substr(0, abs.size() - 1) : abs, fs);
  SB_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace spotbatch
