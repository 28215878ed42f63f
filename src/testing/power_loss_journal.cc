#include "testing/power_loss_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace spotbatch::power_loss {
namespace {

std::string ParentOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

Journal::Journal(std::string root, std::string shadow_dir)
    : root_(std::move(root)), shadow_dir_(std::move(shadow_dir)) {}

bool Journal::Under(const std::string& path) const {
  return path.compare(0, root_.size(), root_) == 0 &&
         (path.size() == root_.size() || path[root_.size()] == '/');
}

bool Journal::Admit() {
  if (cut_) return false;
  ++changes_;
  if (cut_at_ >= 0 && changes_ >= cut_at_) cut_ = true;
  return !cut_;
}

void Journal::RecordWrite(ino_t inode, off_t old_size, off_t offset, std::string old_bytes) {
  Change c{Change::Kind::kWrite};
  c.inode = inode;
  c.offset = offset;
  c.old_size = old_size;
  c.old_bytes = std::move(old_bytes);
  changes_log_.push_back(std::move(c));
}

void Journal::RecordTruncate(ino_t inode, off_t old_size, std::string tail) {
  Change c{Change::Kind::kTruncate};
  c.inode = inode;
  c.old_size = old_size;
  c.old_bytes = std::move(tail);
  changes_log_.push_back(std::move(c));
}

void Journal::FileSynced(ino_t inode) {
  ++syncs_;
  for (Change& c : changes_log_) {
    if ((c.kind == Change::Kind::kWrite || c.kind == Change::Kind::kTruncate) && c.inode == inode) {
      c.durable = true;
    }
  }
  Prune();
}

std::string Journal::BeforeReplace(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  std::string shadow = shadow_dir_ + "/" + std::to_string(++shadows_);
  if (::link(path.c_str(), shadow.c_str()) != 0) return "";
  // Unsynced writes to the replaced file are undone where it is kept now.
  auto it = path_of_inode_.find(st.st_ino);
  if (it != path_of_inode_.end()) it->second = shadow;
  return shadow;
}

void Journal::RecordCreate(const std::string& path, ino_t inode) {
  Change c{Change::Kind::kCreate};
  c.path = path;
  changes_log_.push_back(std::move(c));
  path_of_inode_[inode] = path;
}

void Journal::RecordRename(const std::string& from, const std::string& to, std::string shadow) {
  Change c{Change::Kind::kRename};
  c.from = from;
  c.path = to;
  c.shadow = std::move(shadow);
  changes_log_.push_back(std::move(c));
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0 && S_ISREG(st.st_mode)) path_of_inode_[st.st_ino] = to;
}

void Journal::RecordLink(const std::string& path) {
  Change c{Change::Kind::kLink};
  c.path = path;
  changes_log_.push_back(std::move(c));
}

void Journal::RecordUnlink(const std::string& path, std::string shadow) {
  Change c{Change::Kind::kUnlink};
  c.path = path;
  c.shadow = std::move(shadow);
  changes_log_.push_back(std::move(c));
}

void Journal::RecordMkdir(const std::string& path) {
  Change c{Change::Kind::kMkdir};
  c.path = path;
  changes_log_.push_back(std::move(c));
}

void Journal::RecordRmdir(const std::string& path) {
  Change c{Change::Kind::kRmdir};
  c.path = path;
  changes_log_.push_back(std::move(c));
}

void Journal::DirSynced(const std::string& dir) {
  ++syncs_;
  for (Change& c : changes_log_) {
    if (c.kind == Change::Kind::kWrite || c.kind == Change::Kind::kTruncate) continue;
    if (ParentOf(c.path) == dir) c.durable = true;
    if (c.kind == Change::Kind::kRename && ParentOf(c.from) == dir) c.from_durable = true;
  }
  Prune();
}

void Journal::Deleted(const std::string& path) {
  for (auto it = path_of_inode_.begin(); it != path_of_inode_.end(); ++it) {
    if (it->second != path) continue;
    const ino_t inode = it->first;
    path_of_inode_.erase(it);
    // The inode number may be reused at once: forget what was written to the old file.
    std::erase_if(changes_log_, [&](const Change& c) {
      return (c.kind == Change::Kind::kWrite || c.kind == Change::Kind::kTruncate) &&
             c.inode == inode;
    });
    return;
  }
}

void Journal::Prune() {
  std::erase_if(changes_log_, [&](const Change& c) {
    const bool done = c.durable && (c.kind != Change::Kind::kRename || c.from_durable);
    if (done && !c.shadow.empty()) {
      // What the change replaced is gone for good, and so are its unsynced writes.
      for (auto it = path_of_inode_.begin(); it != path_of_inode_.end(); ++it) {
        if (it->second == c.shadow) {
          path_of_inode_.erase(it);
          break;
        }
      }
      ::unlink(c.shadow.c_str());
    }
    return done;
  });
}

void Journal::Undo(const Change& c, Undone& undone) {
  auto fail = [&](const std::string& what) {
    undone.errors.push_back(what + ": " + std::strerror(errno));
  };
  auto move_inode = [&](const std::string& from, const std::string& to) {
    for (auto& [inode, path] : path_of_inode_) {
      if (path == from) path = to;
    }
  };
  switch (c.kind) {
    case Change::Kind::kWrite:
    case Change::Kind::kTruncate: {
      auto it = path_of_inode_.find(c.inode);
      if (it == path_of_inode_.end()) return;  // the file itself was never durable, or is gone
      const int fd = ::open(it->second.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) {
        if (errno != ENOENT) fail("reopen " + it->second);
        return;
      }
      ++undone.writes;
      const off_t at = c.kind == Change::Kind::kWrite
                           ? c.offset
                           : c.old_size - static_cast<off_t>(c.old_bytes.size());
      if (::ftruncate(fd, c.old_size) != 0) fail("truncate " + it->second);
      if (!c.old_bytes.empty() && ::pwrite(fd, c.old_bytes.data(), c.old_bytes.size(), at) !=
                                      static_cast<ssize_t>(c.old_bytes.size())) {
        fail("restore " + it->second);
      }
      ::close(fd);
      return;
    }
    case Change::Kind::kCreate:
    case Change::Kind::kLink:
      ++undone.entries;
      if (::unlink(c.path.c_str()) != 0 && errno != ENOENT) fail("unlink " + c.path);
      return;
    case Change::Kind::kUnlink:
      ++undone.entries;
      if (!c.shadow.empty() && ::link(c.shadow.c_str(), c.path.c_str()) != 0) {
        fail("restore " + c.path);
      }
      move_inode(c.shadow, c.path);
      return;
    case Change::Kind::kRename:
      ++undone.entries;
      if (c.durable) {
        // Only the old name's removal was lost: the file has both names. (When a durable
        // unlink removed the new name since, the old one would still hold the file on a real
        // disk; the journal no longer can, and a left-over temporary file changes nothing.)
        if (::link(c.path.c_str(), c.from.c_str()) != 0 && errno != ENOENT) {
          fail("relink " + c.from);
        }
        return;
      }
      if (c.from_durable) {
        if (::unlink(c.path.c_str()) != 0) fail("unlink " + c.path);
      } else {
        if (::rename(c.path.c_str(), c.from.c_str()) != 0) fail("rename back " + c.path);
        move_inode(c.path, c.from);
      }
      if (!c.shadow.empty()) {
        if (::link(c.shadow.c_str(), c.path.c_str()) != 0) fail("restore " + c.path);
        move_inode(c.shadow, c.path);
      }
      return;
    case Change::Kind::kMkdir: {
      ++undone.entries;
      std::error_code ec;
      std::filesystem::remove_all(c.path, ec);
      if (ec) undone.errors.push_back("remove " + c.path + ": " + ec.message());
      return;
    }
    case Change::Kind::kRmdir:
      ++undone.entries;
      if (::mkdir(c.path.c_str(), 0755) != 0 && !Exists(c.path)) fail("mkdir " + c.path);
      return;
  }
}

// One line per journaled change that names `path`, oldest first: what a failed undo step
// needs to be understood.
std::string Journal::HistoryOf(const std::string& path) const {
  static const char* kNames[] = {"write", "truncate", "create", "rename",
                                 "link",  "unlink",   "mkdir",  "rmdir"};
  std::string out;
  for (const Change& c : changes_log_) {
    if (c.path != path && c.from != path) continue;
    out += std::string("\n  ") + kNames[static_cast<int>(c.kind)] + " " +
           (c.from.empty() ? "" : c.from + " -> ") + c.path + (c.durable ? " durable" : "") +
           (c.from_durable ? " from-durable" : "") + (c.shadow.empty() ? "" : " over a file");
  }
  return out;
}

Journal::Undone Journal::Reboot() {
  Undone undone;
  for (auto it = changes_log_.rbegin(); it != changes_log_.rend(); ++it) {
    const bool done = it->durable && (it->kind != Change::Kind::kRename || it->from_durable);
    if (done) continue;
    const size_t errors = undone.errors.size();
    Undo(*it, undone);
    if (undone.errors.size() > errors) {
      undone.errors.back() += HistoryOf(it->path) + HistoryOf(it->from);
    }
  }
  changes_log_.clear();
  path_of_inode_.clear();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(shadow_dir_, ec)) {
    std::filesystem::remove(e.path(), ec);
  }
  cut_ = false;
  cut_at_ = -1;
  return undone;
}

}  // namespace spotbatch::power_loss
