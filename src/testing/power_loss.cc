#include "testing/power_loss.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include "testing/power_loss_journal.h"

namespace spotbatch {
namespace power_loss {

Status InstallVfs(Journal* journal);
void UninstallVfs();

namespace {

std::string ReadAt(int fd, off_t offset, size_t size) {
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    const ssize_t r = ::pread(fd, out.data() + got, size - got, offset + got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

off_t SizeOf(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_size : 0;
}

// The disk's FileSystem: changes under root are journaled, and refused once the power is cut.
class JournaledFileSystem final : public FileSystem {
 public:
  explicit JournaledFileSystem(Journal& journal) : j_(journal) {}

  int Open(const char* path, int flags, mode_t mode) override {
    const std::string p(path);
    if (!j_.Under(p)) return ::open(path, flags, mode);
    std::lock_guard<std::mutex> lock(j_.mu);
    struct stat st;
    const bool creates = (flags & O_CREAT) != 0 && ::lstat(path, &st) != 0;
    if (creates && !j_.Admit()) return PowerIsOut();
    const int fd = ::open(path, flags, mode);
    if (fd < 0) return fd;
    if (::fstat(fd, &st) != 0) return fd;
    files_[fd] = {p, st.st_ino, S_ISDIR(st.st_mode)};
    if (creates) j_.RecordCreate(p, st.st_ino);
    return fd;
  }

  int Close(int fd) override {
    {
      std::lock_guard<std::mutex> lock(j_.mu);
      files_.erase(fd);
    }
    return ::close(fd);
  }

  ssize_t Write(int fd, const void* data, size_t size) override {
    std::lock_guard<std::mutex> lock(j_.mu);
    auto it = files_.find(fd);
    if (it == files_.end()) return ::write(fd, data, size);
    if (!j_.Admit()) return PowerIsOut();
    const off_t offset = ::lseek(fd, 0, SEEK_CUR);
    const int reader = ReopenForReading(fd);
    const off_t old_size = SizeOf(reader);
    j_.RecordWrite(
        it->second.inode, old_size, offset,
        offset < old_size ? ReadAt(reader, offset, std::min<off_t>(size, old_size - offset)) : "");
    ::close(reader);
    return ::write(fd, data, size);
  }

  int Ftruncate(int fd, off_t size) override {
    std::lock_guard<std::mutex> lock(j_.mu);
    auto it = files_.find(fd);
    if (it == files_.end()) return ::ftruncate(fd, size);
    if (!j_.Admit()) return PowerIsOut();
    const int reader = ReopenForReading(fd);
    const off_t old_size = SizeOf(reader);
    j_.RecordTruncate(it->second.inode, old_size,
                      size < old_size ? ReadAt(reader, size, old_size - size) : "");
    ::close(reader);
    return ::ftruncate(fd, size);
  }

  int Fsync(int fd) override {
    std::lock_guard<std::mutex> lock(j_.mu);
    auto it = files_.find(fd);
    if (it == files_.end()) return ::fsync(fd);
    if (!j_.Admit()) return PowerIsOut();
    const int r = ::fsync(fd);
    if (r != 0) return r;
    if (it->second.is_dir) {
      j_.DirSynced(it->second.path);
    } else {
      j_.FileSynced(it->second.inode);
    }
    return 0;
  }

  int Rename(const char* from, const char* to) override {
    if (!j_.Under(from) && !j_.Under(to)) return ::rename(from, to);
    std::lock_guard<std::mutex> lock(j_.mu);
    if (!j_.Admit()) return PowerIsOut();
    struct stat st, dst;
    if (::lstat(from, &st) != 0) return -1;  // errno from lstat, as rename would say
    if (::lstat(to, &dst) == 0 && dst.st_ino == st.st_ino && dst.st_dev == st.st_dev) {
      return ::rename(from, to);  // two names of one file: rename changes nothing (POSIX)
    }
    std::string shadow = j_.BeforeReplace(to);
    if (::rename(from, to) != 0) {
      const int err = errno;
      if (!shadow.empty()) ::unlink(shadow.c_str());
      errno = err;
      return -1;
    }
    j_.RecordRename(from, to, std::move(shadow));
    return 0;
  }

  int Link(const char* from, const char* to) override {
    if (!j_.Under(to)) return ::link(from, to);
    std::lock_guard<std::mutex> lock(j_.mu);
    if (!j_.Admit()) return PowerIsOut();
    if (::link(from, to) != 0) return -1;
    j_.RecordLink(to);
    return 0;
  }

  int Unlink(const char* path) override {
    if (!j_.Under(path)) return ::unlink(path);
    std::lock_guard<std::mutex> lock(j_.mu);
    if (!j_.Admit()) return PowerIsOut();
    std::string shadow = j_.BeforeReplace(path);
    if (::unlink(path) != 0) {
      const int err = errno;
      if (!shadow.empty()) ::unlink(shadow.c_str());
      errno = err;
      return -1;
    }
    j_.RecordUnlink(path, std::move(shadow));
    return 0;
  }

  int Mkdir(const char* path, mode_t mode) override {
    if (!j_.Under(path)) return ::mkdir(path, mode);
    std::lock_guard<std::mutex> lock(j_.mu);
    if (!j_.Admit()) return PowerIsOut();
    if (::mkdir(path, mode) != 0) return -1;
    j_.RecordMkdir(path);
    return 0;
  }

  int Rmdir(const char* path) override {
    if (!j_.Under(path)) return ::rmdir(path);
    std::lock_guard<std::mutex> lock(j_.mu);
    if (!j_.Admit()) return PowerIsOut();
    if (::rmdir(path) != 0) return -1;
    j_.RecordRmdir(path);
    return 0;
  }

 private:
  struct OpenFile {
    std::string path;  // as opened (a later rename does not change it)
    ino_t inode;
    bool is_dir;
  };
  static int PowerIsOut() {
    errno = EIO;
    return -1;
  }
  // The descriptor's file opened again for reading (it may be write-only), whatever its
  // name is now.
  static int ReopenForReading(int fd) {
    return ::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC);
  }

  Journal& j_;
  std::unordered_map<int, OpenFile> files_;  // open descriptors under root
};

}  // namespace
}  // namespace power_loss

PowerLossDisk::PowerLossDisk(std::string root, std::string shadow_dir) {
  std::filesystem::create_directories(root);
  std::filesystem::create_directories(shadow_dir);
  journal_ = std::make_unique<power_loss::Journal>(std::filesystem::canonical(root).string(),
                                                   std::filesystem::canonical(shadow_dir).string());
  fs_ = std::make_unique<power_loss::JournaledFileSystem>(*journal_);
}

PowerLossDisk::~PowerLossDisk() {
  if (vfs_installed_) power_loss::UninstallVfs();
}

FileSystem& PowerLossDisk::fs() { return *fs_; }

Status PowerLossDisk::InstallSqliteVfs() {
  SB_RETURN_IF_ERROR(power_loss::InstallVfs(journal_.get()));
  vfs_installed_ = true;
  return Status::Ok();
}

void PowerLossDisk::CutPower() {
  std::lock_guard<std::mutex> lock(journal_->mu);
  journal_->CutNow();
}

void PowerLossDisk::CutPowerAfter(int64_t changes) {
  std::lock_guard<std::mutex> lock(journal_->mu);
  journal_->CutAfter(changes);
}

bool PowerLossDisk::power_cut() const {
  std::lock_guard<std::mutex> lock(journal_->mu);
  return journal_->cut();
}

int64_t PowerLossDisk::changes_seen() const {
  std::lock_guard<std::mutex> lock(journal_->mu);
  return journal_->changes();
}

int64_t PowerLossDisk::syncs_seen() const {
  std::lock_guard<std::mutex> lock(journal_->mu);
  return journal_->syncs();
}

PowerLossDisk::RebootReport PowerLossDisk::Reboot() {
  std::lock_guard<std::mutex> lock(journal_->mu);
  power_loss::Journal::Undone undone = journal_->Reboot();
  return {undone.writes, undone.entries, std::move(undone.errors)};
}

}  // namespace spotbatch
