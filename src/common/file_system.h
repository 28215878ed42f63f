// FileSystem: the calls through which a durable adapter changes files, so that a test can see
// which changes were made durable and lose the others (src/testing/power_loss.h).
//
// Each method does what the POSIX call of the same name does, returns what it returns and
// sets errno the same way, so adapters keep their own error mapping. Reads (read, pread,
// stat, readdir) are not here: they change nothing a power loss could undo.
#pragma once

#include <sys/types.h>

namespace spotbatch {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // open(2): a descriptor, or -1. O_CREAT may create the file: its directory entry becomes
  // durable when the directory is fsynced, its content when the file is.
  virtual int Open(const char* path, int flags, mode_t mode) = 0;
  // close(2) of a descriptor Open returned. Closing makes nothing durable.
  virtual int Close(int fd) = 0;
  // write(2) and ftruncate(2): durable once the file is fsynced.
  virtual ssize_t Write(int fd, const void* data, size_t size) = 0;
  virtual int Ftruncate(int fd, off_t size) = 0;
  // fsync(2) of a file (its content) or of a directory opened with O_DIRECTORY (the entries
  // created, renamed or removed in it).
  virtual int Fsync(int fd) = 0;
  // rename(2), link(2), unlink(2), mkdir(2), rmdir(2): each changes directory entries,
  // durable once the directories concerned are fsynced.
  virtual int Rename(const char* from, const char* to) = 0;
  virtual int Link(const char* from, const char* to) = 0;
  virtual int Unlink(const char* path) = 0;
  virtual int Mkdir(const char* path, mode_t mode) = 0;
  virtual int Rmdir(const char* path) = 0;
};

// The operating system's calls. Never null, never destroyed.
FileSystem& PosixFileSystem();

}  // namespace spotbatch
