// What the object stores share to read and write local files: a descriptor that closes
// itself, and the Status of a failed system call.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/file_system.h"
#include "spotbatch/status.h"

namespace spotbatch {

// The Status of a system call `what` on `path` that failed with `err`.
inline Status IoError(const std::string& what, const std::string& path, int err) {
  const std::string msg = what + " " + path + ": " + std::strerror(err);
  // A full disk stays full until something is freed: never a free retry.
  if (err == ENOSPC || err == EDQUOT) return ResourceExhausted(msg);
  // Out of descriptors, interrupted: may pass. Anything else is a fault of this machine.
  if (err == EMFILE || err == ENFILE || err == EINTR || err == EAGAIN) return Unavailable(msg);
  return Internal(msg);
}

// Owns a file descriptor (negative: none) and closes it through the file system that opened
// it.
class Fd {
 public:
  explicit Fd(int fd, FileSystem& fs = PosixFileSystem()) : fs_(fs), fd_(fd) {}
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

}  // namespace spotbatch
